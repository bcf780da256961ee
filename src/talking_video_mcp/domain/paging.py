"""Paging for the catalogue tools: an opaque string cursor over a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from talking_video_mcp.errors import InvalidInput

T = TypeVar("T")

__all__ = ["paginate"]


def paginate(items: Sequence[T], limit: int, cursor: str | None) -> tuple[list[T], str | None]:
    """Offset pagination with an opaque string cursor: only what this server hands out (a plain count) is taken,
    so "-5", "+3" or " 7" are refused as list_jobs refuses a cursor it did not make."""
    start = 0
    if cursor:
        if not (cursor.isascii() and cursor.isdigit()) or (len(cursor) > 1 and cursor.startswith("0")):
            raise InvalidInput(
                "cursor", "is not a cursor from this server; send the next_cursor of the previous page, or leave it "
                "out to start from the beginning.",
            )
        start = int(cursor)
    page = list(items[start : start + limit])
    end = start + len(page)
    return page, (str(end) if end < len(items) else None)
