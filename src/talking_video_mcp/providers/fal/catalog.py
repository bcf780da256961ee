"""fal's talking-avatar models as data: endpoint, which of our arguments each takes and under what name, its
own knobs (`options`, named as fal names them), price and limits. The queue adapter (provider.py) reads only
this table, so adding a model is adding a row.

Marks, as in the team's provider notes: [O] an official source (fal's client code, its generated endpoint
types in fal-js `endpoints.ts`, fal's pages), [3P] a third-party source, [I] our inference. A user with a real
FAL_KEY should check the [3P] and [I] facts first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Speech = Literal["audio", "own_voice"]
"""How a script is spoken: `audio` models take only audio, so an offline voice speaks the script first;
`own_voice` models speak a script themselves (avatar4's voices, Fabric's /text endpoint)."""


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class NoOptions(_Options):
    """Kling AI Avatar v2 takes only the photo, the audio and a prompt [O endpoints.ts AIAvatarInput]."""


class Avatar4Options(_Options):
    """[O endpoints.ts HeygenAvatar4ImageToVideoInput]."""

    talking_style: Literal["stable", "expressive"] = Field("stable", description="stable: little movement")
    expression: str | None = Field(None, description="Facial expression, in words")
    caption: bool | None = Field(None, description="Burn captions into the video")


class OmniHumanOptions(_Options):
    """[O endpoints.ts OmniHumanv15Input]."""

    turbo_mode: bool | None = Field(None, description="Faster, with a slight quality trade-off")


class FabricOptions(_Options):
    """[O endpoints.ts Fabric10TextInput]: only with a script, which Fabric then speaks itself."""

    voice_description: str | None = Field(None, description="e.g. 'British accent' or 'Confident'")


class InfinitalkOptions(_Options):
    """[O endpoints.ts infinitalkInput]."""

    acceleration: Literal["none", "regular", "high"] = "regular"
    num_frames: int | None = Field(None, ge=41, le=721, description="Video length in frames; default: the speech's")


class AuroraOptions(_Options):
    """[O endpoints.ts CreatifyAuroraInput]; fal gives defaults, no ranges."""

    guidance_scale: float = Field(1.0, ge=0, description="Adherence to the prompt")
    audio_guidance_scale: float = Field(2.0, ge=0, description="Adherence to the audio")


@dataclass(frozen=True)
class FalModel:
    """One fal endpoint as one of our `model` ids.

    `fields`: our argument → fal's field (only the arguments the model takes). `resolutions`: the allowed
    values, the first being the default we send. `price_per_s`: USD per second of video by resolution
    (key None: any), or None when our sources publish no price. `max_audio_s`: by resolution."""

    model_id: str
    endpoint: str
    title: str
    summary: str
    typical_s: float
    speech: Speech
    fields: dict[str, str]
    options: type[_Options]
    resolutions: tuple[str, ...] = ()
    price_per_s: dict[str | None, float] | None = None
    max_audio_s: dict[str | None, float] = field(default_factory=dict)
    text_endpoint: str | None = None  # the endpoint that speaks a script itself (Fabric)
    required_prompt: str | None = None  # the prompt sent when the model needs one and none was given
    fps: float | None = None  # frames per second, where the length is set in frames

    def price(self, resolution: str | None) -> float | None:
        if self.price_per_s is None:
            return None
        return self.price_per_s.get(resolution, self.price_per_s.get(None))

    def arg_of(self, fal_field: str) -> str:
        """Our argument for fal's field, for error sentences; fal's own knobs are `options.<name>`."""
        for ours, theirs in self.fields.items():
            if theirs == fal_field:
                return ours
        return {"image_url": "image", "audio_url": "audio", "text": "script"}.get(fal_field, f"options.{fal_field}")


_PHOTO_AUDIO = {"image": "image_url", "audio": "audio_url"}

MODELS: tuple[FalModel, ...] = (
    FalModel(
        "fal/heygen-avatar4", "fal-ai/heygen/avatar4/image-to-video", "HeyGen Avatar IV on fal",
        "photo + script (HeyGen voice) or audio → talking avatar; $0.10/s", 240.0, "own_voice",
        # avatar4's `prompt` is the text it speaks, `voice` a HeyGen voice name [O endpoints.ts].
        {**_PHOTO_AUDIO, "script": "prompt", "voice_id": "voice", "resolution": "resolution",
         "aspect_ratio": "aspect_ratio"},
        Avatar4Options, ("720p", "360p", "480p", "540p", "1080p"), price_per_s={None: 0.10},  # [O] fal's page
    ),
    FalModel(
        "fal/omnihuman-v1.5", "fal-ai/bytedance/omnihuman/v1.5", "ByteDance OmniHuman 1.5 on fal",
        "photo + speech → expressive talking video up to 60 s (720p); $0.16/s", 180.0, "audio",
        {**_PHOTO_AUDIO, "prompt": "prompt", "resolution": "resolution"},
        # fal's default is 1080p; we send 720p unless asked: fal calls it faster and better, and it takes 60 s.
        OmniHumanOptions, ("720p", "1080p"), price_per_s={None: 0.16},  # [O] fal's page
        max_audio_s={"1080p": 30.0, "720p": 60.0},  # [O endpoints.ts]
    ),
    FalModel(
        "fal/kling-avatar-v2-standard", "fal-ai/kling-video/ai-avatar/v2/standard", "Kling AI Avatar v2 Standard",
        "photo + speech → talking avatar; $0.0562/s", 300.0, "audio",
        {**_PHOTO_AUDIO, "prompt": "prompt"}, NoOptions, price_per_s={None: 0.0562},  # [O] fal's page
    ),
    FalModel(
        "fal/kling-avatar-v2-pro", "fal-ai/kling-video/ai-avatar/v2/pro", "Kling AI Avatar v2 Pro",
        "photo + speech → talking avatar, higher quality; ≈$0.087/s", 420.0, "audio",
        {**_PHOTO_AUDIO, "prompt": "prompt"}, NoOptions, price_per_s={None: 0.087},  # [3P] price
    ),
    FalModel(
        "fal/fabric-1.0", "veed/fabric-1.0", "VEED Fabric 1.0",
        "photo + speech (or a script it speaks itself) → talking video; $0.08/s 480p, $0.15/s 720p", 150.0,
        "own_voice", {**_PHOTO_AUDIO, "script": "text", "resolution": "resolution"}, FabricOptions,
        ("720p", "480p"), price_per_s={"480p": 0.08, "720p": 0.15},  # [O] fal's page
        text_endpoint="veed/fabric-1.0/text",
    ),
    FalModel(
        "fal/fabric-1.0-fast", "veed/fabric-1.0/fast", "VEED Fabric 1.0 Fast",
        "photo + speech → talking video, faster; price not published (set FAL prices)", 90.0, "audio",
        # [I] whether /fast costs what Fabric 1.0 costs: our sources do not say, so it is unknown here.
        {**_PHOTO_AUDIO, "resolution": "resolution"}, NoOptions, ("720p", "480p"),
    ),
    FalModel(
        "fal/infinitalk", "fal-ai/infinitalk", "InfiniteTalk on fal",
        "photo + speech + prompt → talking video up to ~29 s; price not published (set FAL prices)", 200.0, "audio",
        {**_PHOTO_AUDIO, "prompt": "prompt", "resolution": "resolution", "seed": "seed", "duration": "num_frames"},
        InfinitalkOptions, ("480p", "720p"),  # price: ≈$0.03/s at 480p is [3P] only, so unknown here
        max_audio_s={None: 721 / 25},  # [I] 721 frames at 25 fps
        required_prompt="A person talking to the camera.", fps=25.0,  # [I] 25 fps
    ),
    FalModel(
        "fal/creatify-aurora", "fal-ai/creatify/aurora", "Creatify Aurora on fal",
        "photo + speech → talking video; price not published (set FAL prices)", 200.0, "audio",
        {**_PHOTO_AUDIO, "prompt": "prompt", "resolution": "resolution"}, AuroraOptions, ("720p", "480p"),
    ),
)
BY_ID: dict[str, FalModel] = {m.model_id: m for m in MODELS}

ASPECT_RATIOS = ("16:9", "9:16", "4:5", "5:4", "1:1", "auto")  # avatar4 [O endpoints.ts]
WORDS_PER_SECOND = 2.5  # [I] a spoken script's pace, for estimates before it is spoken
