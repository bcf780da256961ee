"""Path containment judged by its outcome, over a real MCP session against the emulator on loopback.

A readable, valid media file with unique content lies outside the allowed roots. Every way of naming it
(absolute path, a symlink from inside a root, file: URL, ~, .., a relative path through a linked folder)
must be refused for *being outside*, not for some later reason, and nothing may leave: no upload, no
provider request (the emulator's request log stays empty), no job in the ledger, no copy of the bytes."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import error_text, png_bytes, structured, wav_bytes

pytestmark = pytest.mark.anyio
S2V = "segmind/higgsfield-speech2video"
AVATAR = "segmind/heygen-avatar-iv"
OUTSIDE = "is outside the folders this server may read"


class Outside:
    """A folder outside the allowed roots holding a face photo and a recording, each with unique bytes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.marker = f"OUTSIDE-THE-ROOTS-{secrets.token_hex(8)}".encode()
        # Valid media (the sniffers and decoders accept them) with the marker after the last chunk/sample:
        # were containment to fail, these would be read, uploaded and rendered.
        self.image = folder / "face.png"
        self.image.write_bytes(png_bytes() + self.marker)
        self.audio = folder / "voice.wav"
        self.audio.write_bytes(wav_bytes(2.0) + self.marker)


@pytest.fixture
def outside(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Outside:
    folder = tmp_path_factory.mktemp("outside-the-roots")
    assert not folder.is_relative_to(tmp_path)  # tmp_path is the only allowed root (tests/conftest.py)
    return Outside(folder)


@pytest.fixture
def inside(tmp_path: Path) -> dict[str, Path]:
    """Good inputs inside the root, so only the input under test can be the reason for a refusal."""
    image, audio = tmp_path / "inside.png", tmp_path / "inside.wav"
    image.write_bytes(png_bytes())
    audio.write_bytes(wav_bytes(2.0))
    return {"image": image, "audio": audio}


def _absolute(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    return str(target)


def _symlink(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    link = root / f"innocent{target.suffix}"
    link.symlink_to(target)
    return str(link)


def _file_url(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    return target.as_uri()


def _tilde(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    mp.setenv("HOME", str(o.folder))
    return f"~/{target.name}"


def _dotdot_absolute(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    return f"{root}/../{target.parent.name}/{target.name}"


def _dotdot_relative(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    return os.path.relpath(target, root)  # "../outside-the-roots0/face.png", from the root


def _relative_through_link(o: Outside, root: Path, mp: pytest.MonkeyPatch, target: Path) -> str:
    (root / "shared").symlink_to(o.folder, target_is_directory=True)
    return f"shared/{target.name}"  # relative to the root, through a linked folder


FORMS: dict[str, Callable[[Outside, Path, pytest.MonkeyPatch, Path], str]] = {
    "absolute": _absolute,
    "symlink": _symlink,
    "file-url": _file_url,
    "tilde": _tilde,
    "dotdot-absolute": _dotdot_absolute,
    "dotdot-relative": _dotdot_relative,
    "relative-through-link": _relative_through_link,
}


async def _assert_nothing_left(client: Any, emulator: Any, o: Outside, home: Path) -> None:
    assert emulator.requests() == [], emulator.requests()  # no upload, no submit, not even a HEAD
    assert emulator.stats()["requests_total"] == 0
    assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []
    for path in home.rglob("*"):
        assert not path.is_file() or o.marker not in path.read_bytes(), f"{path} holds the outside file's bytes"


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("field", ["image", "audio"])
async def test_a_file_outside_the_roots_is_refused_however_it_is_named(
    client: Any, emulator: Any, outside: Outside, inside: dict[str, Path], tmp_path: Path, home: Path,
    monkeypatch: pytest.MonkeyPatch, form: str, field: str,
) -> None:
    target = outside.image if field == "image" else outside.audio
    value = FORMS[form](outside, tmp_path, monkeypatch, target)
    args = {"model": S2V, "image": str(inside["image"]), "audio": str(inside["audio"]), "duration": 5,
            field: value}
    result = await client.call_tool("generate_talking_video", args)
    assert result.is_error, result
    text = error_text(result)
    assert f"{field}: " in text and OUTSIDE in text, text
    assert str(tmp_path) in text  # names the folders that may be read
    assert outside.marker.decode() not in text
    await _assert_nothing_left(client, emulator, outside, home)


@pytest.mark.parametrize("model", [AVATAR, "local"])
async def test_every_model_that_reads_files_refuses_the_outside_file(
    client: Any, emulator: Any, outside: Outside, tmp_path: Path, home: Path, model: str
) -> None:
    link = tmp_path / "me.png"
    link.symlink_to(outside.image)
    args: dict[str, Any] = {"model": model, "image": str(link), "script": "Read me out."}
    result = await client.call_tool("generate_talking_video", args)
    assert result.is_error, result
    assert OUTSIDE in error_text(result) and "a link to" in error_text(result)
    await _assert_nothing_left(client, emulator, outside, home)


async def test_dry_run_refuses_the_outside_file_too(
    client: Any, emulator: Any, outside: Outside, inside: dict[str, Path], home: Path
) -> None:
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "image": str(outside.image), "audio": str(inside["audio"]), "duration": 5, "dry_run": True})
    assert result.is_error and OUTSIDE in error_text(result), error_text(result)
    await _assert_nothing_left(client, emulator, outside, home)


@pytest.mark.parametrize("target", ["/etc/passwd", "/dev/zero"])
async def test_system_files_are_refused_as_outside_not_as_bad_media(
    client: Any, emulator: Any, inside: dict[str, Path], home: Path, target: str
) -> None:
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "image": target, "audio": str(inside["audio"]), "duration": 5})
    assert result.is_error and OUTSIDE in error_text(result), error_text(result)
    assert emulator.requests() == []


async def test_a_relative_path_means_the_root_not_the_server_directory(
    client: Any, emulator: Any, outside: Outside, inside: dict[str, Path], tmp_path: Path, home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the server's working directory holding face.png, "face.png" still names <root>/face.png."""
    monkeypatch.chdir(outside.folder)
    result = await client.call_tool("generate_talking_video", {
        "model": S2V, "image": "face.png", "audio": str(inside["audio"]), "duration": 5})
    assert result.is_error
    assert f"file not found: {tmp_path / 'face.png'}" in error_text(result), error_text(result)
    await _assert_nothing_left(client, emulator, outside, home)
    # The same name inside the root is accepted, which shows the refusal above was about where it looked.
    (tmp_path / "face.png").write_bytes(png_bytes())
    ok = structured(await client.call_tool("generate_talking_video", {
        "model": S2V, "image": "face.png", "audio": str(inside["audio"]), "duration": 5, "dry_run": True}))
    assert ok["status"] == "dry_run" and ok["request"]["inputs"]["input_image"] == str(tmp_path / "face.png")
