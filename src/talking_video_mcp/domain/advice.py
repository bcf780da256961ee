"""What to change when a request is refused, worded for the model in question: advice names only the
arguments that model takes (Speak v2 has durations, HeyGen has neither quality nor duration), so an
assistant following it never gets a second refusal for a parameter that does not apply."""

from __future__ import annotations

from talking_video_mcp.domain.requests import ImageVideoArgs, SpeechArgs, TalkingVideoArgs, ToolArgs
from talking_video_mcp.names import (
    MODEL_AVATAR,
    MODEL_DURATIONS,
    MODEL_IMAGE_VIDEO,
    MODEL_LOCAL,
    MODEL_S2V,
    MODEL_SPEAK,
    MODEL_TTS,
)

# The offline voices at their normal pace speak 16 to 21 characters a second (measured on a paragraph:
# piper joe 18, eSpeak en 16, de 17, fr 21). The likely length uses the middle; "certainly too long" the fastest.
CHARS_PER_SECOND = 17.5
FASTEST_CHARS_PER_SECOND = 21.0
TOLERANCE_S = 0.25  # what the length checks forgive (a trailing breath)
_UNLIMITED = f"model='{MODEL_LOCAL}' (free) or model='{MODEL_AVATAR}'"


def speech_seconds(script: str, chars_per_second: float = CHARS_PER_SECOND) -> float:
    """About how long an offline voice takes to speak `script`."""
    return len(" ".join(script.split())) / chars_per_second


def too_long(what: str, seconds: float, chosen: float, model: str) -> str:
    """The fix for `what` ("audio" or "script") lasting `seconds`, over duration=`chosen`: the shortest duration
    that fits when there is one, else the model's longest and the models without a length limit."""
    durations = MODEL_DURATIONS.get(model, ())
    shorten = "trim the audio" if what == "audio" else "shorten the script"
    fits = [d for d in sorted(durations) if d + TOLERANCE_S >= seconds]
    if fits:
        return f"choose duration={fits[0]} or {shorten} to {chosen:g} s"
    longest = max(durations, default=chosen)
    return f"{model} makes at most {longest:g} s: {shorten} to {longest:g} s or less, or choose {_UNLIMITED}"


def script_length(script: str, limit: float, model: str) -> tuple[str | None, bool]:
    """A sentence when the script likely runs past duration=`limit` (None when it fits), and whether it
    certainly does, even at the fastest voice's pace (then a submit is refused before anything runs)."""
    likely = speech_seconds(script)
    if likely <= limit + TOLERANCE_S:
        return None, False
    certain = speech_seconds(script, FASTEST_CHARS_PER_SECOND) > limit + TOLERANCE_S
    return (
        f"spoken, the script would last about {likely:.0f} s, longer than duration={limit:g} s; "
        f"{too_long('script', likely, limit, model)}",
        certain,
    )


def cheaper_options(model: str, args: ToolArgs) -> list[str]:
    """Changes to this request that cost less, each an argument this model takes."""
    options: list[str] = []
    if model == MODEL_S2V and isinstance(args, TalkingVideoArgs):
        if (args.quality or "high") != "mid":
            options.append("quality='mid'")
        shorter = [d for d in MODEL_DURATIONS[model] if d < (args.duration or 10)]
        if shorter:
            options.append(f"duration={shorter[0]} (if the speech fits)")
    elif model == MODEL_SPEAK and isinstance(args, TalkingVideoArgs) and args.script:
        options.append("audio or audio_task_id instead of a script (no speech step to pay)")
    elif model == MODEL_TTS and isinstance(args, SpeechArgs):
        options.append("provider='local' (free offline voices)")
    elif model == MODEL_IMAGE_VIDEO and isinstance(args, ImageVideoArgs) and args.variant != "lite":
        options.append("model='lite'")
    if model in (MODEL_S2V, MODEL_AVATAR, MODEL_SPEAK):
        options.append(f"model='{MODEL_LOCAL}' (free)")
    return options


def spend_refusal_advice(model: str, args: ToolArgs) -> str:
    """What to do about a job the spend guard stopped."""
    options = cheaper_options(model, args)
    if not options:
        return "Ask the user to raise the limit."
    listed = options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
    return f"Ask the user to raise the limit, or pick a cheaper option: {listed}."
