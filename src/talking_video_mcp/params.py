"""Tool parameter types: the providers' own names, enums, ranges and defaults, as JSON Schema."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

Model = Annotated[str | None, Field(description="From list_models; default local (free)", max_length=100)]
Image = Annotated[str | None, Field(description="Face photo: https URL, local file path or data: URL")]
AvatarPresetId = Annotated[str | None, Field(description="Instead of image, from list_avatar_presets")]
Audio = Annotated[str | None, Field(description="Speech: https URL, local path or data: URL (or script)")]
AudioTaskId = Annotated[str | None, Field(description="A text_to_speech job_id (instead of audio)",
                                          max_length=100)]
Script = Annotated[str | None, Field(description="Text to speak (instead of audio), with voice_id", max_length=5000)]
VoiceId = Annotated[str | None, Field(description="From list_voices")]
Prompt = Annotated[str | None, Field(description="Motion and expression direction", max_length=2000)]
Seed = Annotated[int | None, Field(ge=1, le=1_000_000, description="Same seed, same output")]
Duration = Annotated[int | None, Field(ge=1, le=300, description="Seconds (fixed-length models)")]
Resolution = Annotated[str | None, Field(description="e.g. 720p", pattern=r"^\d{3,4}p$")]
AspectRatio = Annotated[Literal["16:9", "9:16", "1:1"] | None, Field(description="Default: the photo's")]
EnhancePrompt = Annotated[bool | None, Field(description="Let the provider refine the prompt")]
Options = Annotated[dict[str, Any] | None, Field(description="Model-specific; see list_models")]
OnlyConfigured = Annotated[bool, Field(description="Only models usable now")]
TakesScript = Annotated[bool, Field(description="Only models that speak a script")]
TakesAudio = Annotated[bool, Field(description="Only models that take audio")]
OnlyFree = Annotated[bool, Field(description="Only free models")]
DryRun = Annotated[bool, Field(description="Check and price only")]
WaitSeconds = Annotated[float, Field(ge=0, le=55, description="Seconds to wait")]
IdempotencyKey = Annotated[str | None, Field(description="Same key, same job", max_length=200)]
ForceNew = Annotated[bool, Field(description="Never reuse a matching job")]
JobId = Annotated[str, Field(min_length=1, max_length=100)]
ModelFilter = Annotated[str | None, Field(description="Only this model's jobs", max_length=100)]
ProviderFilter = Annotated[str | None, Field(description="Only this provider", max_length=50)]
Search = Annotated[str | None, Field(description="Name filter", max_length=200)]
Limit = Annotated[int, Field(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Field(description="next_cursor of the last page", max_length=500)]
Gender = Annotated[str | None, Field(description="e.g. female, male", max_length=20)]
Language = Annotated[str | None, Field(description="Language code prefix, e.g. en, de", max_length=20)]
Text = Annotated[str, Field(description="The text to speak", min_length=1, max_length=5000)]
SpeechProvider = Annotated[str | None, Field(description="Default: the voice's", max_length=50)]
SpeechOptions = Annotated[dict[str, Any] | None, Field(description="Model-specific; see list_models")]
StartImage = Annotated[str, Field(description="Start image https URL", min_length=1)]
EndImage = Annotated[str | None, Field(description="End image URL")]
MotionPromptReq = Annotated[str, Field(description="The motion to create", min_length=1, max_length=2000)]
ImageVideoModel = Annotated[Literal["lite", "standard", "turbo"],
                            Field(description="lite 1× cost, standard 2× (best), turbo 1.4× (fast)")]
MotionId = Annotated[str | None, Field(description="From list_motions")]
SampleId = Annotated[str, Field(description="Ad template id", min_length=1)]
ProductImages = Annotated[list[str], Field(description="Product image URLs", min_length=1, max_length=10)]
AdSize = Annotated[str, Field(description="e.g. 1024x1024", pattern=r"^\d{2,4}x\d{2,4}$")]
