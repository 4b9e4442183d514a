"""Content negotiation: one URL answers HTML to a browser and AS2 JSON to a server."""

from __future__ import annotations

AS_MEDIA_TYPE = "application/activity+json"
LD_PROFILE = "https://www.w3.org/ns/activitystreams"


def wants_activity_json(accept: str | None) -> bool:
    """True when the client asks for AS2 (`application/activity+json` or the JSON-LD
    media type with the ActivityStreams profile) more than for HTML.

    Browsers list text/html first; servers send only AS2 types. A plain
    `application/json` counts as AS2 too, since no browser sends it alone.
    """
    if not accept:
        return False
    best_as = best_html = -1.0
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        q = 1.0
        profile = ""
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            key = key.strip().lower()
            value = value.strip().strip('"')
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
            elif key == "profile":
                profile = value
        if media in {AS_MEDIA_TYPE, "application/json"} or (
            media == "application/ld+json" and (not profile or LD_PROFILE in profile.split())
        ):
            best_as = max(best_as, q)
        elif media in {"text/html", "application/xhtml+xml"}:
            best_html = max(best_html, q)
    return best_as > 0 and best_as >= best_html
