"""How HTTP routes reach the server's services.

Tools get it from `ctx.request_context.lifespan_context`; Starlette routes added with `custom_route` get only a
`Request`. Over streamable HTTP the SDK's session manager enters the MCPServer lifespan exactly once, when the
Starlette app starts (`StreamableHTTPSessionManager.run`), and keeps that state for every session, so the
lifespan binds the same object here and routes read it. (The session manager also stores it, but only in a
private attribute.)"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.services import LazyServices, Services


class StateRef:
    """The services of the lifespan that is running now (the newest one if several are)."""

    def __init__(self) -> None:
        self._states: list[LazyServices] = []

    @contextmanager
    def bind(self, state: LazyServices) -> Iterator[LazyServices]:
        self._states.append(state)
        try:
            yield state
        finally:
            self._states.remove(state)

    def get(self) -> LazyServices | None:
        return self._states[-1] if self._states else None


class NotReady(Exception):
    """The services cannot be had now (starting, or the home went away): the route answers 503 with this."""


async def ready_services(ref: StateRef) -> Services:
    """The running services, for routes that need no caller (signed links and upload URLs); NotReady if none."""
    lazy = ref.get()
    if lazy is None:
        raise NotReady("the server is starting; try again in a moment")
    try:
        return await lazy.get()
    except TalkingVideoError as exc:
        raise NotReady(str(exc)) from None
