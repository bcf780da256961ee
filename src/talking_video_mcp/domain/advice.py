"""What to change when a request is refused, worded for the model in question: advice names only the
arguments that model takes (each provider's own advice comes from its declaration, providers/plugin.py), so
an assistant following it never gets a second refusal for a parameter that does not apply."""

from __future__ import annotations

from collections.abc import Mapping

# The offline voices at their normal pace speak 16 to 21 characters a second (measured on a paragraph:
# piper joe 18, eSpeak en 16, de 17, fr 21). The likely length uses the middle; "certainly too long" the fastest.
CHARS_PER_SECOND = 17.5
FASTEST_CHARS_PER_SECOND = 21.0
TOLERANCE_S = 0.25  # what the length checks forgive (a trailing breath)
# The video lengths (seconds) each model makes (models not listed take speech of any length), and the models
# to suggest instead: filled from the providers' declarations (ModelSpec.durations) by the registry.
DURATIONS: dict[str, tuple[int, ...]] = {}
_UNLIMITED: list[str] = []


def know_durations(durations: Mapping[str, tuple[int, ...]], unlimited: list[str]) -> None:
    """`unlimited`: the talking models without a length limit, each worded as the argument to send."""
    DURATIONS.clear()
    DURATIONS.update(durations)
    _UNLIMITED[:] = unlimited


def speech_seconds(script: str, chars_per_second: float = CHARS_PER_SECOND) -> float:
    """About how long an offline voice takes to speak `script`."""
    return len(" ".join(script.split())) / chars_per_second


def too_long(what: str, seconds: float, chosen: float, model: str) -> str:
    """The fix for `what` ("audio" or "script") lasting `seconds`, over duration=`chosen`: the shortest duration
    that fits when there is one, else the model's longest and the models without a length limit."""
    durations = DURATIONS.get(model, ())
    shorten = "trim the audio" if what == "audio" else "shorten the script"
    fits = [d for d in sorted(durations) if d + TOLERANCE_S >= seconds]
    if fits:
        return f"choose duration={fits[0]} or {shorten} to {chosen:g} s"
    longest = max(durations, default=chosen)
    instead = " or ".join(_UNLIMITED) or "a model without a length limit (list_models)"
    return f"{model} makes at most {longest:g} s: {shorten} to {longest:g} s or less, or choose {instead}"


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


def spend_refusal_advice(options: list[str]) -> str:
    """What to do about a job the spend guard stopped, given its cheaper options (each an argument the model
    takes: the registry's cheaper_options)."""
    if not options:
        return "Ask the user to raise the limit."
    listed = options[0] if len(options) == 1 else f"{', '.join(options[:-1])} or {options[-1]}"
    return f"Ask the user to raise the limit, or pick a cheaper option: {listed}."
