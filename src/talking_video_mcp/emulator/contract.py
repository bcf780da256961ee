"""The providers' published facts (prices, enums, timings, retention) in one place.

Copied from the provider pages on purpose: the emulator must not share the product
client's reading of the contract, so nothing here is imported from `providers/`.
All durations are provider seconds; the emulator divides them by its speed.
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------- Segmind
SEGMIND_SPEECH2VIDEO: Final = "higgsfield-speech2video"
SEGMIND_HEYGEN: Final = "heygen-avatar-iv"
SEGMIND_MODELS: Final = (SEGMIND_SPEECH2VIDEO, SEGMIND_HEYGEN)

# Price in credits (USD) by quality x duration; speech2video page "Affects Pricing".
SPEECH2VIDEO_PRICES: Final[dict[tuple[str, int], float]] = {
    ("high", 5): 1.43,
    ("high", 10): 2.86,
    ("high", 15): 4.22,
    ("mid", 5): 0.86,
    ("mid", 10): 1.72,
    ("mid", 15): 2.58,
}
HEYGEN_PRICE: Final = 2.216

SPEECH2VIDEO_QUALITIES: Final = ("high", "mid")
SPEECH2VIDEO_DURATIONS: Final = (5, 10, 15)
SPEECH2VIDEO_DEFAULTS: Final[dict[str, object]] = {"quality": "high", "duration": 10, "seed": 42}
SEGMIND_SEED_RANGE: Final = (1, 1_000_000)

HEYGEN_ORIENTATIONS: Final = ("landscape", "portrait")
HEYGEN_FITS: Final = ("cover", "contain")
HEYGEN_DEFAULT_VOICE: Final = "f80e430f06b34b70b275c9c746436e37"

SEGMIND_RUN_SECONDS: Final[dict[str, float]] = {SEGMIND_SPEECH2VIDEO: 306.0, SEGMIND_HEYGEN: 195.0}
QUEUED_FRACTION: Final = 0.1  # the first 10 % of a run is reported as queued
SEGMIND_RECORD_TTL: Final = 3600.0  # request records live 1 hour after submission
OUTPUT_FILE_TTL: Final = 7 * 86400.0  # result files live about 7 days
DEFAULT_VIDEO_SECONDS: Final = 5  # result length where the request does not set one

SEGMIND_FAIL_REASON: Final = (
    "Content moderation: the input was flagged by the safety filter (RAI block); no output was produced"
)

# ---------------------------------------------------------------- Unifically
UNIFICALLY_BASE_UNIT_USD: Final = 0.05
# Relative costs from the Higgsfield guide (seed 003); TTS is not listed there: a small fraction.
UNIFICALLY_RELATIVE_COST: Final[dict[str, float]] = {
    "speak": 10.0,
    "ads": 2.6,
    "generate:lite": 1.0,
    "generate:standard": 2.0,
    "generate:turbo": 1.4,
    "tts": 0.1,
}
UNIFICALLY_RUN_SECONDS: Final[dict[str, float]] = {"speak": 180.0, "tts": 8.0, "generate": 60.0, "ads": 90.0}
UNIFICALLY_TASK_TTL: Final = 86400.0  # undocumented; a day, so clients must not rely on old ids

SPEAK_QUALITIES: Final = ("basic", "high")
GENERATE_MODELS: Final = ("lite", "standard", "turbo")
GENERATE_DEFAULT_MODEL: Final = "lite"
ADS_DEFAULT_SIZE: Final = "1024x1024"
UNIFICALLY_SEED_RANGE: Final = (0, 2_147_483_647)

TTS_DEFAULTS: Final[dict[str, float]] = {"similarity_boost": 90, "style": 60, "speed": 1.1, "stability": 30}
TTS_RANGES: Final[dict[str, tuple[float, float]]] = {
    "similarity_boost": (0, 100),
    "style": (0, 100),
    "speed": (0, 1.2),
    "stability": (0, 100),
}
TTS_SECONDS_PER_CHAR: Final = 0.06
TTS_MIN_SECONDS: Final = 1.0
TTS_MAX_SECONDS: Final = 300.0

UNIFICALLY_FAIL_REASON: Final = "Generation failed: the image did not pass the content safety check"

TEMPLATE_PAGE_DEFAULT: Final = 30
TEMPLATE_PAGE_MAX: Final = 100

# Unifically's task "type" values (seed 002 calls TTS tasks "text2speech").
TASK_TYPES: Final[dict[str, str]] = {
    "speak": "speak",
    "tts": "text2speech",
    "generate": "image2video",
    "ads": "ads",
}


# ---------------------------------------------------------------- fal (queue of talking-avatar models)
# The endpoint ids fal serves them under; the emulator's own table of their inputs is in fal.py.
FAL_ENDPOINTS: Final = (
    "fal-ai/heygen/avatar4/image-to-video",
    "fal-ai/bytedance/omnihuman/v1.5",
    "fal-ai/kling-video/ai-avatar/v2/standard",
    "fal-ai/kling-video/ai-avatar/v2/pro",
    "veed/fabric-1.0",
    "veed/fabric-1.0/fast",
    "veed/fabric-1.0/text",
    "fal-ai/infinitalk",
    "fal-ai/creatify/aurora",
)


def speech2video_price(quality: str, duration: int) -> float:
    """Credits one speech2video job costs."""
    return SPEECH2VIDEO_PRICES[(quality, duration)]


def unifically_price(kind: str) -> float:
    """USD one Unifically task costs; `kind` is a key of UNIFICALLY_RELATIVE_COST."""
    return round(UNIFICALLY_RELATIVE_COST[kind] * UNIFICALLY_BASE_UNIT_USD, 6)
