"""create_upload for remote users: a signed-in user gets a one-time signed URL, PUTs a photo to it, and makes a
video from the `upload://` id; a changed, expired or another user's id is refused in one sentence, and a
file that is too large, of the wrong type or without a face is refused before anything is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.settings import Settings
from tests.helpers import error_text, png_bytes, structured, wait_for_job, wav_bytes
from tests.signed_in import ALICE, BOB, session, signed_in_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def site(settings: Settings) -> Iterator[str]:
    with signed_in_server(settings) as base:
        yield base


def _uploads(settings: Settings) -> list[Path]:
    folder = settings.uploads_dir
    return sorted(folder.iterdir()) if folder.exists() else []


async def _ticket(client: Any, kind: str = "image") -> dict[str, Any]:
    ticket = structured(await client.call_tool("create_upload", {"kind": kind}))
    assert ticket["upload_id"].startswith("upload://") and ticket["upload_url"].startswith("http"), ticket
    return ticket


def _put(ticket: dict[str, Any], data: bytes, mime: str = "image/png", **headers: str) -> httpx.Response:
    return httpx.put(ticket["upload_url"], content=data, headers={"content-type": mime, **headers}, timeout=30)


def _headers_only(ticket: dict[str, Any], length: int) -> str:
    """A PUT that declares `length` bytes and sends none of them: the answer must come from the headers alone."""
    import socket
    from urllib.parse import urlsplit

    url = urlsplit(ticket["upload_url"])
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(f"PUT {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: image/png\r\n"
                     f"Content-Length: {length}\r\n\r\n".encode())
        answer = b""
        while b"}" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        return answer.decode("latin-1")


def _changed(text: str, i: int) -> str:
    return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:]


async def test_a_photo_uploaded_by_url_makes_a_video(site: str, settings: Settings) -> None:
    async with session(site, ALICE) as alice:
        ticket = await _ticket(alice)
        assert ticket["upload_url"].startswith(site + "/uploads/") and "curl" in ticket["example"]
        stored = _put(ticket, png_bytes())
        assert stored.status_code == 201, stored.text
        assert len(_uploads(settings)) == 1
        again = _put(ticket, png_bytes())  # one file per URL
        assert again.status_code == 409 and "one file" in again.json()["error"]
        job = structured(await alice.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": ticket["upload_id"], "script": "Hello from my own photo.",
            "voice_id": "Nova"}))
        job = await wait_for_job(alice, job, limit_s=60)
        assert job["status"] == "completed", job

    async with session(site, BOB) as bob:  # another user's id is refused, in one sentence naming the argument
        result = await bob.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": ticket["upload_id"], "script": "Not mine.",
            "voice_id": "Nova"})
        assert result.is_error and error_text(result).startswith("image: names another user's upload"), result


async def test_an_uploaded_recording_is_the_speech(site: str, settings: Settings) -> None:
    async with session(site, ALICE) as alice:
        ticket = await _ticket(alice, "audio")
        assert _put(ticket, wav_bytes(2.0), mime="audio/wav").status_code == 201
        job = structured(await alice.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "avatar_preset_id": "local:grace_hopper",
            "audio": ticket["upload_id"]}))
        job = await wait_for_job(alice, job, limit_s=60)
        assert job["status"] == "completed", job
        photo = await _ticket(alice)
        wrong = _put(photo, wav_bytes(1.0), mime="image/png")  # a recording declared as a photo
        assert wrong.status_code == 422 and "its bytes are audio/wav" in wrong.json()["error"]


async def test_changed_expired_and_unfinished_ids_are_refused(site: str, settings: Settings) -> None:
    async with session(site, ALICE) as alice:
        ticket = await _ticket(alice)
        args = {"model": "segmind/heygen-avatar-iv", "script": "Hello.", "voice_id": "Nova"}
        empty = await alice.call_tool("generate_talking_video", {**args, "image": ticket["upload_id"]})
        assert empty.is_error and "has no file yet; PUT the file to its upload_url first" in error_text(empty)
        assert _put(ticket, png_bytes()).status_code == 201
        for i in (12, 30, len(ticket["upload_id"]) - 3):  # the name, the expiry, the signature
            changed_id = _changed(ticket["upload_id"], i)
            changed = await alice.call_tool("generate_talking_video", {**args, "image": changed_id})
            assert changed.is_error, i
            assert error_text(changed) == ("image: is not an upload id this server made (it was changed or cut short); "
                                           "pass the upload_id exactly as create_upload answered it.")
        wrong_kind = await alice.call_tool("generate_talking_video", {
            "model": "segmind/heygen-avatar-iv", "image": "https://example.invalid/face.png",
            "audio": ticket["upload_id"]})
        assert wrong_kind.is_error and "names an image upload; pass it as `image`" in error_text(wrong_kind)
        elsewhere = await alice.call_tool("generate_video_from_image",
                                          {"image": ticket["upload_id"], "prompt": "orbit"})
        assert elsewhere.is_error and error_text(elsewhere).startswith(
            "image: upload:// ids are taken by generate_talking_video's image and audio only"), error_text(elsewhere)

    # An hour later (only the clock changed): the same id has expired.
    import time

    from talking_video_mcp.downloads import load_secret
    from talking_video_mcp.uploads import Uploads

    later = time.time() + settings.upload_ttl_s + 1
    uploads = Uploads(settings, load_secret(settings), None, clock=lambda: later)
    with pytest.raises(ValueError, match=r"^image: names an upload that has expired; call create_upload again"):
        uploads.id_ticket(ticket["upload_id"], field="image", owner="alice")
    assert uploads.put_ticket(*ticket["upload_url"].split("/uploads/")[1].split("?")) is None  # and so has its URL
    assert "alice" not in ticket["upload_id"] and "alice" not in ticket["upload_url"]


async def test_oversize_wrong_type_and_faceless_uploads_are_refused_before_they_are_kept(
        site: str, settings: Settings) -> None:
    async with session(site, ALICE) as alice:
        ticket = await _ticket(alice)
        big = _headers_only(ticket, 10 * 2**20 + 1)  # answered before any of the body is sent
        assert big.startswith("HTTP/1.1 413") and "over the 10485760 byte limit" in big, big
        assert _put(ticket, b"%PDF-1.4", mime="application/pdf").status_code == 415
        fake = _put(ticket, b"<html>not a photo</html>" * 10)
        assert fake.status_code == 422 and "its bytes are in no known format" in fake.json()["error"]
        faceless = _put(ticket, png_bytes(face=False))
        assert faceless.status_code == 422 and "shows no face" in faceless.json()["error"]
        assert _uploads(settings) == []  # nothing refused was kept
        forged = httpx.put(ticket["upload_url"].replace("signature=", "signature=A"), content=png_bytes(),
                           headers={"content-type": "image/png"})
        assert forged.status_code == 403
        assert _put(ticket, png_bytes()).status_code == 201  # the URL still takes its one good file
        audio = await _ticket(alice, "audio")
        assert audio["max_bytes"] == 50 * 2**20 and "audio/wav" in audio["content_types"]


async def test_an_upload_lives_in_the_video_store_and_any_replica_uses_it(
        tmp_path: Path, emulator: Any, seaweedfs: Any) -> None:
    """Two servers sharing only the store and the secret (no disk): the photo PUT to one makes a video on the other."""
    from pydantic import SecretStr

    from tests.conftest import make_settings
    from tests.s3 import BUCKET

    store = seaweedfs.env("team")
    homes = [tmp_path / "a", tmp_path / "b"]
    settings = [make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_URL_SECRET=SecretStr("s" * 40), **store)
                for home in homes]
    with signed_in_server(settings[0]) as first, signed_in_server(settings[1]) as second:
        async with session(first, ALICE) as alice:
            ticket = await _ticket(alice)
        assert _put(ticket, png_bytes()).status_code == 201
        name = ticket["upload_id"].removeprefix("upload://").split(".")[0]
        stored = seaweedfs.client().head_object(Bucket=BUCKET, Key=f"team/uploads/{name}")
        assert stored["ContentType"] == "image/png"
        assert not (homes[1] / "videos" / "uploads").exists()
        async with session(second, ALICE) as alice:
            job = structured(await alice.call_tool("generate_talking_video", {
                "model": "segmind/heygen-avatar-iv", "image": ticket["upload_id"], "script": "From the store.",
                "voice_id": "Nova"}))
            job = await wait_for_job(alice, job, limit_s=60)
            assert job["status"] == "completed", job
        assert [p.name for p in (homes[1] / "videos" / "uploads").iterdir()] == [f"{name}.png"]
        async with session(second, BOB) as bob:
            refused = await bob.call_tool("generate_talking_video", {
                "model": "segmind/heygen-avatar-iv", "image": ticket["upload_id"], "script": "No.", "voice_id": "Nova"})
            assert refused.is_error and "another user's upload" in error_text(refused)


def test_old_uploads_are_swept_a_day_after_they_expire(settings: Settings) -> None:
    import os
    import time

    from talking_video_mcp.downloads import load_secret
    from talking_video_mcp.uploads import KEEP_AFTER_EXPIRY_S, Uploads

    folder = settings.uploads_dir
    folder.mkdir(parents=True)
    old, recent = folder / ("0" * 24 + ".png"), folder / ("1" * 24 + ".png")
    for path in (old, recent):
        path.write_bytes(png_bytes(8, 8, face=False))
    stale = time.time() - settings.upload_ttl_s - KEEP_AFTER_EXPIRY_S - 60
    os.utime(old, (stale, stale))
    Uploads(settings, load_secret(settings), None).create("image", None, base="http://127.0.0.1:9")
    assert not old.exists() and recent.exists()
