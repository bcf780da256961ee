"""Wires the tool functions to MCP: names, descriptions, annotations, errors. No logic lives here."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from talking_video_mcp import __version__
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
from talking_video_mcp.schema import compact
from talking_video_mcp.settings import Settings
from talking_video_mcp.tools import account, catalog, jobs, speech, video

log = logging.getLogger(__name__)
T = TypeVar("T")

INSTRUCTIONS = (
    "Makes talking-head videos. Typical flow: list_voices and list_avatar_presets → generate_talking_video "
    "(returns a job at once; cloud jobs take 3–6 minutes, local ones about as long as the speech) → "
    "check_video_status with wait_seconds until completed → give the user video_path. Jobs are never paid "
    "twice: re-calling with the same arguments returns the same job."
)

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
READ_REMOTE = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=True)
SPENDS = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=True)


class _Approval(BaseModel):
    approve: bool = Field(description="Submit the job despite the spend limit")


def _state(ctx: Context) -> AppState:
    state = ctx.request_context.lifespan_context
    assert isinstance(state, AppState)
    return state


async def _guarded(ctx: Context, call: Awaitable[T]) -> T:
    """Typed errors become one clean tool error; secrets never leave."""
    try:
        return await call
    except TalkingVideoError as exc:
        raise ToolError(redact(str(exc), _state(ctx).settings.secrets())) from None


def _progress(ctx: Context) -> Callable[[float, str], Awaitable[None]]:
    async def report(fraction: float, message: str) -> None:
        await ctx.report_progress(fraction, 1.0, message)

    return report


def _approver(ctx: Context) -> Callable[[str], Awaitable[bool | None]]:
    async def ask(message: str) -> bool | None:
        caps = ctx.client_capabilities
        if caps is None or caps.elicitation is None:
            return None
        try:
            result = await ctx.elicit(message, _Approval)
        except Exception:  # a client that advertises elicitation but fails it: treat as "cannot ask"
            log.info("elicitation failed; treating the spend as not approved", exc_info=True)
            return None
        if result.action == "accept":
            return bool(result.data.approve)
        return False

    return ask


def build_server(settings: Settings | None = None) -> MCPServer[AppState]:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(_: MCPServer[AppState]) -> AsyncIterator[AppState]:
        async with app_state(settings) as state:
            yield state

    mcp: MCPServer[AppState] = MCPServer(
        "talking-video-mcp", version=__version__, instructions=INSTRUCTIONS, lifespan=lifespan,
        log_level=settings.log_level.upper() if settings.log_level.upper() in _LEVELS else "INFO",  # type: ignore[arg-type]
    )

    @mcp.tool(annotations=SPENDS)
    async def generate_talking_video(
        ctx: Context,
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
            k: v for k, v in locals().items() if k not in ("ctx",) and not k.startswith("_")
        }
        return await _guarded(
            ctx, video.generate_talking_video(_state(ctx), params, approve=_approver(ctx), progress=_progress(ctx))
        )

    @mcp.tool(annotations=SPENDS)
    async def text_to_speech(
        ctx: Context,
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
        params = {k: v for k, v in locals().items() if k != "ctx"}
        return await _guarded(ctx, speech.text_to_speech(_state(ctx), params, approve=_approver(ctx),
                                                         progress=_progress(ctx)))

    @mcp.tool(annotations=SPENDS)
    async def generate_video_from_image(
        ctx: Context,
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
        params = {k: v for k, v in locals().items() if k not in ("ctx", "model")}
        params["variant"] = model
        return await _guarded(ctx, video.submit_job(_state(ctx), MODEL_IMAGE_VIDEO, params, approve=_approver(ctx),
                                                    progress=_progress(ctx)))

    @mcp.tool(annotations=SPENDS)
    async def generate_product_ad(
        ctx: Context,
        product_placement_sample_id: p.SampleId,
        images: p.ProductImages,
        size: p.AdSize = "1024x1024",
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> JobView:
        """Higgsfield product ad video (Unifically) from product images and an ad template id."""
        params = {k: v for k, v in locals().items() if k != "ctx"}
        return await _guarded(ctx, video.submit_job(_state(ctx), MODEL_ADS, params, approve=_approver(ctx),
                                                    progress=_progress(ctx)))

    @mcp.tool(annotations=READ_ONLY)
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

    @mcp.tool(annotations=READ_REMOTE)
    async def list_motions(ctx: Context, search: p.Search = None, limit: p.Limit = 20, cursor: p.Cursor = None
                           ) -> MotionList:
        """Higgsfield motion templates (Unifically) for generate_video_from_image."""
        return await _guarded(ctx, catalog.list_motions(_state(ctx), search=search, limit=limit, cursor=cursor))

    @mcp.tool(annotations=READ_REMOTE)
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

    _compact_schemas(mcp)
    return mcp


def _compact_schemas(mcp: MCPServer[AppState]) -> None:
    """Smaller tools/list (see schema.py); argument validation still uses the full pydantic models."""
    for tool in mcp._tool_manager.list_tools():
        tool.parameters = compact(tool.parameters, optional_nulls=True)
        if tool.fn_metadata.output_schema is not None:
            tool.fn_metadata.output_schema = compact(tool.fn_metadata.output_schema, descriptions=False)
            tool.__dict__.pop("output_schema", None)



_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
