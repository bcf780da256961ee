"""The names every layer shares: job statuses, model ids and provider names. No pydantic here, so the
ledger can be opened without loading the result models."""

from __future__ import annotations

from typing import Final, Literal

JobStatus = Literal["queued", "processing", "completed", "failed", "canceled", "expired", "submit_unknown"]
ACTIVE_STATUSES: frozenset[str] = frozenset({"queued", "processing"})
FINAL_STATUSES: frozenset[str] = frozenset({"completed", "failed", "canceled", "expired", "submit_unknown"})

ModelId = Literal[
    "local",
    "segmind/higgsfield-speech2video",
    "segmind/heygen-avatar-iv",
    "unifically/higgsfield-speak",
]
ProviderName = Literal["local", "segmind", "unifically"]

MODEL_LOCAL: Final = "local"
MODEL_LOCAL_TTS: Final = "local/tts"
MODEL_S2V: Final = "segmind/higgsfield-speech2video"
MODEL_AVATAR: Final = "segmind/heygen-avatar-iv"
MODEL_SPEAK: Final = "unifically/higgsfield-speak"
MODEL_TTS: Final = "unifically/higgsfield-tts"
MODEL_IMAGE_VIDEO: Final = "unifically/higgsfield-generate"
MODEL_ADS: Final = "unifically/higgsfield-ads"

# The video lengths (seconds) a model makes; models not listed take speech of any length.
MODEL_DURATIONS: Final[dict[str, tuple[int, ...]]] = {MODEL_S2V: (5, 10, 15)}
