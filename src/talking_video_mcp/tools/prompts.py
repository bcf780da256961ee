"""The make_talking_video prompt: guides the assistant through a good, affordable job."""

from __future__ import annotations

WORDS_PER_SECOND = 2.4
MAX_SECONDS = 600


def make_talking_video(topic: str, length_seconds: int = 10, tone: str = "friendly", *, voice: str | None = None,
                       preset: str | None = None, model: str | None = None) -> str:
    if not 1 <= length_seconds <= MAX_SECONDS:
        raise ValueError(f"length_seconds must be between 1 and {MAX_SECONDS}, not {length_seconds}.")
    words = max(5, int(length_seconds * WORDS_PER_SECOND))
    chosen = [f"{name}={value!r}" for name, value in (("model", model), ("voice_id", voice),
                                                      ("avatar_preset_id", preset)) if value]
    return (
        f"Make a talking-head video of about {length_seconds} seconds about: {topic}\n"
        f"Tone: {tone}.\n\n"
        "Steps:\n"
        f"1. Write a script of about {words} words (≈{WORDS_PER_SECOND:g} spoken words per second) in that tone; "
        "one idea, plain sentences, no stage directions.\n"
        "2. Call list_models(configured=true) to see the models you can use, their prices, limits and "
        "options, and get_account for today's budget left.\n"
        "3. Call list_voices (filter by language/gender as fits) and list_avatar_presets; pick a voice and a "
        "face, or ask the user for their own photo (a URL or a local file path).\n"
        "4. Choose the model: a free one works offline; for a model with fixed durations choose the shortest "
        f"≥ {length_seconds} s. Call generate_talking_video with dry_run=true and tell the user the "
        "cost estimate before spending money.\n"
        "5. Submit with the same arguments (without dry_run), then call check_video_status with wait_seconds=55 "
        "until the status is completed, failed, expired or submit_unknown.\n"
        "6. Give the user the video_path; if it failed, explain the error and what to change."
        + (f"\n\nThe user chose: {', '.join(chosen)}; use these in the steps above." if chosen else "")
    )
