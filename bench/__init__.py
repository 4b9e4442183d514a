"""Maillage benchmarks: `python -m bench all` (see bench/README.md)."""
