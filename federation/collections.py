"""AS2 OrderedCollection and OrderedCollectionPage documents."""

from __future__ import annotations

from typing import Any

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"


def ordered_collection(
    collection_id: str, total: int, first: str | None, items: list[Any] | None = None
) -> dict[str, Any]:
    """The collection root; items inline only when the caller has them all (small sets)."""
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": collection_id,
        "type": "OrderedCollection",
        "totalItems": total,
    }
    if first is not None:
        doc["first"] = first
    if items is not None:
        doc["orderedItems"] = items
    return doc


def ordered_collection_page(
    page_id: str, collection_id: str, total: int, items: list[Any], next_page: str | None
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": AS_CONTEXT,
        "id": page_id,
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": total,
        "orderedItems": items,
    }
    if next_page is not None:
        doc["next"] = next_page
    return doc
