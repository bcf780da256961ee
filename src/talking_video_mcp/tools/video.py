"""Submitting a job, for every tool that makes one: dedupe, prepare (resolve inputs, validate per model,
estimate), guard the spend, write the job, hand it to the runner. One pass, typed from the tool boundary."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time

import anyio

from talking_video_mcp.domain.advice import script_length, spend_refusal_advice
from talking_video_mcp.domain.provider import PreparedJob
from talking_video_mcp.domain.records import NewJob
from talking_video_mcp.domain.requests import SpeechArgs, SubmitOptions, TalkingVideoArgs, ToolArgs, dump_request
from talking_video_mcp.errors import InvalidInput, SpendRefused
from talking_video_mcp.media.inputs import form_of
from talking_video_mcp.models import JobView
from talking_video_mcp.providers.registry import FREE_MODEL
from talking_video_mcp.services import Services
from talking_video_mcp.tools.fair_share import check_active
from talking_video_mcp.tools.jobs import Progress, check_video_status
from talking_video_mcp.tools.uploads import from_uploads
from talking_video_mcp.tts.textclean import clean_script

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


def dry_run_view(prepared: PreparedJob, guard: str | None, unpriced: str | None = None) -> JobView:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    cost = prepared.cost_estimate_usd
    # Says what a submit does: over a limit, it is refused unless the user approves it when asked; a model whose
    # price is unknown is refused until the operator sets it.
    price = f"${cost or 0:.2f}"
    if unpriced:
        submit = f"Nothing was submitted: its price is unknown, so a submit would be refused. {unpriced}"
    elif guard:
        submit = (f"Nothing was submitted (estimated {price}). A submit would be refused: {guard} Only a client that "
                  "can ask the user (MCP elicitation) submits it, once the user approves.")
    else:
        submit = f"Nothing was submitted. Call again without dry_run to submit (estimated {price})."
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
        next_step=submit,
    )


def _public_request(prepared: PreparedJob) -> dict[str, object]:
    """The validated request without bulky data: inputs as URLs or local paths only."""
    out = dump_request(prepared.request)
    out["inputs"] = {name: spec.location for name, spec in prepared.request.inputs.items() if spec is not None}
    return out


def model_of_kind(state: Services, kind: str) -> str:
    """The model of a tool that only one kind of model serves (image→video, product ads)."""
    specs = state.registry.specs(kind)
    if not specs:
        raise InvalidInput("model", f"no provider of this server makes {kind.replace('_', ' ')} videos.")
    return specs[0].model_id


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
    chosen = talking_model(state, model)
    args = state.registry.check_arguments(chosen, args)
    _no_server_files(state, args)
    if args.script is not None and not args.script.strip() and not (args.audio or args.audio_task_id):
        raise InvalidInput("script", "is empty; write the words the face should say (or pass audio instead).")
    args = await from_uploads(state, args)
    args = await _speech_from_job(state, chosen, args)
    return await submit_job(state, chosen, args, options, approved=approved, progress=progress)


def _no_server_files(state: Services, args: TalkingVideoArgs) -> None:
    """A signed-in (OAuth) user works from another machine: the files on the server are not theirs to name, so
    their photo and speech come as URLs or data: URLs (and speech made here by its job id)."""
    if state.owner is None:
        return
    for field, value in (("image", args.image), ("audio", args.audio)):
        if value and value.strip() and form_of(value.strip()) == "file":
            raise InvalidInput(field, "names a file path, and files on the server are not read for signed-in "
                               "remote users; send an https URL, a data: URL or an upload:// id from create_upload "
                               "(speech made by text_to_speech: its job_id as audio_task_id).")


async def _speech_from_job(state: Services, model: str, args: TalkingVideoArgs) -> TalkingVideoArgs:
    """`audio_task_id` may name a finished text_to_speech job of the ledger: it becomes what the model takes,
    the provider's own speech task (when the model's provider made it) or the job's audio file (every other
    model). Anything else is taken as a provider task id and left to the model to judge."""
    ref = (args.audio_task_id or "").strip()
    # Only the caller's own jobs: another user's speech job reads as a provider task id, like an unknown one.
    job = await anyio.to_thread.run_sync(lambda: state.store.get(ref, owner=state.owner_id)) if ref else None
    provider = state.registry.spec(model).provider
    own_tasks = state.registry.speech_model(provider) is not None and provider != FREE_MODEL
    if job is None:
        if ref and not own_tasks:
            raise InvalidInput("audio_task_id", f"{ref!r} is not a job of this server; pass the job_id of a finished "
                               "text_to_speech job, or its audio_path as audio.")
        return args
    if job.kind != "speech":
        raise InvalidInput("audio_task_id", f"job {ref} made a {job.kind.replace('_', ' ')}, not speech; pass the "
                           "job_id of a text_to_speech job (or its audio_path as audio).")
    if job.active:
        raise InvalidInput("audio_task_id", f"text_to_speech job {ref} is {job.status}, not completed yet; wait for "
                           "it with check_video_status and call again once it has an audio_path.")
    if job.status != "completed":
        raise InvalidInput("audio_task_id", f"text_to_speech job {ref} ended {job.status} without audio; make the "
                           "speech again with text_to_speech.")
    if args.audio:
        raise InvalidInput("audio", "give either audio or audio_task_id, not both.")
    task = job.state.get("audio_task_id")
    if own_tasks:
        if not task or job.provider != provider:
            by = "offline" if job.provider == FREE_MODEL else f"by {job.provider}"
            raise InvalidInput("audio_task_id", f"job {ref} was spoken {by} and {model} takes speech only as a public "
                               f"https URL or a text_to_speech job of provider='{provider}'.")
        return args.model_copy(update={"audio_task_id": str(task)})
    audio = job.audio_path or job.output_url
    if not audio:
        raise InvalidInput("audio_task_id", f"text_to_speech job {ref} has no audio file left; make the speech again.")
    return args.model_copy(update={"audio_task_id": None, "audio": audio})


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
    if state.owner is not None and not options.dry_run:
        active = await anyio.to_thread.run_sync(state.store.active_jobs)
        check_active(state.owner.id, active, state.settings.user_max_active_jobs, time_scale=state.settings.time_scale)
    prepared = _checked_length(await provider.prepare(model, args), dry_run=options.dry_run)
    # A model whose price nobody knows is refused outright (no approval can make an estimate of it).
    unpriced = state.registry.spec(model).unpriced
    guard = None if unpriced else await spend_check(state, prepared.cost_estimate_usd)
    if options.dry_run:
        return dry_run_view(prepared, guard, unpriced)
    if unpriced:
        raise SpendRefused(f"{unpriced.rstrip(' .')}. Nothing was submitted.")
    if guard and approved is not True:
        cheaper = state.registry.cheaper_options(model, args)
        how = "The user declined." if approved is False else spend_refusal_advice(cheaper)
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
    later, when the job is stored or shown. Text to be spoken must hold a word: punctuation or emoji alone
    would fail in the speech step, after the job had started."""
    for name, value in args:
        for text in value if isinstance(value, list) else [value]:
            if isinstance(text, str) and any("\ud800" <= ch <= "\udfff" for ch in text):
                raise InvalidInput(name, "contains an invalid character (a lone UTF-16 surrogate); send plain text.")
    spoken = {"text": args.text} if isinstance(args, SpeechArgs) else (
        {"script": args.script} if isinstance(args, TalkingVideoArgs) else {})
    for name, text in spoken.items():
        if text and text.strip() and not any(ch.isalnum() for ch in clean_script(text)):
            raise InvalidInput(name, "has no word to speak (only punctuation, symbols, emoji or markup); send the "
                               "sentence to be spoken.")


def _checked_length(prepared: PreparedJob, *, dry_run: bool) -> PreparedJob:
    """A script for a model with a fixed duration is measured before the job starts: one that certainly runs
    past the duration is refused (a dry run says so in a warning), one that likely does gets a warning."""
    tts = prepared.request.tts
    if tts is None or tts.max_seconds is None:
        return prepared
    note, certain = script_length(tts.script, tts.max_seconds, prepared.model)
    if note is None:
        return prepared
    if certain and not dry_run:
        raise InvalidInput("script", f"{note}.")
    verdict = " (a submit is refused)" if certain else " (the video may cut it off)"
    warning = f"script: {note}{verdict}."
    request = prepared.request.model_copy(update={"warnings": (*prepared.request.warnings, warning)})
    return dataclasses.replace(prepared, request=request)


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
