"""Field checks for JSON request bodies, collecting one message per bad field.

Types are checked strictly (a bool is not an int, "10" is not 10) so a client that
sends loose types learns it here rather than from a provider in production.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request

T = TypeVar("T", str, int)


def is_http_url(value: object) -> bool:
    if not isinstance(value, str) or any(ch.isspace() for ch in value):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or None when it is not one."""
    raw = await request.body()
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


class Fields:
    """Reads fields from a body; each getter returns the value (or the default) and notes
    a message in `errors` when the value is wrong. A JSON null counts as absent."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: list[str] = []

    def given(self, name: str) -> bool:
        return self.body.get(name) is not None

    def _missing(self, name: str, required: bool) -> bool:
        if self.given(name):
            return False
        if required:
            self.errors.append(f"{name} is required")
        return True

    def url(self, name: str, required: bool = False) -> str | None:
        if self._missing(name, required):
            return None
        value = self.body[name]
        if not is_http_url(value):
            self.errors.append(f"{name} must be an http(s) URL")
            return None
        return str(value)

    def text(self, name: str, required: bool = False, *, allow_empty: bool = False) -> str | None:
        if self._missing(name, required):
            return None
        value = self.body[name]
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            self.errors.append(f"{name} must be a non-empty string")
            return None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        if self._missing(name, False):
            return default
        value = self.body[name]
        if not isinstance(value, bool):
            self.errors.append(f"{name} must be a boolean (true or false)")
            return default
        return value

    def choice(self, name: str, allowed: tuple[T, ...], default: T, message: str | None = None) -> T:
        if self._missing(name, False):
            return default
        value = self.body[name]
        kind = type(allowed[0])
        if type(value) is kind and value in allowed:
            return value
        shown = ", ".join(str(option) for option in allowed)
        self.errors.append(message or f"{name} must be one of: {shown}")
        return default

    def integer(self, name: str, default: int | None, low: int, high: int) -> int | None:
        if self._missing(name, False):
            return default
        value = self.body[name]
        if not is_int(value) or not low <= value <= high:
            self.errors.append(f"{name} must be an integer between {low} and {high}")
            return default
        return int(value)

    def number(self, name: str, default: float, low: float, high: float) -> float:
        if self._missing(name, False):
            return default
        value = self.body[name]
        if not is_number(value) or not low <= value <= high:
            self.errors.append(f"{name} must be a number between {low:g} and {high:g}")
            return default
        return float(value)
