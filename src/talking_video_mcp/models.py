"""Pydantic models shared by tools, the ledger and the MCP layer (they become outputSchema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from talking_video_mcp.names import (  # re-exported: the result models and the names they use, in one place
    ACTIVE_STATUSES,
    FINAL_STATUSES,
    JobStatus,
    ModelId,
    ProviderName,
)

__all__ = ["ACTIVE_STATUSES", "FINAL_STATUSES", "JobStatus", "ModelId", "ProviderName"]


class JobView(BaseModel):
    """A job as the assistant sees it: state, progress, result and what to do next."""

    job_id: str
    model: str
    kind: str = Field(default="talking_video", description="talking_video, speech, image_video or product_ad")
    status: JobStatus | Literal["dry_run"]
    step: str | None = Field(default=None, description="The step running now, e.g. tts, submit, render, poll, store")
    progress: float = Field(ge=0, le=1, description="0..1, an estimate for cloud jobs")
    eta_seconds: float | None = None
    # Set while a local job waits for a render slot: that it waits, and its place in line. (Every field here is
    # listed once per job tool in tools/list, which must stay under 16 KiB: one sentence, not several fields.)
    detail: str | None = None
    created_at: str
    updated_at: str
    video_path: str | None = Field(default=None, description="Local file of the result once downloaded")
    video_url: str | None = Field(default=None, description="Provider URL of the result (expires)")
    download_url: str | None = Field(
        default=None, description="Over HTTP, once completed: a link that downloads the video with no token (expires)"
    )
    audio_path: str | None = None
    audio_task_id: str | None = Field(default=None, description="Reusable provider TTS task id")
    voice_id: str | None = Field(default=None, description="The voice that speaks the script")
    warnings: list[str] | None = Field(default=None, description="What the user should know about this job")
    resource_uri: str
    cost_estimate_usd: float | None = None
    error: str | None = None
    next_step: str = Field(description="One sentence telling the assistant what to do next")
    reused_existing_job: bool = Field(default=False, description="True when an identical earlier job was returned")
    request: dict[str, Any] | None = Field(default=None, description="The validated provider request (dry_run)")


class JobList(BaseModel):
    jobs: list[JobView]
    next_cursor: str | None = Field(default=None, description="Pass as cursor to get the next page")


class Voice(BaseModel):
    voice_id: str
    name: str
    provider: ProviderName
    language: str | None = None
    gender: str | None = None
    description: str | None = None
    preview_url: str | None = None
    models: list[str] = Field(default_factory=list, description="Model ids this voice works with")


class VoiceList(BaseModel):
    voices: list[Voice]
    total: int | None = None
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list)


class AvatarPreset(BaseModel):
    avatar_preset_id: str
    name: str
    provider: ProviderName
    image_url: str | None = None
    image_path: str | None = None
    width: int | None = None
    height: int | None = None
    license: str | None = None
    models: list[str] = Field(default_factory=list)


class AvatarPresetList(BaseModel):
    presets: list[AvatarPreset]
    total: int | None = None
    next_cursor: str | None = None
    notes: list[str] = Field(default_factory=list)


class ProviderAccount(BaseModel):
    provider: ProviderName
    configured: bool
    endpoint: str | None = None
    balance: float | None = None
    balance_unit: str | None = None
    free_credits: float | None = None
    # The balance is cached (providers/reads.py): its age, and when it is not fresh, when a new reading comes
    # and why (`note`, one sentence). `sandbox`: the built-in emulator answers, nothing is real or charged.
    sandbox: bool = False
    balance_age_s: float | None = None
    refresh_in_s: float | None = None
    note: str | None = None
    error: str | None = None
    models: list[str] = Field(default_factory=list)


class PriceRow(BaseModel):
    model: str
    option: str
    price_usd: float | None = None
    relative_cost: float | None = None
    note: str | None = None


class ModelInfo(BaseModel):
    """One model for list_models: what it does, whether it can run here, its price, limits and arguments."""

    model: str
    provider: str
    kind: str
    summary: str
    configured: bool
    price_usd: float | None = Field(default=None, description="Per job (or see prices)")
    price_per_second_usd: float | None = None
    prices: dict[str, float] | None = Field(default=None, description="Price by option")
    price_note: str | None = None
    limits: str | None = None
    takes: list[str] = Field(default_factory=list, description="Common arguments it takes")
    options: dict[str, Any] | None = Field(default=None, description="JSON Schema of its options")


class ModelList(BaseModel):
    models: list[ModelInfo]
    default_model: str


class AccountView(BaseModel):
    providers: list[ProviderAccount]
    default_model: str
    prices: list[PriceRow]
    max_job_cost_usd: float
    daily_budget_usd: float
    spent_today_usd: float
    budget_left_today_usd: float
    user_daily_budget_usd: float | None = Field(
        default=None, description="Signed-in users: your own daily limit, besides the total")
    user_spent_today_usd: float | None = None


class Motion(BaseModel):
    motion_id: str
    name: str
    tags: list[str] = Field(default_factory=list)
    preview_url: str | None = None


class MotionList(BaseModel):
    motions: list[Motion]
    total: int
    next_cursor: str | None = None


class Sound(BaseModel):
    sound_id: str
    name: str
    description: str | None = None
    preview_url: str | None = None


class SoundList(BaseModel):
    sounds: list[Sound]
    total: int
    next_cursor: str | None = None


class UploadTicket(BaseModel):
    """What create_upload answers."""

    upload_id: str = Field(description="Pass this as `image` (or `audio`) to generate_talking_video once the file "
                                       "is uploaded")
    upload_url: str = Field(description="PUT the file's bytes here, once, with its Content-Type")
    content_types: list[str] = Field(description="The Content-Type values accepted")
    max_bytes: int
    expires_at: str = Field(description="UTC time after which neither the URL nor the id works")
    example: str = Field(description="A curl command that uploads a file")


class MakerModel(BaseModel):
    model: str
    title: str
    free: bool


class VideoMaker(BaseModel):
    """What the player app's "new video" view starts from (open_video_maker)."""

    view: Literal["video_maker"] = "video_maker"
    models: list[MakerModel] = Field(description="Models that make talking videos here, the default first")
    message: str
