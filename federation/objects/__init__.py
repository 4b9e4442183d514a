"""Initiatives and events as ActivityStreams objects, one module per job.

`model` (the typed values), `context` (our JSON-LD context), `html` (sanitising, Markdown),
`dates` (ISO and French wording), `summary` (what Mastodon readers see), `as2` (`to_as2`,
to publish) and `parse` (`parse_remote`, to receive). The names below are re-exported so
`from federation import objects` keeps reading as one vocabulary.
"""

from federation.errors import InvalidObject, UnsupportedType
from federation.objects.as2 import to_as2
from federation.objects.context import context_document, object_context
from federation.objects.dates import format_when
from federation.objects.html import markdown_to_html, sanitize_html
from federation.objects.model import Image, LocalObject, Place, PostalAddress, RemoteObject
from federation.objects.parse import parse_location, parse_remote

__all__ = [
    "Image",
    "InvalidObject",
    "LocalObject",
    "Place",
    "PostalAddress",
    "RemoteObject",
    "UnsupportedType",
    "context_document",
    "format_when",
    "markdown_to_html",
    "object_context",
    "parse_location",
    "parse_remote",
    "sanitize_html",
    "to_as2",
]
