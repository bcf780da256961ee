"""Photos and scripts as people bring them, through the tools: a photo without a face costs nothing, a
script is spoken by a voice of its language, and the local model's framing choices are checked up front."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp.settings import Settings
from tests.helpers import PRESETS, error_text, png_bytes, structured

pytestmark = pytest.mark.anyio


def photo(settings: Settings, name: str, *, face: bool = True) -> str:
    path = Path(settings.allowed_roots[0]) / name
    path.write_bytes(png_bytes(512, 512, face=face))
    return str(path)


@pytest.mark.parametrize("model", ["segmind/higgsfield-speech2video", "segmind/heygen-avatar-iv", "local"])
async def test_a_photo_without_a_face_is_refused_before_any_request(client: Any, settings: Settings,
                                                                    emulator: Any, model: str) -> None:
    before = len(emulator.requests())
    result = await client.call_tool("generate_talking_video", {
        "model": model, "image": photo(settings, "wall.png", face=False), "script": "Hello there, everyone."})
    assert result.is_error
    assert error_text(result).startswith("image: No face found"), \
        error_text(result)
    assert len(emulator.requests()) == before, "nothing may reach the provider for a photo without a face"
    assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []


@pytest.mark.parametrize(("script", "voice"), [
    ("Guten Morgen! Heute zeige ich Ihnen, wie unser neues Produkt funktioniert.", "espeak:de"),
    ("Bonjour à tous ! Aujourd'hui, je vais vous montrer notre nouveau produit.", "espeak:fr"),
    ("¡Hola a todos! Hoy les voy a mostrar cómo funciona nuestro nuevo producto.", "espeak:es"),
    ("Buongiorno a tutti! Oggi vi mostro come funziona il nostro nuovo prodotto.", "espeak:it"),
    ("Olá a todos! Hoje vou mostrar como funciona o nosso novo produto.", "espeak:pt"),
    ("Всем привет! Сегодня я покажу вам, как работает наш новый продукт.", "espeak:ru"),
    # Grace Hopper is a woman: her default voice is a female one of the script's language (no female neural
    # English voice ships, so eSpeak's).
    ("Hello everyone! Today I will show you how our new product works.", "espeak:en-us+f3"),
])
async def test_a_script_without_voice_id_gets_a_voice_of_its_language(client: Any, script: str,
                                                                      voice: str) -> None:
    view = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "script": script, "dry_run": True}))
    assert view["voice_id"].startswith(voice), view
    assert not view["warnings"]


async def test_a_language_no_offline_voice_speaks_is_refused_by_name(client: Any) -> None:
    result = await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper",
        "script": "皆さん、こんにちは。今日は新しい製品を紹介します。"})
    assert result.is_error and "Japanese" in error_text(result), error_text(result)


async def test_a_voice_of_another_language_is_a_warning_in_the_view(client: Any) -> None:
    view = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "avatar_preset_id": "local:grace_hopper", "dry_run": True,
        "script": "Guten Morgen! Heute zeige ich Ihnen, wie unser neues Produkt funktioniert.",
        "voice_id": "piper:en_US-joe-medium"}))
    assert view["voice_id"] == "piper:en_US-joe-medium"
    assert any("German" in w for w in view["warnings"]), view["warnings"]


@pytest.mark.parametrize(("arguments", "field"), [
    ({"model": "local", "resolution": "999p"}, "resolution"),
    ({"model": "local", "options": {"face_index": 3}}, "options.face_index"),
    ({"model": "segmind/higgsfield-speech2video", "aspect_ratio": "1:1"}, "aspect_ratio"),
    ({"model": "segmind/heygen-avatar-iv", "options": {"face_index": 0}}, "options.face_index"),
])
async def test_local_only_choices_are_checked_up_front(client: Any, arguments: dict[str, Any], field: str) -> None:
    result = await client.call_tool("generate_talking_video", {
        "avatar_preset_id": "local:grace_hopper", "script": "Hello there.", **arguments})
    assert result.is_error and error_text(result).startswith(f"{field}: "), error_text(result)


def canvas_photo(path: Path, width: int, height: int, *, at: tuple[float, float], scale: float) -> str:
    """A landscape or phone-sized photo with the shipped face placed in it, as people's photos are."""
    import cv2
    import numpy as np

    face = cv2.imread(str(PRESETS / "grace_hopper.jpg"))
    canvas = np.full((height, width, 3), (96, 120, 80), np.uint8)
    side = int(min(width, height) * scale)
    face = cv2.resize(face, (side, side * face.shape[0] // face.shape[1]))
    y, x = int((height - face.shape[0]) * at[1]), int((width - face.shape[1]) * at[0])
    canvas[y:y + face.shape[0], x:x + face.shape[1]] = face
    cv2.imwrite(str(path), canvas, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return str(path)


async def test_an_8k_phone_photo_with_a_small_face_is_taken(client: Any, settings: Settings) -> None:
    image = canvas_photo(Path(settings.allowed_roots[0]) / "phone.jpg", 7680, 4320, at=(0.8, 0.3), scale=0.25)
    view = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "image": image, "script": "Hello from my phone.", "dry_run": True}))
    assert view["status"] == "dry_run" and not view["warnings"]


async def test_a_landscape_photo_renders_as_a_720p_head_and_shoulders_video(client: Any, settings: Settings) -> None:
    from talking_video_mcp.media.video import probe_video
    from tests.helpers import wait_for_job

    image = canvas_photo(Path(settings.allowed_roots[0]) / "event.jpg", 4000, 3000, at=(0.2, 0.4), scale=0.3)
    job = structured(await client.call_tool("generate_talking_video", {
        "model": "local", "image": image, "script": "Welcome to the show.", "resolution": "720p",
        "aspect_ratio": "16:9"}))
    job = await wait_for_job(client, job, limit_s=120)
    assert job["status"] == "completed", job
    info = probe_video(Path(job["video_path"]))
    assert min(info.width, info.height) == 720 and info.width > info.height, info
