"""The HeyGen model as plain data, for whatever lists models, settings, prices and doctor checks to read.

Facts from HeyGen's public sources (heygen-cli's generated OpenAPI, heygen-com/skills, HeyGen's pricing
page); [3P] marks a third-party fact and [I] an inference, the first things to check with a real key."""

from __future__ import annotations

import math
from typing import Final

from talking_video_mcp.domain.provider import ModelSpec
from talking_video_mcp.providers.heygen.options import HeygenOptions

PROVIDER: Final = "heygen"
PROVIDER_TITLE: Final = "HeyGen"
MODEL_ID: Final = "heygen/avatar-iv"
TITLE: Final = "HeyGen Avatar IV (HeyGen API v3)"
SUMMARY: Final = (
    "photo (file or URL) or a HeyGen avatar + script with a HeyGen voice, or audio → talking video; "
    "720p/1080p/2160p (4K); $0.05/s (4K $0.0667/s) from the API wallet"
)
ENV_API_KEY: Final = "HEYGEN_API_KEY"
DEFAULT_BASE_URL: Final = "https://api.heygen.com"
# Built on v3 only: HeyGen answers that v2 endpoints are removed on 2026-10-31 and new photo avatars already
# fail on /v2/video/generate [O/3P].
KEY_HEADER: Final = "x-api-key"  # an API key bills the API wallet; an OAuth bearer token would bill plan credits

# generate_talking_video's common arguments this model takes (everything else of HeyGen's is in `options`).
# audio_task_id: a finished text_to_speech job of this server, which the tool turns into its audio file.
TAKES: Final = frozenset({
    "image", "avatar_preset_id", "audio", "audio_task_id", "script", "voice_id", "prompt", "resolution",
    "aspect_ratio",
})  # fmt: skip

RESOLUTIONS: Final = ("720p", "1080p", "4k")  # HeyGen's names; ours for 4k is 2160p (the tool takes \d+p)
PRICE_PER_SECOND_USD: Final = {"720p": 0.05, "1080p": 0.05, "4k": 0.0667}  # Avatar IV, API wallet [O pricing]
# [I] HeyGen bills seconds of output; a script's length is guessed from ~150 words a minute (or ~15
# characters a second for scripts without spaces), so a script's estimate is approximate.
WORDS_PER_SECOND: Final = 2.5
CHARS_PER_SECOND: Final = 15.0
TYPICAL_SECONDS: Final = 600.0  # renders take 5-20 minutes [O heygen-com/skills]

ASSET_MAX_BYTES: Final = 32 * 2**20  # POST /v3/assets takes at most 32 MB [O]
ASSET_AUDIO_TYPES: Final = ("audio/mpeg", "audio/wav", "audio/x-wav", "audio/wave")  # others become WAV first
REQUESTS_PER_MINUTE: Final = 60  # [I] HeyGen publishes no request limit for v3; 429s carry Retry-After
VOICES_PAGE_MAX: Final = 100  # `limit` of GET /v3/voices is 1..100 [O]
LOOKS_PAGE_MAX: Final = 50  # `limit` of GET /v3/avatars/looks is 1..50 [O]
LIST_TTL_S: Final = 300.0  # how long a listing of HeyGen's voices or looks from the start is reused
LIST_PAGES: Final = 10  # pages of HeyGen's voices or looks one listing reads at most (the tool pages them)
URL_REFRESHES: Final = 3  # how many times an expired video_url is asked for again before giving up

# HeyGen has no cancel endpoint for a video (DELETE /v3/videos/{id} deletes a finished one) [O].
CANCEL_NOTE: Final = (
    "HeyGen cannot stop a video once it is submitted: canceling stops following it here, but HeyGen still "
    "renders it and charges the API wallet."
)


def speech_seconds(script: str) -> float:
    """Seconds a script lasts when spoken (an estimate, see WORDS_PER_SECOND)."""
    text = script.strip()
    return max(1.0, round(max(len(text.split()) / WORDS_PER_SECOND, len(text) / CHARS_PER_SECOND), 1))


def price_usd(seconds: float, resolution: str | None) -> float:
    """HeyGen's price for `seconds` of video at `resolution` (None: HeyGen's default, priced as 1080p)."""
    rate = PRICE_PER_SECOND_USD[resolution or "1080p"]
    return round(rate * math.ceil(seconds), 4)


MODELS: Final = (
    ModelSpec(
        MODEL_ID, PROVIDER, TITLE, TYPICAL_SECONDS, SUMMARY, takes=TAKES, options=HeygenOptions,
        price_per_second_usd=PRICE_PER_SECOND_USD["1080p"],
        prices=(("resolution=720p or 1080p, per second", PRICE_PER_SECOND_USD["1080p"]),
                ("resolution=2160p (4K), per second", PRICE_PER_SECOND_USD["4k"])),
        price_note="per second of video, from the API wallet; a script's length is estimated at ~150 words a minute",
        photo_limit="JPEG or PNG, at most 10 MB",
    ),
)
