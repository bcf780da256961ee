"""Facts from Segmind's model pages (seeds 000, 001, 004), carried into code."""

from __future__ import annotations

import re

SPEECH2VIDEO = "higgsfield-speech2video"
AVATAR_IV = "heygen-avatar-iv"

DEFAULT_PROMPT = "Generate a captivating avatar video with fluent dialogue and lively facial gestures."
DEFAULT_VOICE_ID = "f80e430f06b34b70b275c9c746436e37"
SEED_MIN, SEED_MAX = 1, 1_000_000
DURATIONS = (5, 10, 15)
QUALITIES = ("high", "mid")

# The ten voices HeyGen Avatar IV publishes by name (61 ids exist; any 32-hex id is accepted).
HEYGEN_VOICES: tuple[tuple[str, str], ...] = (
    ("Onyx", "26b2064088674c80b1e5fc5ab1a068ea"),
    ("Coral", "6d5ef2eb0cb94193b90dd3cb397ae898"),
    ("Nova", "71b0aa6499f6458e8b040818a017db1f"),
    ("Shimmer", "8273e0a033074b5bb98d7ce3ab727bd9"),
    ("Lukas in car", "8f0944e10aad4e989bce8f76807b6f36"),
    ("Lea in car", "8f389c2237194f80b50fe7632dcc17b8"),
    ("Lea inside", "9af7667dcc3145b790a5fb1ac226dfe3"),
    ("DARAN INSIDE 2 with mic", "5a3cff20eddd491ca1196ffd1a868fdb"),
    ("Daran outside sitting", "9ff7fd2dd9114c3bae005e62aa485e52"),
    ("Gail inside standing", "acebd7b6419a44a388b9d1620614b29f"),
)
HEX32 = re.compile(r"^[0-9a-f]{32}$")

# Published prices (USD). Speak v2 bills by quality × duration: ~$0.86 (mid, 5 s) to ~$4.22 (high, 15 s).
SPEECH2VIDEO_PRICE_USD: dict[tuple[str, int], float] = {
    ("mid", 5): 0.86,
    ("mid", 10): 1.72,
    ("mid", 15): 2.58,
    ("high", 5): 1.43,
    ("high", 10): 2.86,
    ("high", 15): 4.22,
}
AVATAR_IV_PRICE_USD = 2.216

TYPICAL_SECONDS = {SPEECH2VIDEO: 306.0, AVATAR_IV: 195.0}
