"""Failures that can be known before a job starts are found then, over a real MCP session against the
emulator: nothing is sent to a provider and no job is written. Text with no word in it, a script or a
recording too long for Speak v2's duration, and audio that cannot be decoded (named as `audio`)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp.render import AudioUnusable
from tests.helpers import PRESETS, error_text, structured, wav_bytes

pytestmark = pytest.mark.anyio
S2V = "segmind/higgsfield-speech2video"
AVATAR = "segmind/heygen-avatar-iv"
PAID_POSTS = ("segmind.submit", "segmind.upload", "unifically.speak", "unifically.tts")
FACE = {"avatar_preset_id": "local:grace_hopper"}
LONG_SCRIPT = "Welcome to the course, today we learn how to make a talking video from one photo. " * 8


def paid_posts(emulator: Any) -> list[str]:
    return [r["endpoint"] for r in emulator.requests() if r["endpoint"] in PAID_POSTS]


async def nothing_happened(client: Any, emulator: Any) -> None:
    assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []
    assert paid_posts(emulator) == []


@pytest.mark.parametrize("text", ["...!?", "😀 😀 🎉", "<break time='1s'/> — …", "**  **"])
async def test_text_with_no_word_is_refused_up_front(client: Any, emulator: Any, text: str) -> None:
    for provider in ("local", "unifically"):
        result = await client.call_tool("text_to_speech", {"text": text, "provider": provider,
                                                           "voice_id": "espeak:en" if provider == "local" else "x"})
        assert result.is_error and error_text(result) == (
            "text: has no word to speak (only punctuation, symbols, emoji or markup); send the sentence to be "
            "spoken."), error_text(result)
    for model in ("local", S2V, AVATAR):
        result = await client.call_tool("generate_talking_video", {"model": model, "script": text, **FACE})
        assert result.is_error and error_text(result).startswith("script: has no word to speak"), error_text(result)
    await nothing_happened(client, emulator)


async def test_a_script_too_long_for_the_duration_is_a_dry_run_warning_and_a_refused_submit(
    client: Any, emulator: Any
) -> None:
    args = {"model": S2V, "script": LONG_SCRIPT, "voice_id": "espeak:en", "duration": 5, **FACE}
    view = structured(await client.call_tool("generate_talking_video", {**args, "dry_run": True}))
    assert view["status"] == "dry_run" and view["cost_estimate_usd"] > 0
    warning = next(w for w in view["warnings"] if w.startswith("script: "))
    assert "would last about 37 s, longer than duration=5 s" in warning and "(a submit is refused)" in warning
    assert "at most 15 s" in warning, warning  # 37 s fits no duration: not "choose duration=15"
    refused = await client.call_tool("generate_talking_video", args)
    assert refused.is_error and error_text(refused).startswith(
        "script: spoken, the script would last about 37 s, longer than duration=5 s;"), error_text(refused)
    await nothing_happened(client, emulator)
    # A script that fits is not warned about.
    fits = structured(await client.call_tool("generate_talking_video", {
        **args, "script": "Hello there.", "dry_run": True}))
    assert not any(w.startswith("script: ") for w in fits["warnings"] or [])


@pytest.mark.parametrize(("seconds", "duration", "advice"), [
    (600.0, 10, "segmind/higgsfield-speech2video makes at most 15 s: trim the audio to 15 s or less, or choose "
                "model='local' (free) or model='segmind/heygen-avatar-iv' or model='unifically/higgsfield-speak'."),
    (12.0, 10, "choose duration=15 or trim the audio to 10 s."),
])
async def test_audio_too_long_for_speech2video_gets_advice_that_fits(client: Any, emulator: Any, tmp_path: Path,
                                                                     seconds: float, duration: int,
                                                                     advice: str) -> None:
    audio = tmp_path / "speech.wav"
    audio.write_bytes(wav_bytes(seconds, rate=8000))
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "audio": str(audio), "duration": duration, **FACE})
    assert result.is_error and error_text(result) == (
        f"audio: lasts {seconds:.1f} s, longer than duration={duration} s, so the video would cut it off; {advice}"
    ), error_text(result)
    assert "Choose duration 15" not in error_text(result)
    await nothing_happened(client, emulator)


def broken_wav(path: Path) -> Path:
    """A file that looks like a WAV (RIFF/WAVE header) but holds no decodable audio."""
    body = b"fmt " + struct.pack("<I", 16) + b"\xff" * 16 + b"data" + struct.pack("<I", 4000) + b"\x00\x01" * 50
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body)
    return path


async def test_audio_that_cannot_be_decoded_is_named_audio_before_a_local_render(client: Any, emulator: Any,
                                                                                tmp_path: Path) -> None:
    result = await client.call_tool("generate_talking_video", {
        "model": "local", "audio": str(broken_wav(tmp_path / "broken.wav")), **FACE})
    assert result.is_error and error_text(result).startswith("audio: "), error_text(result)
    assert "broken.wav" in error_text(result) and "image" not in error_text(result)
    await nothing_happened(client, emulator)


def test_the_renderer_names_undecodable_audio_apart_from_the_photo(tmp_path: Path) -> None:
    from talking_video_mcp.render import render_talking_head

    with pytest.raises(AudioUnusable, match=r"broken\.wav"):
        render_talking_head(PRESETS / "grace_hopper.jpg", broken_wav(tmp_path / "broken.wav"), tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()
