"""The wrapper every provider endpoint runs in: pick the fault, run the handler, bend the
response the way the fault says, and record the request for stats and the log.

Keeping this in one place means handlers only implement the contract, and every
endpoint misbehaves, counts and logs the same way.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from talking_video_mcp.emulator.envelopes import RESET_HEADER, provider_error
from talking_video_mcp.emulator.faults import FAULT_HEADER, FaultError, check_fault
from talking_video_mcp.emulator.state import STATS_MODELS, EmulatorState, Job, Provider, RequestRecord, iso_utc
from talking_video_mcp.emulator.templates import Templates
from talking_video_mcp.emulator.wire import CutResponse, ResetResponse, hold

# Faults answered before the handler runs: nothing is created or charged.
_BEFORE_HANDLER = frozenset({"429", "500", "502", "504", "reset", "notfound"})
# Keys a client needs; the `missing-fields` fault removes them.
_REQUIRED_KEYS = frozenset(
    {
        "request_id", "status", "status_url", "response_url", "poll_url", "task_id", "output",
        "items", "credits", "urls", "file_urls", "balance_usd", "id",
    }
)  # fmt: skip
_SERVER_ERRORS = {500: "Internal server error", 502: "Bad gateway", 504: "Gateway timeout"}
_SUBMIT_MODELS = {
    "unifically.speak": "higgsfield-speak",
    "unifically.tts": "higgsfield-tts",
    "unifically.generate": "higgsfield-generate",
    "unifically.ads": "higgsfield-ads",
}
_POLL_PHASES = {
    "segmind.status": "status", "segmind.result": "result", "unifically.feed": "status",
    "fal.status": "status", "fal.result": "result", "fal.cancel": "cancel",
}  # fmt: skip


@dataclass
class Context:
    """What handlers share: the mutable state and the static template catalogues."""

    state: EmulatorState
    templates: Templates


@dataclass
class Call:
    """One request on its way through a handler; handlers fill in what the stats need."""

    request: Request
    ctx: Context
    endpoint: str
    fault: str | None
    account: str | None = None
    job_id: str | None = None
    model: str | None = None
    phase: str | None = None  # submit | status | result
    accepted: bool = False

    @property
    def state(self) -> EmulatorState:
        return self.ctx.state

    @property
    def provider(self) -> str:
        return self.endpoint.split(".")[0]

    def url(self, path: str) -> str:
        """Absolute URL on this emulator, as the client reached it."""
        base = self.state.config.public_base_url or str(self.request.base_url)
        return base.rstrip("/") + path


Handler = Callable[[Call], Awaitable[Response]]


def too_many_requests(provider: str, reset_wall: float) -> Response:
    """429 with the reset time Segmind sends (and Retry-After too for Unifically, whose
    header is undocumented)."""
    headers = {RESET_HEADER: iso_utc(reset_wall)}
    if provider in ("unifically", "heygen"):
        headers["retry-after"] = str(max(1, round(reset_wall - time.time() + 0.5)))
    return provider_error(provider, 429, "Rate limit exceeded", headers)


def endpoint(name: str, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap `handler` as the Starlette endpoint for provider endpoint `name`."""

    async def run(request: Request) -> Response:
        ctx: Context = request.app.state.emulator
        header = request.headers.get(FAULT_HEADER)
        fault: str | None
        if header:
            fault = header.strip().lower()
            try:
                check_fault(name, fault)
            except FaultError as exc:
                response: Response = JSONResponse({"error": f"emulator: {exc}"}, status_code=400)
                _record(Call(request, ctx, name, None), response)
                return response
        else:
            fault = ctx.state.faults.take(name)
        call = Call(request, ctx, name, fault)
        _describe(call)
        if fault in _BEFORE_HANDLER:
            response = _fault_before(call, fault)
        else:
            response = _fault_after(call, fault, await handler(call))
        _record(call, response)
        if fault == "timeout":
            await hold(request, ctx.state.config.timeout_delay_s)
        return response

    return run


def _describe(call: Call) -> None:
    """Fill in what the stats need before the handler runs, so requests answered by a fault
    (or rejected early) still count against their model."""
    params = call.request.path_params
    if call.endpoint in ("segmind.submit", "fal.submit"):
        call.phase = "submit"
        model = params.get("model") or params.get("endpoint_id")
        call.model = model if model in STATS_MODELS else None
    elif call.endpoint in _SUBMIT_MODELS:
        call.phase, call.model = "submit", _SUBMIT_MODELS[call.endpoint]
    elif call.endpoint in _POLL_PHASES:
        call.phase = _POLL_PHASES[call.endpoint]
        call.job_id = params.get("request_id") or params.get("task_id")
        job = call.state.jobs.get(call.job_id or "")
        call.model = job.model if job is not None else None


def _fault_before(call: Call, fault: str) -> Response:
    provider = call.provider
    if fault == "reset":
        return ResetResponse()
    if fault == "429":
        return too_many_requests(provider, time.time() + call.state.config.fault_retry_after_s)
    if fault == "notfound":
        ident = next(iter(call.request.path_params.values()), None) if call.request.path_params else None
        if provider == "files":
            message = "File not found"
        elif ident is None:
            message = "Not Found"
        else:
            message = f"{'Request' if provider == 'segmind' else 'Task'} {ident} not found"
        return provider_error(provider, 404, message)
    status = int(fault)
    return provider_error(provider, status, _SERVER_ERRORS[status])


def _fault_after(call: Call, fault: str | None, response: Response) -> Response:
    if fault == "drop-after-commit":
        return CutResponse(response, keep=min(16, len(response.body) // 3))
    if fault == "truncated":
        return CutResponse(response, keep=len(response.body) // 2)
    if fault == "malformed":
        body = bytes(response.body)
        garbage = body[: len(body) // 2] if body.startswith((b"{", b"[")) else b"<html><body>upstream hiccup"
        return Response(garbage, status_code=200, headers=_headers_without_body(response),
                        media_type="application/json")  # fmt: skip
    if fault == "missing-fields" and 200 <= response.status_code < 300:
        try:
            document = json.loads(bytes(response.body))
        except ValueError:
            return response
        return JSONResponse(_strip(document), status_code=response.status_code,
                            headers=_headers_without_body(response))  # fmt: skip
    return response


def _headers_without_body(response: Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")}


def _strip(document: Any) -> Any:
    if isinstance(document, list):
        return [_strip(item) for item in document]
    if not isinstance(document, dict):
        return document
    kept = {k: v for k, v in document.items() if k not in _REQUIRED_KEYS}
    if isinstance(kept.get("data"), dict):
        kept["data"] = _strip(kept["data"])
    return kept


def _record(call: Call, response: Response) -> None:
    status = None if isinstance(response, ResetResponse) else response.status_code
    call.state.record(
        RequestRecord(
            method=call.request.method,
            path=call.request.url.path,
            endpoint=call.endpoint,
            status_code=status,
            fault=call.fault,
            job_id=call.job_id,
            model=call.model,
            phase=call.phase,
            accepted=call.accepted,
            account=call.account,
            client=call.request.headers.get("x-client-id"),
        )
    )


def called_job(call: Call, provider: Provider, gate: Callable[[Call], Response | None]
               ) -> tuple[Job | None, Response | None]:
    """The job a status/result path names (`request_id`), once the provider's `gate` (auth, faults) lets the call
    through: (job or None when its record is gone, None), or (None, the gate's answer)."""
    request_id = call.request.path_params["request_id"]
    call.job_id = request_id
    if denied := gate(call):
        return None, denied
    assert call.account is not None
    return call.state.find_job(provider, request_id, call.account), None
