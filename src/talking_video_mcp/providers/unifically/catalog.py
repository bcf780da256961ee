"""Facts from Unifically's Higgsfield pages (seeds 002, 003), carried into code."""

from __future__ import annotations

from talking_video_mcp.providers.unifically.requests import MODEL_ADS, MODEL_IMAGE_VIDEO, MODEL_SPEAK, MODEL_TTS

__all__ = ["MODEL_ADS", "MODEL_IMAGE_VIDEO", "MODEL_SPEAK", "MODEL_TTS"]

SPEAK_QUALITIES = ("basic", "high")
IMAGE_VIDEO_MODELS = ("lite", "standard", "turbo")

# TTS parameters: (min, max, default).
TTS_RANGES: dict[str, tuple[float, float, float]] = {
    "similarity_boost": (0, 100, 90),
    "style": (0, 100, 60),
    "speed": (0, 1.2, 1.1),
    "stability": (0, 100, 30),
}

# Relative cost (seed 003): image→video lite 1×, standard 2×, turbo 1.4×, talking 10×, ad 2.6×.
RELATIVE_COST: dict[str, float] = {
    "lite": 1.0,
    "standard": 2.0,
    "turbo": 1.4,
    "talking": 10.0,
    "ad": 2.6,
    "tts": 0.1,
}

TYPICAL_SECONDS = {MODEL_SPEAK: 180.0, MODEL_TTS: 10.0, MODEL_IMAGE_VIDEO: 60.0, MODEL_ADS: 90.0}
DEFAULT_SPEAK_PROMPT = "A person speaking with natural expressions"
