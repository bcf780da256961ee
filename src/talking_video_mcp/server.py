"""Wires the tool functions to MCP: names, descriptions, annotations, errors. No logic lives here."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

from mcp.server.mcpserver import (
    AcceptedElicitation,
    Context,
    Elicit,
    ElicitationResult,
    MCPServer,
    Resolve,
)
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, ResourceLink, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from talking_video_mcp import __version__, ui
from talking_video_mcp import params as p
from talking_video_mcp.errors import TalkingVideoError, redact
from talking_video_mcp.models import (
    AccountView,
    AvatarPresetList,
    JobList,
    JobStatus,
    JobView,
    MotionList,
    SoundList,
    VoiceList,
)
from talking_video_mcp.providers.unifically_catalog import MODEL_ADS, MODEL_IMAGE_VIDEO
from talking_video_mcp.runtime import AppState, app_state
from talking_video_mcp.schema import compact, shallow
from talking_video_mcp.settings import Settings
from talking_video_mcp.tools import account, catalog, jobs, prompts, speech, video

log = logging.getLogger(__name__)
T = TypeVar("T")

INSTRUCTIONS = (
    "Makes talking-head videos. Typical flow: list_voices and list_avatar_presets → generate_talking_video "
    "(returns a job at once; cloud jobs take 3–6 minutes, local ones about as long as the speech) → "
    "check_video_status with wait_seconds until completed → give the user video_path. Jobs are never paid "
    "twice: re-calling with the same arguments returns the same job."
)

# Hints left out take the spec's defaults (not read-only, not idempotent, open world).
READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
READ_REMOTE = ToolAnnotations(read_only_hint=True, idempotent_hint=True)
SPENDS = ToolAnnotations(destructive_hint=False)


class _Approval(BaseModel):
    approve: bool = Field(description="Submit the job despite the spend limit")


def _state(ctx: Context) -> AppState:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, AppState)
    return state


async def _guarded(ctx: Context, call: Awaitable[T]) -> T:
    """Typed errors become one clean tool error; secrets never leave."""
    try:
        result = await call
    except TalkingVideoError as exc:
        raise ToolError(redact(str(exc), _state(ctx).settings.secrets())) from None
    if isinstance(result, JobView):
        return cast(T, _with_links(result))
    return result


def _with_links(view: JobView) -> CallToolResult:
    """The job as structured content, plus resource links to the job and to its finished file.

    The SDK accepts a CallToolResult from a tool and still validates it against the JobView
    outputSchema, so the declared return type stays JobView."""
    data = view.model_dump(mode="json")
    content: list[Any] = [TextContent(type="text", text=view.model_dump_json(exclude_none=True))]
    content.append(ResourceLink(type="resource_link", uri=view.resource_uri, name=f"job {view.job_id}",
                                mime_type="application/json"))
    for path, mime in ((view.video_path, "video/mp4"), (view.audio_path, "audio/wav")):
        if path and Path(path).is_file() and view.status == "completed":
            content.append(ResourceLink(type="resource_link", uri=Path(path).as_uri(), name=Path(path).name,
                                        mime_type=mime, size=Path(path).stat().st_size))
    return CallToolResult(content=content, structured_content=data)


def _progress(ctx: Context) -> Callable[[float, str], Awaitable[None]]:
    async def report(fraction: float, message: str) -> None:
        await ctx.report_progress(fraction, 1.0, message)

    return report


class _NotAsked(BaseModel):
    """Resolver result when the spend guard has nothing to ask (or the client cannot be asked)."""


async def _ask_spend(ctx: Context, model: str, params: dict[str, Any]) -> Elicit[_Approval] | _NotAsked:
    """Before a tool body runs: ask the user (MCP elicitation) when the job is over a spend limit."""
    caps = ctx.client_capabilities
    if params.get("dry_run") or caps is None or caps.elicitation is None:
        return _NotAsked()
    state = _state(ctx)
    try:
        guard = await video.spend_check(state, video.estimate(state, model, params))
    except TalkingVideoError:
        return _NotAsked()  # the tool body reports the problem
    if not guard:
        return _NotAsked()
    return Elicit(f"{guard} Submit it anyway?", _Approval)


async def _ask_talking(
    ctx: Context, model: str | None = None, quality: str | None = None, duration: int | None = None,
    script: str | None = None, dry_run: bool = False,
) -> Elicit[_Approval] | _NotAsked:
    try:
        chosen = video.talking_model(_state(ctx), model)
    except TalkingVideoError:
        return _NotAsked()
    params = {"quality": quality, "duration": duration, "script": script, "dry_run": dry_run}
    return await _ask_spend(ctx, chosen, params)


async def _ask_speech(
    ctx: Context, provider: str | None = None, voice_id: str | None = None, dry_run: bool = False
) -> Elicit[_Approval] | _NotAsked:
    try:
        chosen = speech.speech_model(_state(ctx), provider, voice_id)
    except TalkingVideoError:
        return _NotAsked()
    return await _ask_spend(ctx, chosen, {"dry_run": dry_run})


async def _ask_image_video(ctx: Context, model: str = "lite", dry_run: bool = False) -> Elicit[_Approval] | _NotAsked:
    return await _ask_spend(ctx, MODEL_IMAGE_VIDEO, {"variant": model, "dry_run": dry_run})


async def _ask_ad(ctx: Context, dry_run: bool = False) -> Elicit[_Approval] | _NotAsked:
    return await _ask_spend(ctx, MODEL_ADS, {"dry_run": dry_run})


def _answer(approval: Any) -> bool | None:
    """The user's answer: True/False, or None when nobody was asked."""
    if isinstance(approval, AcceptedElicitation):
        data = approval.data
        return bool(data.approve) if isinstance(data, _Approval) else None
    return False


def build_server(settings: Settings | None = None, *, gallery: bool = False) -> MCPServer[AppState]:
    """The MCP server; `gallery=True` (the HTTP transport) also serves the job gallery at `/`."""
    settings = settings or Settings()
    higgsfield_tools = bool(settings.unifically_api_key) or settings.sandbox

    state_ref = ui.StateRef()  # the gallery's HTTP routes read the lifespan's AppState through it

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        async with app_state(settings) as state:
            with state_ref.bind(state):
                yield state

    mcp: MCPServer[AppState] = MCPServer(
        "talking-video-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
        extensions=[ui.player_app()],
        log_level=settings.log_level.upper() if settings.log_level.upper() in _LEVELS else "INFO",  # type: ignore[arg-type]
    )

    def higgsfield_tool(annotations: ToolAnnotations) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Without a Unifically key these tools could only ever answer an error: they stay out of tools/list
        (left unregistered, so start-up does not build their schemas either)."""
        if higgsfield_tools:
            return mcp.tool(annotations=annotations)
        return lambda fn: fn

    @mcp.tool(annotations=SPENDS, meta=ui.PLAYER_TOOL_META)
    async def generate_talking_video(
        ctx: Context,
        approval: Annotated[ElicitationResult[_Approval], Resolve(_ask_talking)],
        model: p.Model = None,
        image: p.Image = None,
        avatar_preset_id: p.AvatarPresetId = None,
        audio: p.Audio = None,
        audio_task_id: p.AudioTaskId = None,
        script: p.Script = None,
        voice_id: p.VoiceId = None,
        prompt: p.Prompt = None,
        quality: p.Quality = None,
        enhance_prompt: p.EnhancePrompt = None,
        seed: p.Seed = None,
        duration: p.Duration = None,
        video_title: p.VideoTitle = None,
        video_orientation: p.Orientation = None,
        fit: p.Fit = None,
        custom_motion_prompt: p.MotionPrompt = None,
        enhance_custom_motion_prompt: p.EnhanceMotion = None,
        resolution: p.Resolution = None,
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> JobView:
        """Start a talking-head video job from a face (image or avatar_preset_id) and speech (audio, or
        script + voice_id). Returns a job_id at once; follow it with check_video_status. Parameters that do not
        apply to the chosen model are refused with a clear error. Cloud models cost money: use dry_run to see
        the estimate."""
        params: dict[str, Any] = {
            k: v for k, v in locals().items() if k not in ("ctx", "approval") and not k.startswith("_")
        }
        return await _guarded(ctx, video.generate_talking_video(
            _state(ctx), params, approved=_answer(approval), progress=_progress(ctx)
        ))

    @mcp.tool(annotations=SPENDS)
    async def text_to_speech(
        ctx: Context,
        approval: Annotated[ElicitationResult[_Approval], Resolve(_ask_speech)],
        text: p.Text,
        voice_id: p.VoiceId = None,
        provider: p.SpeechProvider = None,
        sound_id: p.SoundId = None,
        similarity_boost: p.SimilarityBoost = None,
        style: p.Style = None,
        speed: p.Speed = None,
        stability: p.Stability = None,
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> JobView:
        """Speech audio from text, as a job. The result's audio_path (or audio_task_id for unifically) can be the
        audio of generate_talking_video."""
        params = {k: v for k, v in locals().items() if k not in ("ctx", "approval")}
        return await _guarded(ctx, speech.text_to_speech(_state(ctx), params, approved=_answer(approval),
                                                         progress=_progress(ctx)))

    @higgsfield_tool(SPENDS)
    async def generate_video_from_image(
        ctx: Context,
        approval: Annotated[ElicitationResult[_Approval], Resolve(_ask_image_video)],
        image: p.StartImage,
        prompt: p.MotionPromptReq,
        model: p.ImageVideoModel = "lite",
        motion_id: p.MotionId = None,
        end_image: p.EndImage = None,
        enhance_prompt: p.EnhancePrompt = None,
        seed: p.Seed = None,
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> JobView:
        """Higgsfield image→video (Unifically): animate a still image, optionally with a motion template."""
        params = {k: v for k, v in locals().items() if k not in ("ctx", "model", "approval")}
        params["variant"] = model
        return await _guarded(ctx, video.submit_job(_state(ctx), MODEL_IMAGE_VIDEO, params,
                                                    approved=_answer(approval), progress=_progress(ctx)))

    @higgsfield_tool(SPENDS)
    async def generate_product_ad(
        ctx: Context,
        approval: Annotated[ElicitationResult[_Approval], Resolve(_ask_ad)],
        product_placement_sample_id: p.SampleId,
        images: p.ProductImages,
        size: p.AdSize = "1024x1024",
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> JobView:
        """Higgsfield product ad video (Unifically) from product images and an ad template id."""
        params = {k: v for k, v in locals().items() if k not in ("ctx", "approval")}
        return await _guarded(ctx, video.submit_job(_state(ctx), MODEL_ADS, params, approved=_answer(approval),
                                                    progress=_progress(ctx)))

    @mcp.tool(annotations=READ_ONLY, meta=ui.PLAYER_TOOL_META)
    async def check_video_status(ctx: Context, job_id: p.JobId, wait_seconds: p.WaitSeconds = 0) -> JobView:
        """State, progress and result of a job. With wait_seconds, waits (sending progress) until the job
        finishes or the time is up. A completed job has video_path, a local MP4."""
        return await _guarded(ctx, jobs.check_video_status(_state(ctx), job_id, wait_seconds, _progress(ctx)))

    @mcp.tool(annotations=READ_REMOTE)
    async def list_voices(
        ctx: Context,
        provider: p.ProviderFilter = None,
        search: p.Search = None,
        gender: p.Gender = None,
        language: p.Language = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> VoiceList:
        """Voices for script-driven videos and text_to_speech, from every configured provider. Pass a voice's
        voice_id with a model listed in its models."""
        return await _guarded(ctx, catalog.list_voices(
            _state(ctx), provider=provider, search=search, gender=gender, language=language, limit=limit,
            cursor=cursor,
        ))

    @mcp.tool(annotations=READ_REMOTE)
    async def list_avatar_presets(
        ctx: Context,
        provider: p.ProviderFilter = None,
        search: p.Search = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> AvatarPresetList:
        """Ready-made faces. Pass avatar_preset_id to generate_talking_video instead of an image."""
        return await _guarded(ctx, catalog.list_avatar_presets(
            _state(ctx), provider=provider, search=search, limit=limit, cursor=cursor
        ))

    @higgsfield_tool(READ_REMOTE)
    async def list_motions(ctx: Context, search: p.Search = None, limit: p.Limit = 20, cursor: p.Cursor = None
                           ) -> MotionList:
        """Higgsfield motion templates (Unifically) for generate_video_from_image."""
        return await _guarded(ctx, catalog.list_motions(_state(ctx), search=search, limit=limit, cursor=cursor))

    @higgsfield_tool(READ_REMOTE)
    async def list_sounds(ctx: Context, search: p.Search = None, limit: p.Limit = 20, cursor: p.Cursor = None
                          ) -> SoundList:
        """Higgsfield sound templates (Unifically) for text_to_speech's sound_id."""
        return await _guarded(ctx, catalog.list_sounds(_state(ctx), search=search, limit=limit, cursor=cursor))

    @mcp.tool(annotations=READ_ONLY)
    async def list_jobs(
        ctx: Context,
        status: JobStatus | None = None,
        model: p.Model = None,
        limit: p.Limit = 20,
        cursor: p.Cursor = None,
    ) -> JobList:
        """Jobs in the ledger, newest first, with status and result paths."""
        return await _guarded(ctx, jobs.list_jobs(_state(ctx), status=status, model=model, limit=limit, cursor=cursor))

    @mcp.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True, idempotent_hint=True))
    async def cancel_job(ctx: Context, job_id: p.JobId) -> JobView:
        """Stop a job: local renders stop at once; for cloud jobs polling stops, but the provider has no cancel
        endpoint and may still bill."""
        return await _guarded(ctx, jobs.cancel_job(_state(ctx), job_id))

    @mcp.tool(annotations=READ_REMOTE)
    async def get_account(ctx: Context) -> AccountView:
        """Credits/balance per provider, the price table, the spend limits and today's budget left."""
        return await _guarded(ctx, account.get_account(_state(ctx)))

    @mcp.resource("video://jobs/{job_id}", name="job", mime_type="application/json",
                  description="A job of the ledger as JSON (status, progress, result paths)")
    async def job_resource(job_id: str, ctx: Context) -> str:
        state = _state(ctx)
        try:
            job = await jobs.get_job(state, job_id)
        except TalkingVideoError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return jobs.view(state, job).model_dump_json(indent=2)

    @mcp.prompt(title="Make a talking video")
    def make_talking_video(topic: str, length_seconds: int = 10, tone: str = "friendly") -> str:
        """Write a script of the right length, pick a voice and a face, check the cost, then submit and poll."""
        return prompts.make_talking_video(topic, length_seconds, tone)

    if gallery:
        from talking_video_mcp.ui.gallery import add_gallery_routes

        add_gallery_routes(mcp, state_ref)
    _compact_schemas(mcp)
    return mcp


def _compact_schemas(mcp: MCPServer[AppState]) -> None:
    """Smaller tools/list (see schema.py); argument validation still uses the full pydantic models."""
    for tool in mcp._tool_manager.list_tools():
        tool.description = " ".join(tool.description.split())
        tool.parameters = compact(tool.parameters, optional_nulls=True)
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = shallow(tool.fn_metadata.output_schema)
            tool.__dict__.pop("output_schema", None)



_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
