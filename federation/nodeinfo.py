"""NodeInfo 2.1 discovery and document, and the FEP-2677 link to the instance actor."""

from __future__ import annotations

from typing import Any

NODEINFO_21_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
APPLICATION_REL = "https://www.w3.org/ns/activitystreams#Application"


def discovery(base_url: str, instance_actor_id: str) -> dict[str, Any]:
    return {
        "links": [
            {"rel": NODEINFO_21_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"},
            {"rel": APPLICATION_REL, "href": instance_actor_id},
        ]
    }


def document(
    *,
    version: str,
    node_name: str,
    node_description: str,
    users: int,
    local_posts: int,
    open_registrations: bool = False,
) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {"name": "maillage", "version": version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {"total": users, "activeMonth": users, "activeHalfyear": users},
            "localPosts": local_posts,
        },
        "metadata": {"nodeName": node_name, "nodeDescription": node_description},
    }
