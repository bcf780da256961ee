"""HTTP Range requests (RFC 9110 §14) for one byte range: enough for <video> seeking."""

from __future__ import annotations

import re

_SINGLE = re.compile(r"(\d*)-(\d*)", re.ASCII)


class RangeNotSatisfiable(ValueError):
    """Answer 416 with `Content-Range: bytes */size`."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions a `Range` header asks for, or None to send the whole file.

    Other units and several ranges are ignored (the whole file is sent, which RFC 9110 allows); a malformed or
    unsatisfiable byte range raises RangeNotSatisfiable."""
    if header is None:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    if "," in spec:
        return None
    match = _SINGLE.fullmatch(spec.strip())
    if match is None or match.group(1) == match.group(2) == "":
        raise RangeNotSatisfiable(f"malformed range {header!r}")
    first_text, last_text = match.groups()
    if first_text == "":
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"empty suffix range {header!r}")
        return max(0, size - suffix), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if first >= size or (last_text and last < first):
        raise RangeNotSatisfiable(f"range {header!r} is outside 0-{size - 1}")
    return first, min(last, size - 1)
