"""Delivery policy, pure: who gets an activity (fan-out), when to try again (retry), and what
an answer means (policy). `server/deliver/` performs what these decide."""
