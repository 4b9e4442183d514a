"""Bulk publishing from files: reading JSON and CSV rows, then publishing them."""
