"""Paging for the catalogue tools: an opaque string cursor over a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from talking_video_mcp.errors import InvalidInput

T = TypeVar("T")

__all__ = ["paginate"]


def paginate(items: Sequence[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """Offset pagination with an opaque string cursor."""
    try:
        start = int(cursor) if cursor else 0
    except ValueError:
        raise InvalidInput("cursor", "is not a cursor from this server; omit it to start from the beginning.") from None
    start = max(0, start)
    page = list(items[start : start + limit])
    end = start + len(page)
    return page, (str(end) if end < len(items) else None)
