"""Errors shared by the web layer and the flows beneath it."""

from __future__ import annotations


class Rejected(Exception):
    """A request refused with a status and a short reason (JSON endpoints answer it).

    Raised by request checks in any layer (the inbox's receiving checks, body limits, the
    API's input) and turned into a response by the route that called them."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
