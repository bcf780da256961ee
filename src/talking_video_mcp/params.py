"""Tool parameter types: the providers' own names, enums, ranges and defaults, as JSON Schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from talking_video_mcp.models import ModelId

Model = Annotated[
    ModelId | None,
    Field(description="Default: first configured cloud model, else local (free)"),
]
Image = Annotated[str | None, Field(description="Face photo: https URL, local file path or data: URL")]
AvatarPresetId = Annotated[str | None, Field(description="Instead of image, from list_avatar_presets")]
Audio = Annotated[str | None, Field(description="Speech: https URL, local path or data: URL (or script)")]
AudioTaskId = Annotated[str | None, Field(description="job_id of a finished text_to_speech job (instead of audio)",
                                          max_length=100)]
Script = Annotated[str | None, Field(description="Text to speak (instead of audio), with voice_id", max_length=5000)]
VoiceId = Annotated[str | None, Field(description="From list_voices")]
Prompt = Annotated[str | None, Field(description="Scene/expression (speech2video, unifically)",
                                     max_length=2000)]
Quality = Annotated[
    Literal["high", "mid", "basic"] | None,
    Field(description="speech2video: high|mid (default high, sets the price); unifically: basic|high (default basic)"),
]
EnhancePrompt = Annotated[bool | None, Field(description="Let the provider refine the prompt")]
Seed = Annotated[int | None, Field(ge=1, le=1_000_000, description="Default 42; same seed, same output")]
Duration = Annotated[
    Literal[5, 10, 15] | None,
    Field(description="speech2video seconds: 5|10|15 (default 10, sets the price)"),
]
VideoTitle = Annotated[str | None, Field(description="heygen-avatar-iv: video title (default from script)",
                                         max_length=200)]
Orientation = Annotated[Literal["landscape", "portrait"] | None,
                        Field(description="heygen-avatar-iv (default landscape)")]
Fit = Annotated[Literal["cover", "contain"] | None, Field(description="heygen-avatar-iv (default cover)")]
MotionPrompt = Annotated[str | None, Field(description="heygen-avatar-iv: motion style, e.g. 'subtle hand gestures'",
                                           max_length=1000)]
EnhanceMotion = Annotated[bool | None, Field(description="heygen-avatar-iv: enhance the motion prompt (default false)")]
Resolution = Annotated[str | None, Field(
    description="heygen-avatar-iv: e.g. 720p; local: 512p|720p|1080p (default: the photo's size)",
    pattern=r"^\d{3,4}p$",
)]
Framing = Annotated[
    Literal["photo", "portrait", "square", "landscape"] | None,
    Field(description="local: whole photo (default) or head-and-shoulders crop"),
]
FaceIndex = Annotated[int | None, Field(ge=0, le=50, description="local: which face speaks (0: largest)")]
DryRun = Annotated[bool, Field(description="Validate and estimate only")]
WaitSeconds = Annotated[float, Field(ge=0, le=55, description="Seconds to wait for the job")]
IdempotencyKey = Annotated[str | None, Field(description="Same key, same job", max_length=200)]
ForceNew = Annotated[bool, Field(description="Never reuse a matching job")]
JobId = Annotated[str, Field(min_length=1, max_length=100)]
ModelFilter = Annotated[ModelId | None, Field(description="Only this model's jobs")]
ProviderFilter = Annotated[Literal["local", "segmind", "unifically"] | None,
                           Field(description="Only this provider")]
Search = Annotated[str | None, Field(description="Name filter", max_length=200)]
Limit = Annotated[int, Field(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Field(description="next_cursor of the last page", max_length=500)]
Gender = Annotated[str | None, Field(description="e.g. female, male", max_length=20)]
Language = Annotated[str | None, Field(description="Language code prefix, e.g. en, de", max_length=20)]
Text = Annotated[str, Field(description="The text to speak", min_length=1, max_length=5000)]
SpeechProvider = Annotated[Literal["local", "unifically"] | None,
                           Field(description="Default: local for piper:/espeak: voices, else unifically if configured")]
SoundId = Annotated[str | None, Field(description="unifically: background sound from list_sounds")]
SimilarityBoost = Annotated[float | None, Field(ge=0, le=100, description="unifically: 0-100 (default 90)")]
Style = Annotated[float | None, Field(ge=0, le=100, description="unifically: 0-100 (default 60)")]
Speed = Annotated[float | None, Field(ge=0, le=1.2, description="unifically: 0-1.2 (default 1.1)")]
Stability = Annotated[float | None, Field(ge=0, le=100, description="unifically: 0-100 (default 30)")]
StartImage = Annotated[str, Field(description="Start image https URL", min_length=1)]
EndImage = Annotated[str | None, Field(description="End image URL")]
MotionPromptReq = Annotated[str, Field(description="The motion to create", min_length=1, max_length=2000)]
ImageVideoModel = Annotated[Literal["lite", "standard", "turbo"],
                            Field(description="lite 1× cost (tests), standard 2× (best), turbo 1.4× (fast)")]
MotionId = Annotated[str | None, Field(description="From list_motions")]
SampleId = Annotated[str, Field(description="Ad template id", min_length=1)]
ProductImages = Annotated[list[str], Field(description="Product image URLs", min_length=1, max_length=10)]
AdSize = Annotated[str, Field(description="Output size, e.g. 1024x1024", pattern=r"^\d{2,4}x\d{2,4}$")]
