"""Refusal advice names only arguments the model in question takes: following it never earns a second
refusal for a parameter that does not apply (HeyGen has no quality or duration; Speak v2 makes 15 s at most)."""

from __future__ import annotations

import re

import pytest

from talking_video_mcp.domain.advice import script_length, speech_seconds, spend_refusal_advice, too_long
from talking_video_mcp.domain.requests import ImageVideoArgs, ProductAdArgs, SpeechArgs, TalkingVideoArgs, ToolArgs
from talking_video_mcp.providers.registry import ProviderRegistry

MODEL_LOCAL = "local"
MODEL_S2V = "segmind/higgsfield-speech2video"
MODEL_AVATAR = "segmind/heygen-avatar-iv"
MODEL_SPEAK = "unifically/higgsfield-speak"
MODEL_TTS = "unifically/higgsfield-tts"
MODEL_IMAGE_VIDEO = "unifically/higgsfield-generate"
MODEL_ADS = "unifically/higgsfield-ads"
REGISTRY = ProviderRegistry.declared()


def _applies(model: str) -> set[str]:
    """What a talking model takes, from its declaration: `model`, the common arguments, `options.<name>`."""
    spec = REGISTRY.spec(model)
    options = set(spec.options.model_fields) if spec.options is not None else set()
    return {"model", *spec.takes, *options, *(f"options.{name}" for name in options)}


# What each model takes: talking models from their declarations (checked against the providers' pages in
# test_models_declare_what_their_pages_say), the other tools from their signatures.
APPLIES: dict[str, set[str]] = {
    **{m: _applies(m) for m in (MODEL_S2V, MODEL_AVATAR, MODEL_SPEAK, MODEL_LOCAL)},
    MODEL_TTS: {"provider", "text", "voice_id", "sound_id", "similarity_boost", "style", "speed", "stability"},
    MODEL_IMAGE_VIDEO: {"model", "image", "prompt", "motion_id", "end_image", "enhance_prompt", "seed"},
    MODEL_ADS: {"product_placement_sample_id", "images", "size"},
}
EVERY_ARGUMENT = set().union(*APPLIES.values())


def cheaper_options(model: str, args: ToolArgs) -> list[str]:
    return REGISTRY.cheaper_options(model, args)


def advice(model: str, args: ToolArgs) -> str:
    return spend_refusal_advice(cheaper_options(model, args))


def test_models_declare_what_their_pages_say() -> None:
    """The providers' model pages (docs/ and the seeds): each model's own knobs are its options."""
    speech = {"model", "image", "avatar_preset_id", "audio", "audio_task_id", "script", "voice_id"}
    assert APPLIES[MODEL_S2V] - {"options.quality", "options.enhance_prompt"} == speech | {
        "prompt", "quality", "enhance_prompt", "seed", "duration"}
    assert {"prompt", "resolution", "aspect_ratio", "video_title", "fit", "enhance_custom_motion_prompt"} <= (
        APPLIES[MODEL_AVATAR])
    assert "duration" not in APPLIES[MODEL_AVATAR] and "quality" not in APPLIES[MODEL_AVATAR]
    assert {"prompt", "quality", "enhance_prompt", "seed"} <= APPLIES[MODEL_SPEAK]
    assert {"seed", "resolution", "aspect_ratio", "face_index"} <= APPLIES[MODEL_LOCAL]
    assert "prompt" not in APPLIES[MODEL_LOCAL] and "duration" not in APPLIES[MODEL_LOCAL]
# Words that are argument names but also plain English in advice ("trim the audio", "shorten the script").
_PLAIN_WORDS = {"audio", "script", "text", "model"}


def named_arguments(text: str) -> set[str]:
    """The arguments a sentence tells the user to set: `name=` always, a bare name unless it is plain English."""
    assigned = set(re.findall(r"\b([a-z_]+)=", text))
    bare = {w for w in re.findall(r"\b[a-z_]+\b", text) if w in EVERY_ARGUMENT and w not in _PLAIN_WORDS}
    return (assigned | bare) & EVERY_ARGUMENT | (assigned - EVERY_ARGUMENT)


REFUSED: list[tuple[str, ToolArgs]] = [
    (MODEL_S2V, TalkingVideoArgs(script="Hi", options={"quality": "high"}, duration=15)),
    (MODEL_S2V, TalkingVideoArgs(audio="a.wav", options={"quality": "mid"}, duration=10)),
    (MODEL_S2V, TalkingVideoArgs(audio="a.wav", options={"quality": "mid"}, duration=5)),
    (MODEL_AVATAR, TalkingVideoArgs(script="Hello there.")),
    (MODEL_AVATAR, TalkingVideoArgs(audio="a.wav", resolution="1080p")),
    (MODEL_SPEAK, TalkingVideoArgs(script="Hello there.", voice_id="v", options={"quality": "high"})),
    (MODEL_SPEAK, TalkingVideoArgs(audio="https://x/a.wav")),
    (MODEL_TTS, SpeechArgs(text="Hello", voice_id="v")),
    (MODEL_IMAGE_VIDEO, ImageVideoArgs(image="https://x/a.png", prompt="zoom", variant="standard")),
    (MODEL_IMAGE_VIDEO, ImageVideoArgs(image="https://x/a.png", prompt="zoom", variant="lite")),
    (MODEL_ADS, ProductAdArgs(product_placement_sample_id="s", images=["https://x/a.png"])),
]


@pytest.mark.parametrize(("model", "args"), REFUSED, ids=[f"{m}-{i}" for i, (m, _) in enumerate(REFUSED)])
def test_spend_refusal_names_only_what_the_model_takes(model: str, args: ToolArgs) -> None:
    advice = spend_refusal_advice(cheaper_options(model, args))
    assert advice.startswith("Ask the user to raise the limit") and advice.endswith(".")
    assert named_arguments(advice) <= APPLIES[model], (model, advice)


def test_heygen_is_never_told_about_quality_or_duration() -> None:
    advice = spend_refusal_advice(cheaper_options(MODEL_AVATAR, TalkingVideoArgs(script="Hello there.")))
    assert "quality" not in advice and "duration" not in advice
    assert "model='local'" in advice


def test_speech2video_offers_what_actually_costs_less() -> None:
    assert cheaper_options(MODEL_S2V, TalkingVideoArgs(options={"quality": "high"}, duration=15)) == [
        "options.quality='mid'", "duration=5 (if the speech fits)", "model='local' (free)"]
    # Already the cheapest quality and length: only the free model is left.
    assert cheaper_options(MODEL_S2V, TalkingVideoArgs(options={"quality": "mid"}, duration=5)) == [
        "model='local' (free)"]
    # Speak's price does not depend on quality: it is not offered.
    speak = TalkingVideoArgs(script="Hi", options={"quality": "high"})
    assert not any("quality" in o for o in cheaper_options(MODEL_SPEAK, speak))
    assert advice(MODEL_ADS, ProductAdArgs(product_placement_sample_id="s", images=["u"])) == (
        "Ask the user to raise the limit.")


def test_ten_minutes_of_audio_for_speech2video_is_not_told_to_choose_duration_15() -> None:
    advice = too_long("audio", 600.0, 10, MODEL_S2V)
    assert "duration=15" not in advice and "duration 15" not in advice
    assert "at most 15 s" in advice and "trim the audio to 15 s or less" in advice
    assert "model='local'" in advice
    assert named_arguments(advice) <= APPLIES[MODEL_S2V]


@pytest.mark.parametrize(("seconds", "chosen", "fix"), [(7.0, 5, "duration=10"), (12.0, 10, "duration=15"),
                                                         (14.9, 5, "duration=15"), (10.2, 10, None)])
def test_the_shortest_duration_that_fits_is_offered(seconds: float, chosen: int, fix: str | None) -> None:
    advice = too_long("audio", seconds, chosen, MODEL_S2V)
    if fix is None:  # within the tolerance: duration=10 already fits
        assert advice.startswith("choose duration=10")
    else:
        assert advice.startswith(f"choose {fix} or trim the audio to {chosen} s")


def test_script_length_estimates_and_is_sure_only_when_far_over() -> None:
    assert script_length("Hello there, welcome to the course.", 5, MODEL_S2V) == (None, False)
    long = "Welcome to the course, today we learn to make a talking video. " * 10  # about 36 s spoken
    note, certain = script_length(long, 10, MODEL_S2V)
    assert certain and note is not None
    assert f"about {speech_seconds(long):.0f} s" in note and "duration=10 s" in note
    assert "at most 15 s" in note and "shorten the script" in note
    assert named_arguments(note) <= APPLIES[MODEL_S2V]
    borderline = "Welcome to the course, today we learn to make a video. " * 3  # about 9.4 s, 8 s at the fastest
    note, certain = script_length(borderline, 8.5, MODEL_S2V)
    assert note is not None and not certain
