"""Submitting a job, for every tool that makes one: dedupe, prepare (resolve inputs, validate per model,
estimate), guard the spend, write the job, hand it to the runner. One pass, typed from the tool boundary."""

from __future__ import annotations

import hashlib
import json
import time

import anyio

from talking_video_mcp.domain.provider import PreparedJob
from talking_video_mcp.domain.records import NewJob
from talking_video_mcp.domain.requests import SubmitOptions, TalkingVideoArgs, ToolArgs, dump_request
from talking_video_mcp.errors import InvalidInput, SpendRefused
from talking_video_mcp.models import JobView
from talking_video_mcp.services import Services
from talking_video_mcp.tools.jobs import Progress, check_video_status

DUPLICATE_WINDOW_S = 600.0


def request_hash(model: str, args: ToolArgs) -> str:
    """Same model, same arguments: the same job (submit options such as waits and keys do not count)."""
    blob = json.dumps({"model": model, **args.model_dump(mode="json", exclude_none=True)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def start_of_day_utc(now: float) -> float:
    """The daily budget resets at midnight UTC."""
    return now - (now % 86400)


def estimate(state: Services, model: str, args: ToolArgs) -> float | None:
    """The cost estimate from the arguments alone: cheap enough to run before asking the user."""
    spec = state.registry.spec(model)
    return state.registry.providers[spec.provider].estimate_cost(model, args)


async def spend_check(state: Services, cost: float | None) -> str | None:
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
    since = start_of_day_utc(time.time())
    user_budget = state.settings.user_daily_budget_usd
    if state.owner is not None and user_budget is not None:
        mine = await anyio.to_thread.run_sync(lambda: state.store.spent_since(since, owner=state.owner_id))
        if mine + cost > user_budget:
            return (
                f"This job is estimated at ${cost:.2f}; ${mine:.2f} of your ${user_budget:.2f} daily budget "
                "(TALKING_VIDEO_USER_DAILY_BUDGET_USD) is already committed."
            )
    spent = await anyio.to_thread.run_sync(state.store.spent_since, since)
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
        request=_public_request(prepared),
        voice_id=prepared.request.display.voice_id,
        warnings=list(prepared.request.warnings) or None,
        next_step=(
            f"Nothing was submitted. Call again without dry_run to submit (estimated ${cost or 0:.2f}).{verdict}"
        ),
    )


def _public_request(prepared: PreparedJob) -> dict[str, object]:
    """The validated request without bulky data: inputs as URLs or local paths only."""
    out = dump_request(prepared.request)
    out["inputs"] = {name: spec.location for name, spec in prepared.request.inputs.items() if spec is not None}
    return out


def talking_model(state: Services, model: str | None) -> str:
    model = model or state.registry.default_model()
    if state.registry.spec(model).kind != "talking_video":
        raise InvalidInput("model", f"{model!r} does not make talking videos.")
    return model


async def generate_talking_video(
    state: Services,
    model: str | None,
    args: TalkingVideoArgs,
    options: SubmitOptions,
    *,
    approved: bool | None = None,
    progress: Progress | None = None,
) -> JobView:
    return await submit_job(state, talking_model(state, model), args, options, approved=approved, progress=progress)


async def submit_job(
    state: Services,
    model: str,
    args: ToolArgs,
    options: SubmitOptions,
    *,
    approved: bool | None = None,
    progress: Progress | None = None,
) -> JobView:
    """`approved`: the user's answer when the spend guard asked (None: not asked).

    Every paid or local job goes through here: dedupe, prepare, guard the spend, write, wake the runner."""
    provider = state.registry.provider_for(model)
    _check_text(args)
    digest = request_hash(model, args)
    if not options.dry_run:
        existing_id = await _existing_job(state, digest, options)
        if existing_id is not None:
            return await _after_submit(state, existing_id, options, progress, reused=True)
    prepared = await provider.prepare(model, args)
    guard = await spend_check(state, prepared.cost_estimate_usd)
    if options.dry_run:
        return dry_run_view(prepared, guard)
    if guard and approved is not True:
        how = (
            "The user declined." if approved is False
            else "Ask the user to raise the limit, or pick a cheaper option (quality='mid', a shorter "
            "duration, or model='local' which is free)."
        )
        raise SpendRefused(f"{guard} Nothing was submitted. {how}")
    new = NewJob(
        request=prepared.request, provider=prepared.provider, kind=prepared.kind,
        cost_estimate_usd=prepared.cost_estimate_usd, idempotency_key=options.idempotency_key,
        request_hash=digest, step=prepared.first_step, owner=state.owner,
    )
    job = await anyio.to_thread.run_sync(state.store.create, new)
    state.runner.wake()
    return await _after_submit(state, job.id, options, progress, reused=False)


def _check_text(args: ToolArgs) -> None:
    """Every text argument must be valid Unicode: a lone surrogate (valid JSON, not valid UTF-8) would fail
    later, when the job is stored or shown."""
    for name, value in args:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and any("\ud800" <= ch <= "\udfff" for ch in text):
                raise InvalidInput(name, "contains an invalid character (a lone UTF-16 surrogate); send plain text.")


async def _existing_job(state: Services, digest: str, options: SubmitOptions) -> str | None:
    """The job already made for this request: by idempotency key, or an identical one of the last 10 min."""
    key = options.idempotency_key
    if key:
        existing = await anyio.to_thread.run_sync(
            lambda: state.store.find_by_idempotency_key(key, owner=state.owner_id))
        if existing is not None and existing.request_hash != digest:
            raise InvalidInput(
                "idempotency_key", f"was already used for a different request (job {existing.id}); use a new key."
            )
    elif options.force_new:
        return None
    else:
        existing = await anyio.to_thread.run_sync(
            lambda: state.store.find_recent_duplicate(digest, DUPLICATE_WINDOW_S, owner=state.owner_id))
    return existing.id if existing is not None else None


async def _after_submit(
    state: Services, job_id: str, options: SubmitOptions, progress: Progress | None, *, reused: bool
) -> JobView:
    result = await check_video_status(state, job_id, options.wait_seconds, progress)
    if reused:
        result.reused_existing_job = True
        result.next_step = (
            "This is the job already made for the same request (nothing was paid again). "
            + result.next_step
            + " Pass force_new=true for a second, separately billed job."
        )
    return result
