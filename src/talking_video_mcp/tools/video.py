"""generate_talking_video: validate, estimate, guard the spend, write the job, hand it to the runner."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from typing import Any

import anyio

from talking_video_mcp.errors import InvalidInput, SpendRefused
from talking_video_mcp.models import JobView
from talking_video_mcp.providers.base import PreparedJob
from talking_video_mcp.runtime import AppState
from talking_video_mcp.tools.jobs import Progress, check_video_status

DUPLICATE_WINDOW_S = 600.0
# Parameters that shape the provider request; the rest (waits, keys) do not make a job different.
_CONTROL_PARAMS = frozenset({"dry_run", "wait_seconds", "idempotency_key", "force_new"})



def request_hash(model: str, params: Mapping[str, Any]) -> str:
    significant = {k: v for k, v in params.items() if v is not None and k not in _CONTROL_PARAMS}
    blob = json.dumps({"model": model, **significant}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def start_of_day_utc(now: float) -> float:
    """The daily budget resets at midnight UTC."""
    return now - (now % 86400)


def estimate(state: AppState, model: str, params: Mapping[str, Any]) -> float | None:
    """The cost estimate from parameters alone: cheap enough to run before asking the user."""
    spec = state.registry.spec(model)
    return state.registry.providers[spec.provider].estimate_cost(model, params)


async def spend_check(state: AppState, cost: float | None) -> str | None:
    """A sentence explaining why the spend guard would refuse this job, or None."""
    cost = cost or 0.0
    if cost <= 0:
        return None
    cap = state.settings.max_job_cost_usd
    if cost > cap:
        return (
            f"This job is estimated at ${cost:.2f}, above the per-job limit of ${cap:.2f} "
            "(TALKING_VIDEO_MAX_JOB_COST_USD)."
        )
    spent = await anyio.to_thread.run_sync(state.store.spent_since, start_of_day_utc(time.time()))
    budget = state.settings.daily_budget_usd
    if spent + cost > budget:
        return (
            f"This job is estimated at ${cost:.2f}; ${spent:.2f} of today's ${budget:.2f} budget "
            "(TALKING_VIDEO_DAILY_BUDGET_USD) is already committed."
        )
    return None


def dry_run_view(prepared: PreparedJob, guard: str | None) -> JobView:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cost = prepared.cost_estimate_usd
    verdict = f" The spend guard would ask first: {guard}" if guard else ""
    return JobView(
        job_id="dry-run",
        model=prepared.model,
        kind=prepared.kind,
        status="dry_run",
        progress=0.0,
        created_at=now,
        updated_at=now,
        resource_uri="video://jobs/dry-run",
        cost_estimate_usd=cost,
        request=_public_request(prepared.request),
        next_step=(
            f"Nothing was submitted. Call again without dry_run to submit (estimated ${cost or 0:.2f}).{verdict}"
        ),
    )


def _public_request(request: Mapping[str, Any]) -> dict[str, Any]:
    """The validated request without bulky data: URLs and local paths only."""
    out = dict(request)
    inputs = {}
    for name, spec in (request.get("inputs") or {}).items():
        if spec:
            inputs[name] = spec.get("url") or spec.get("path")
    out["inputs"] = inputs
    return out


async def generate_talking_video(
    state: AppState,
    params: Mapping[str, Any],
    *,
    approved: bool | None = None,
    progress: Progress | None = None,
) -> JobView:
    model = talking_model(state, params.get("model"))
    return await submit_job(state, model, params, approved=approved, progress=progress)


def talking_model(state: AppState, model: str | None) -> str:
    model = model or state.registry.default_model()
    if state.registry.spec(model).kind != "talking_video":
        raise InvalidInput("model", f"{model!r} does not make talking videos.")
    return model


async def submit_job(
    state: AppState,
    model: str,
    params: Mapping[str, Any],
    *,
    approved: bool | None = None,
    progress: Progress | None = None,
) -> JobView:
    """`approved`: the user's answer when the spend guard asked (None: not asked).

    Every paid or local job goes through here: dedupe, validate, guard the spend, write, wake the runner."""
    provider = state.registry.provider_for(model)
    key = params.get("idempotency_key")
    digest = request_hash(model, params)
    if key and not params.get("dry_run"):
        existing = await anyio.to_thread.run_sync(state.store.find_by_idempotency_key, key)
        if existing is not None:
            if existing.request_hash != digest:
                raise InvalidInput(
                    "idempotency_key", f"was already used for a different request (job {existing.id}); use a new key."
                )
            return await _after_submit(state, existing.id, params, progress, reused=True)
    elif not params.get("force_new") and not params.get("dry_run"):
        existing = await anyio.to_thread.run_sync(state.store.find_recent_duplicate, digest, DUPLICATE_WINDOW_S)
        if existing is not None:
            return await _after_submit(state, existing.id, params, progress, reused=True)

    prepared = await provider.prepare(model, params)
    guard = await spend_check(state, prepared.cost_estimate_usd)
    if params.get("dry_run"):
        return dry_run_view(prepared, guard)
    if guard and approved is not True:
        how = (
            "The user declined." if approved is False
            else "Ask the user to raise the limit, or pick a cheaper option (quality='mid', a shorter "
            "duration, or model='local' which is free)."
        )
        raise SpendRefused(f"{guard} Nothing was submitted. {how}")
    job = await anyio.to_thread.run_sync(
        lambda: state.store.create(
            model=prepared.model, provider=prepared.provider, kind=prepared.kind, request=prepared.request,
            cost_estimate_usd=prepared.cost_estimate_usd, idempotency_key=key, request_hash=digest,
            step=prepared.first_step,
        )
    )
    state.runner.wake()
    return await _after_submit(state, job.id, params, progress, reused=False)


async def _after_submit(
    state: AppState, job_id: str, params: Mapping[str, Any], progress: Progress | None, *, reused: bool
) -> JobView:
    result = await check_video_status(state, job_id, float(params.get("wait_seconds") or 0), progress)
    if reused:
        result.reused_existing_job = True
        result.next_step = (
            "This is the job already made for the same request (nothing was paid again). "
            + result.next_step
            + " Pass force_new=true for a second, separately billed job."
        )
    return result
