"""Unifically's template catalogues (voices, avatar presets, motions, sounds).

Generated from a fixed seed so ids are stable between runs and test assertions can name
them; every media URL in them points at a real file the emulator serves.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from talking_video_mcp.emulator import media

FileSource = tuple[str, Callable[[], bytes]]

_VOICE_NAMES = (
    ("Aria", "female"), ("Ben", "male"), ("Chloe", "female"), ("Daniel", "male"), ("Elena", "female"),
    ("Felix", "male"), ("Grace", "female"), ("Hugo", "male"), ("Isla", "female"), ("Jonas", "male"),
    ("Keira", "female"), ("Liam", "male"), ("Maya", "female"), ("Noah", "male"), ("Olivia", "female"),
    ("Pablo", "male"), ("Quinn", "female"), ("Rafael", "male"), ("Sofia", "female"), ("Theo", "male"),
    ("Uma", "female"), ("Victor", "male"), ("Willow", "female"), ("Xavier", "male"), ("Yara", "female"),
    ("Zane", "male"), ("Amara", "female"), ("Bruno", "male"), ("Clara", "female"), ("Dmitri", "male"),
    ("Esme", "female"), ("Gideon", "male"), ("Hana", "female"), ("Ivan", "male"), ("June", "female"),
    ("Kofi", "male"),
)  # fmt: skip
_VOICE_STYLES = (
    "Narrator", "Warm", "Newscaster", "Friendly", "Calm", "Energetic", "Storyteller", "Teacher",
    "Whisper", "Confident", "Cheerful", "Deep",
)  # fmt: skip
_VOICE_CATEGORIES = (
    "narration", "conversational", "news", "advertising", "calm", "energetic", "storytelling",
    "educational", "character", "social",
)  # fmt: skip
_AGES = ("young", "middle_aged", "old")
_PRESET_SETTINGS = (
    "Studio", "Office", "Podcast", "Classroom", "Street", "Cafe", "Newsroom", "Living Room",
    "Garden", "Loft", "Library", "Stage",
)  # fmt: skip
_MOTIONS = (
    ("Dolly In", "camera"), ("Dolly Out", "camera"), ("Crash Zoom In", "camera"), ("Crash Zoom Out", "camera"),
    ("360 Orbit", "camera"), ("Crane Up", "camera"), ("Crane Down", "camera"), ("Pan Left", "camera"),
    ("Pan Right", "camera"), ("Tilt Up", "camera"), ("Handheld", "camera"), ("Whip Pan", "camera"),
    ("Head Turn", "character"), ("Nod", "character"), ("Wave Hello", "character"), ("Smile", "character"),
    ("Hair Flip", "character"), ("Look Around", "character"), ("Thumbs Up", "character"),
    ("Laugh", "character"), ("Walk Forward", "character"), ("Dance Groove", "character"),
    ("Wind Breeze", "effect"), ("Rain Drops", "effect"), ("Glow Pulse", "effect"), ("Snowfall", "effect"),
    ("Light Leak", "effect"), ("Slow Motion", "effect"),
)  # fmt: skip
_SOUNDS = (
    ("Studio Room", "Dry, close-miked studio tone"), ("Coffee Shop", "Soft chatter and cups"),
    ("Rainy Window", "Steady rain on glass"), ("Open Office", "Keyboards and distant voices"),
    ("City Street", "Traffic and footsteps"), ("Forest Morning", "Birds and light wind"),
    ("Ocean Shore", "Waves on a beach"), ("Lecture Hall", "Large room reverb"),
    ("Podcast Booth", "Warm, treated room"), ("Car Interior", "Engine hum while driving"),
    ("Stadium Crowd", "Distant cheering crowd"), ("Night Crickets", "Quiet night outdoors"),
    ("Fireplace", "Crackling fire"), ("Subway Station", "Trains and announcements"),
    ("Kitchen", "Pots, pans and a kettle"), ("Airport Lounge", "Gate calls and rolling bags"),
)  # fmt: skip


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _seed_of(item_id: str) -> int:
    return int(item_id.replace("-", "")[:8], 16)


@dataclass(frozen=True)
class Templates:
    """The four catalogues; URLs are stored as `/files/...` paths and made absolute per request."""

    voices: list[dict[str, Any]]
    presets: list[dict[str, Any]]
    motions: list[dict[str, Any]]
    sounds: list[dict[str, Any]]

    @classmethod
    def build(cls, seed: int = 0) -> Templates:
        rng = random.Random(f"talking-video-mcp-templates:{seed}")
        voices = []
        for index, (name, gender) in enumerate(_VOICE_NAMES):
            vid = _uuid(rng)
            voices.append(
                {
                    "id": vid,
                    "name": f"{name} - {_VOICE_STYLES[index % len(_VOICE_STYLES)]}",
                    "gender": gender,
                    "age": rng.choice(_AGES),
                    "image_url": f"/files/tpl/voices/{vid}.png",
                    "categories": sorted(rng.sample(_VOICE_CATEGORIES, 2)),
                    "voice_url": f"/files/tpl/voices/{vid}.wav",
                    "waveform_url": f"/files/tpl/voices/{vid}-waveform.png",
                    "is_gpt": rng.random() < 0.3,
                }
            )
        presets = []
        for index in range(24):
            pid = _uuid(rng)
            first = _VOICE_NAMES[(index * 7) % len(_VOICE_NAMES)][0]
            presets.append(
                {
                    "id": pid,
                    "name": f"{first} in the {_PRESET_SETTINGS[index % len(_PRESET_SETTINGS)]}",
                    "media": {
                        "url": f"/files/tpl/avatars/{pid}.png",
                        "type": "image",
                        "width": 384,
                        "height": 512,
                        "thumbnail_url": f"/files/tpl/avatars/{pid}-thumb.png",
                    },
                    "params": {"quality": rng.choice(("basic", "high")), "chunks_count": rng.randint(1, 4)},
                }
            )
        motions = []
        for index, (name, category) in enumerate(_MOTIONS):
            mid = _uuid(rng)
            motions.append(
                {
                    "id": mid,
                    "name": name,
                    "media": {
                        "url": f"/files/tpl/motions/{mid}.mp4",
                        "type": "video",
                        "width": media.VIDEO_SIZE[0],
                        "height": media.VIDEO_SIZE[1],
                        "thumbnail_url": f"/files/tpl/motions/{mid}.png",
                    },
                    "priority": len(_MOTIONS) - index,
                    "tags": [category, *(["popular"] if index % 4 == 0 else [])],
                    "categories": [category],
                }
            )
        sounds = []
        for name, description in _SOUNDS:
            sid = _uuid(rng)
            sounds.append(
                {
                    "id": sid,
                    "name": name,
                    "description": description,
                    "sound_url": f"/files/tpl/sounds/{sid}.wav",
                    "waveform_url": f"/files/tpl/sounds/{sid}-waveform.png",
                }
            )
        return cls(voices, presets, motions, sounds)

    def catalogue(self, kind: str) -> list[dict[str, Any]] | None:
        """A catalogue by its URL name (voices, avatar-presets, motions, sounds)."""
        return {
            "voices": self.voices,
            "avatar-presets": self.presets,
            "motions": self.motions,
            "sounds": self.sounds,
        }.get(kind)

    def has(self, kind: str, item_id: str) -> bool:
        items = self.catalogue(kind) or []
        return any(item["id"] == item_id for item in items)

    def voice(self, voice_id: str) -> dict[str, Any] | None:
        return next((item for item in self.voices if item["id"] == voice_id), None)

    def file(self, name: str) -> FileSource | None:
        """The content type and builder of a template file (`tpl/<kind>/<id>[-suffix].<ext>`)."""
        parts = name.split("/")
        if len(parts) != 3 or parts[0] != "tpl":
            return None
        kind, leaf = parts[1], parts[2]
        stem, _, ext = leaf.rpartition(".")
        item_id, suffix = stem, ""
        for tail in ("-thumb", "-waveform"):
            if stem.endswith(tail):
                item_id, suffix = stem.removesuffix(tail), tail[1:]
        catalogue = {"voices": "voices", "avatars": "avatar-presets", "motions": "motions", "sounds": "sounds"}
        if kind not in catalogue or not self.has(catalogue[kind], item_id):
            return None
        seed = _seed_of(item_id)
        choices: dict[tuple[str, str, str], FileSource] = {
            ("voices", "", "png"): ("image/png", lambda: media.portrait_png(seed, 256, 256)),
            ("voices", "", "wav"): ("audio/wav", lambda: media.wav_bytes(2.0, seed)),
            ("voices", "waveform", "png"): ("image/png", lambda: media.waveform_png(seed)),
            ("avatars", "", "png"): ("image/png", lambda: media.portrait_png(seed, 384, 512)),
            ("avatars", "thumb", "png"): ("image/png", lambda: media.portrait_png(seed, 96, 128)),
            ("motions", "", "mp4"): ("video/mp4", lambda: media.mp4_bytes(5, seed % 7)),
            ("motions", "", "png"): ("image/png", lambda: media.portrait_png(seed, 160, 120)),
            ("sounds", "", "wav"): ("audio/wav", lambda: media.wav_bytes(3.0, seed)),
            ("sounds", "waveform", "png"): ("image/png", lambda: media.waveform_png(seed)),
        }
        return choices.get((kind, suffix, ext))
