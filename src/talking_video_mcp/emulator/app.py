"""Assemble the emulator's Starlette app from the provider, file and admin routes."""

from __future__ import annotations

import importlib

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from talking_video_mcp.emulator import admin, fal, files, heygen, segmind, unifically
from talking_video_mcp.emulator.config import EmulatorConfig
from talking_video_mcp.emulator.dispatch import Context
from talking_video_mcp.emulator.state import EmulatorState
from talking_video_mcp.emulator.templates import Templates
from talking_video_mcp.emulator.wire import RAW_SEND_KEY


class EmulatorApp(Starlette):
    """A Starlette app that keeps the server's own `send` in the scope, so connection faults
    can reach the socket (see wire.py)."""

    emulator: Context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope[RAW_SEND_KEY] = send
        await super().__call__(scope, receive, send)


def create_app(config: EmulatorConfig | None = None) -> EmulatorApp:
    """Build a fresh emulator (its own state) for `config`."""
    config = config or EmulatorConfig()
    ctx = Context(state=EmulatorState(config), templates=Templates.build(config.seed))
    providers = [importlib.import_module(name) for name in config.route_modules] or [segmind, unifically, heygen, fal]
    routes = [route for module in providers for route in module.routes()]
    app = EmulatorApp(routes=[*routes, *files.routes(), *admin.routes()])
    app.state.emulator = ctx
    app.emulator = ctx
    return app
