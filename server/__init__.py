"""Maillage web application, storage, worker and command line."""
