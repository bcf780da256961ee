"""`/_emulator/...`: what tests and sandbox users ask the emulator itself (stats, the request
log, faults, balances, reset). These requests are not counted as provider traffic."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from talking_video_mcp.emulator.dispatch import Context
from talking_video_mcp.emulator.faults import ENDPOINTS, FAULT_HEADER, FAULT_KINDS, FaultError, FaultRule
from talking_video_mcp.emulator.state import account_id
from talking_video_mcp.emulator.validate import is_number, json_object


def routes() -> list[Route]:
    return [
        Route("/_emulator", info, methods=["GET"]),
        Route("/_emulator/stats", stats, methods=["GET"]),
        Route("/_emulator/requests", requests_log, methods=["GET"]),
        Route("/_emulator/reset", reset, methods=["POST"]),
        Route("/_emulator/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_emulator/balance", balance, methods=["POST"]),
    ]


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.emulator
    return ctx


async def info(request: Request) -> Response:
    base = str(request.base_url).rstrip("/")
    return JSONResponse(
        {
            "emulator": "talking-video-mcp provider emulator",
            "speed": _ctx(request).state.config.speed,
            "env": {
                "SEGMIND_BASE_URL": base,
                "SEGMIND_UPLOAD_URL": f"{base}/upload-asset",
                "UNIFICALLY_BASE_URL": base,
                "FAL_QUEUE_URL": f"{base}/fal/queue",
                "FAL_REST_URL": f"{base}/fal/rest",
            },
            "endpoints": list(ENDPOINTS),
            "faults": list(FAULT_KINDS),
            "fault_header": FAULT_HEADER,
        }
    )


async def stats(request: Request) -> Response:
    return JSONResponse(_ctx(request).state.snapshot())


async def requests_log(request: Request) -> Response:
    return JSONResponse(_ctx(request).state.requests_log())


async def reset(request: Request) -> Response:
    _ctx(request).state.reset()
    return JSONResponse({"ok": True})


async def faults(request: Request) -> Response:
    book = _ctx(request).state.faults
    if request.method == "DELETE":
        book.clear()
    elif request.method == "POST":
        body: Any = await _any_json(request)
        try:
            rules = _rules(body)
        except FaultError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        for rule in rules:
            book.add(rule)
    return JSONResponse({"armed": book.snapshot()})


def _rules(body: Any) -> list[FaultRule]:
    if isinstance(body, dict) and isinstance(body.get("spec"), str):
        return FaultRule.parse_spec(body["spec"])
    if isinstance(body, list):
        return [FaultRule.from_json(item) for item in body]
    return [FaultRule.from_json(body)]


async def _any_json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def balance(request: Request) -> Response:
    """Set an account's balance: `{"provider": "segmind"|"unifically"|"heygen", "key": "...", "amount": 1.5}`."""
    body = await json_object(request)
    provider = body.get("provider") if body else None
    key, amount = (body.get("key"), body.get("amount")) if body else (None, None)
    if provider not in ("segmind", "unifically", "heygen") or not isinstance(key, str) or not is_number(amount):
        return JSONResponse({"error": "expected {provider: segmind|unifically|heygen, key: str, amount: number}"}, 400)
    assert isinstance(amount, int | float)
    _ctx(request).state.set_balance(provider, account_id(key), float(amount))
    return JSONResponse({"ok": True, "account": account_id(key)})
