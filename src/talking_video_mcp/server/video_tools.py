"""The tools that make jobs: generate_talking_video, text_to_speech and the Higgsfield video tools."""

from typing import Annotated, Any

from mcp.server.mcpserver import Context, Elicit, ElicitationResult, Resolve
from mcp.types import CallToolResult

from talking_video_mcp import params as p
from talking_video_mcp import ui
from talking_video_mcp.domain.requests import (
    ImageVideoArgs,
    ProductAdArgs,
    SpeechArgs,
    SubmitOptions,
    TalkingVideoArgs,
)
from talking_video_mcp.errors import TalkingVideoError
from talking_video_mcp.models import JobView
from talking_video_mcp.server.base import CompactServer
from talking_video_mcp.server.common import (
    SPENDS,
    Approval,
    NotAsked,
    answer,
    ask_spend,
    guarded,
    progress,
    services,
)
from talking_video_mcp.tools import speech, video


async def _ask_talking(
    ctx: Context, model: str | None = None, duration: int | None = None, script: str | None = None,
    options: dict[str, Any] | None = None, dry_run: bool = False,
) -> Elicit[Approval] | NotAsked:
    try:
        chosen = video.talking_model(await services(ctx), model)
        args = TalkingVideoArgs.model_validate({"duration": duration, "script": script, "options": options})
    except (TalkingVideoError, ValueError):
        return NotAsked()
    return await ask_spend(ctx, chosen, args, dry_run=dry_run)


async def _ask_speech(
    ctx: Context, provider: str | None = None, voice_id: str | None = None, dry_run: bool = False
) -> Elicit[Approval] | NotAsked:
    try:
        chosen = speech.speech_model(await services(ctx), provider, voice_id)
    except TalkingVideoError:
        return NotAsked()
    return await ask_spend(ctx, chosen, SpeechArgs(text="", voice_id=voice_id), dry_run=dry_run)


async def _ask_image_video(ctx: Context, model: p.ImageVideoModel = "lite", dry_run: bool = False
                           ) -> Elicit[Approval] | NotAsked:
    try:
        chosen = video.model_of_kind(await services(ctx), "image_video")
    except TalkingVideoError:
        return NotAsked()
    return await ask_spend(ctx, chosen, ImageVideoArgs(image="", prompt="", variant=model), dry_run=dry_run)


async def _ask_ad(ctx: Context, dry_run: bool = False) -> Elicit[Approval] | NotAsked:
    args = ProductAdArgs(product_placement_sample_id="", images=[])
    try:
        chosen = video.model_of_kind(await services(ctx), "product_ad")
    except TalkingVideoError:
        return NotAsked()
    return await ask_spend(ctx, chosen, args, dry_run=dry_run)


def register(mcp: CompactServer, *, higgsfield: bool) -> None:
    """`higgsfield`: the provider of the Higgsfield image tools has its key (or the sandbox runs). Without it
    they could only ever answer an error, so they stay out of tools/list (and their schemas are never built)."""

    @mcp.typed_tool(returns=JobView, annotations=SPENDS, meta=ui.PLAYER_TOOL_META)
    async def generate_talking_video(
        ctx: Context,
        approval: Annotated[ElicitationResult[Approval], Resolve(_ask_talking)],
        model: p.Model = None,
        image: p.Image = None,
        avatar_preset_id: p.AvatarPresetId = None,
        audio: p.Audio = None,
        audio_task_id: p.AudioTaskId = None,
        script: p.Script = None,
        voice_id: p.VoiceId = None,
        prompt: p.Prompt = None,
        resolution: p.Resolution = None,
        aspect_ratio: p.AspectRatio = None,
        seed: p.Seed = None,
        duration: p.Duration = None,
        options: p.Options = None,
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> CallToolResult:
        """Start a talking-head video from a face (image or avatar_preset_id) and speech (audio, or script +
        voice_id). Returns a job_id at once: follow it with check_video_status. dry_run shows the
        price. list_models: each model's arguments and options."""
        args = TalkingVideoArgs(
            image=image, avatar_preset_id=avatar_preset_id, audio=audio, audio_task_id=audio_task_id, script=script,
            voice_id=voice_id, prompt=prompt, resolution=resolution, aspect_ratio=aspect_ratio, seed=seed,
            duration=duration, options=options,
        )
        submit = SubmitOptions(dry_run=dry_run, wait_seconds=wait_seconds, idempotency_key=idempotency_key,
                               force_new=force_new)
        return await guarded(ctx, lambda state: video.generate_talking_video(
            state, model, args, submit, approved=answer(approval), progress=progress(ctx)
        ))

    @mcp.typed_tool(returns=JobView, annotations=SPENDS, listed_schema=False)
    async def text_to_speech(
        ctx: Context,
        approval: Annotated[ElicitationResult[Approval], Resolve(_ask_speech)],
        text: p.Text,
        voice_id: p.VoiceId = None,
        provider: p.SpeechProvider = None,
        options: p.SpeechOptions = None,
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> CallToolResult:
        """Speech from text, as a job; then generate_talking_video takes its audio_path as audio, or its job_id as
        audio_task_id."""
        args = SpeechArgs(text=text, voice_id=voice_id, options=options)
        submit = SubmitOptions(dry_run=dry_run, wait_seconds=wait_seconds, idempotency_key=idempotency_key,
                               force_new=force_new)
        return await guarded(ctx, lambda state: speech.text_to_speech(
            state, provider, args, submit, approved=answer(approval), progress=progress(ctx)
        ))

    if higgsfield:
        _register_higgsfield(mcp)


def _register_higgsfield(mcp: CompactServer) -> None:
    @mcp.typed_tool(returns=JobView, annotations=SPENDS, listed_schema=False)
    async def generate_video_from_image(
        ctx: Context,
        approval: Annotated[ElicitationResult[Approval], Resolve(_ask_image_video)],
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
    ) -> CallToolResult:
        """Animate a still image (Higgsfield), optionally with a motion template."""
        args = ImageVideoArgs(image=image, prompt=prompt, variant=model, motion_id=motion_id, end_image=end_image,
                              enhance_prompt=enhance_prompt, seed=seed)
        options = SubmitOptions(dry_run=dry_run, wait_seconds=wait_seconds, idempotency_key=idempotency_key,
                                force_new=force_new)
        return await guarded(ctx, lambda state: video.submit_job(
            state, video.model_of_kind(state, "image_video"), args, options, approved=answer(approval),
            progress=progress(ctx),
        ))

    @mcp.typed_tool(returns=JobView, annotations=SPENDS, listed_schema=False)
    async def generate_product_ad(
        ctx: Context,
        approval: Annotated[ElicitationResult[Approval], Resolve(_ask_ad)],
        product_placement_sample_id: p.SampleId,
        images: p.ProductImages,
        size: p.AdSize = "1024x1024",
        dry_run: p.DryRun = False,
        wait_seconds: p.WaitSeconds = 0,
        idempotency_key: p.IdempotencyKey = None,
        force_new: p.ForceNew = False,
    ) -> CallToolResult:
        """A product ad video (Higgsfield) from product images and an ad template id."""
        args = ProductAdArgs(product_placement_sample_id=product_placement_sample_id, images=images, size=size)
        options = SubmitOptions(dry_run=dry_run, wait_seconds=wait_seconds, idempotency_key=idempotency_key,
                                force_new=force_new)
        return await guarded(ctx, lambda state: video.submit_job(
            state, video.model_of_kind(state, "product_ad"), args, options, approved=answer(approval),
            progress=progress(ctx),
        ))
