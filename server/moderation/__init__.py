"""Moderation: what this instance refuses (domain blocks), checked by every flow alike."""
