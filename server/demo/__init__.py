"""`maillage demo`: a small real network on one machine — four territories and a circle,
each its own `maillage serve` + `maillage worker` pair and database, following each other
through the protocol and seeded through the publishing API (docs/demo.md)."""
