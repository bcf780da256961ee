"""Streaming a response body to disk: what input downloads and result downloads share. The caller opens
the stream, judges the status, and decides what a partial or oversized body means for it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx


async def stream_body(
    response: httpx.Response, path: Path, *, max_bytes: int, too_large: Callable[[], Exception]
) -> tuple[int, int | None]:
    """Write the body to `path` (a temporary name the caller renames when it is satisfied); refuse more than
    `max_bytes`, before reading when Content-Length says so. Returns (bytes written, bytes announced)."""
    announced = response.headers.get("content-length", "")
    expected = int(announced) if announced.isdigit() else None
    if expected is not None and expected > max_bytes:
        raise too_large()
    size = 0
    with path.open("wb") as out:
        async for chunk in response.aiter_bytes(1 << 16):
            size += len(chunk)
            if size > max_bytes:
                raise too_large()
            out.write(chunk)
    return size, expected
