"""resolve_input: local paths stay inside the allowed roots without touching the network, data: URLs
are decoded and checked, URLs are checked against a real loopback server."""

from __future__ import annotations

import base64
import os
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import cv2
import httpx
import numpy as np
import pytest

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.inputs import (
    ResolvedInput,
    download_to,
    materialize,
    resolve_input,
    resolve_local_path,
    sniff_mime,
)
from tests import helpers


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def jpeg_bytes() -> bytes:
    ok, buf = cv2.imencode(".jpg", np.full((70, 90, 3), 200, np.uint8))
    assert ok
    return bytes(buf.tobytes())


def wav_bytes() -> bytes:
    return helpers.wav_bytes(0.1)


PNG = helpers.png_bytes(100, 80, face=False)


class Counter:
    """A MockTransport handler that records every request; local inputs must leave it empty."""

    def __init__(self, respond: Any = None) -> None:
        self.requests: list[httpx.Request] = []
        self.respond = respond

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.respond is not None:
            result: httpx.Response = self.respond(request)
            return result
        return httpx.Response(200, headers={"content-type": "image/png"})


@pytest.fixture
async def counted() -> AsyncIterator[tuple[httpx.AsyncClient, Counter]]:
    counter = Counter()
    async with httpx.AsyncClient(transport=httpx.MockTransport(counter)) as client:
        yield client, counter


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    (path / "face.png").write_bytes(PNG)
    return path


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    path = tmp_path / "outside"
    path.mkdir()
    (path / "secret.png").write_bytes(PNG)
    return path


async def resolve(value: str, client: httpx.AsyncClient | None, root: Path, tmp_path: Path, **kw: Any) -> ResolvedInput:
    kw.setdefault("kind", "image")
    return await resolve_input(value, field=kw.pop("field", "image"), allowed_roots=[root], client=client,
                               scratch_dir=tmp_path / "scratch", **kw)


# ------------------------------------------------------------------------------------------------ local files


@pytest.mark.anyio
async def test_file_inside_root_is_accepted(
    root: Path, tmp_path: Path, counted: tuple[httpx.AsyncClient, Counter]
) -> None:
    client, counter = counted
    for value in (str(root / "face.png"), "face.png", "./sub/../face.png", (root / "face.png").as_uri(),
                  f"  {root / 'face.png'}  "):
        got = await resolve(value, client, root, tmp_path)
        assert got == ResolvedInput("image", "file", None, (root / "face.png").resolve(), "image/png", len(PNG))
    assert counter.requests == []


@pytest.mark.anyio
async def test_refusals_make_no_network_call(
    root: Path, outside: Path, tmp_path: Path, counted: tuple[httpx.AsyncClient, Counter]
) -> None:
    client, counter = counted
    (root / "escape.png").symlink_to(outside / "secret.png")
    (root / "passwd").symlink_to("/etc/passwd")
    (root / "zero.png").symlink_to("/dev/zero")
    (root / "dangling.png").symlink_to(outside / "nothing.png")
    os.mkfifo(root / "pipe.png")
    (root / "folder.png").mkdir()
    (root / "notes.png").write_text("not a picture at all, just text\n")
    (root / "voice.png").write_bytes(wav_bytes())
    (root / "empty.png").write_bytes(b"")
    cases = {
        "../../etc/passwd": "outside the folders",
        "/etc/passwd": "outside the folders",
        str(outside / "secret.png"): "outside the folders",
        str(root / ".." / "outside" / "secret.png"): "outside the folders",
        "escape.png": "outside the folders",
        "passwd": "outside the folders",
        "zero.png": "outside the folders",
        "dangling.png": "outside the folders",
        "/dev/zero": "outside the folders",
        "pipe.png": "not a regular file",
        "folder.png": "is a folder",
        "missing.png": f"file not found: {root / 'missing.png'}",
        "notes.png": "notes.png is not a face photo (PNG, JPEG or WebP): its bytes match no image format.",
        "voice.png": "voice.png is audio/wav, not a face photo (PNG, JPEG or WebP).",
        "empty.png": "is empty",
        "bad\0name.png": "NUL",
        "": "is empty",
        "   \n": "is empty",
        "ftp://example.com/face.png": "ftp: scheme is not supported",
        "javascript:alert(1)": "javascript: scheme is not supported",
        "file://otherhost/face.png": "another host",
        "iVBORw0KGgo" * 40: "raw base64",
    }
    for value, expected in cases.items():
        with pytest.raises(InvalidInput) as info:
            await resolve(value, client, root, tmp_path)
        message = str(info.value)
        assert message.startswith("image: ") and expected in message, (value, message)
        assert info.value.field == "image"
    with pytest.raises(InvalidInput, match="over the 100 bytes limit"):
        await resolve("face.png", client, root, tmp_path, max_bytes=100)
    assert counter.requests == []


def test_devices_and_size_with_a_root_that_contains_them(root: Path) -> None:
    with pytest.raises(InvalidInput, match="not a regular file"):
        resolve_local_path("/dev/zero", field="image", allowed_roots=[Path("/dev")])
    with pytest.raises(InvalidInput, match=r"face.png is \d+ bytes, over the 10 bytes limit"):
        resolve_local_path("face.png", field="image", allowed_roots=[root], max_bytes=10)
    with pytest.raises(InvalidInput, match="local files are disabled"):
        resolve_local_path("face.png", field="image", allowed_roots=[])


def test_relative_paths_use_the_first_root_and_symlinks_inside_are_fine(root: Path, tmp_path: Path) -> None:
    second = tmp_path / "second"
    second.mkdir()
    (second / "other.png").write_bytes(PNG)
    (root / "alias.png").symlink_to(root / "face.png")
    roots = [root, second]
    assert resolve_local_path("alias.png", field="image", allowed_roots=roots) == (root / "face.png").resolve()
    assert resolve_local_path(str(second / "other.png"), field="image", allowed_roots=roots) == second / "other.png"
    with pytest.raises(InvalidInput, match="not found"):
        resolve_local_path("other.png", field="image", allowed_roots=roots)


def test_tilde_expands_to_home() -> None:
    home = Path.home()
    with pytest.raises(InvalidInput) as info:
        resolve_local_path("~/no-such-file-9f1c2e.png", field="audio", allowed_roots=[home])
    expected = f"audio: file not found: {home / 'no-such-file-9f1c2e.png'}; check the path, or pass a URL."
    assert str(info.value) == expected


@pytest.mark.anyio
async def test_audio_file_and_data_url_of_a_file(root: Path, tmp_path: Path) -> None:
    (root / "voice.wav").write_bytes(wav_bytes())
    got = await resolve("voice.wav", None, root, tmp_path, kind="audio", field="audio")
    assert got.mime_type == "audio/wav"
    assert got.data_url() == "data:audio/wav;base64," + base64.b64encode(wav_bytes()).decode()
    with pytest.raises(InvalidInput, match="is audio/wav, not a face photo"):
        await resolve("voice.wav", None, root, tmp_path)


# ------------------------------------------------------------------------------------------------ data: URLs


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.mark.anyio
async def test_data_url_is_decoded_into_scratch(root: Path, tmp_path: Path) -> None:
    got = await resolve(data_url(PNG), None, root, tmp_path)
    assert got.source == "data" and got.mime_type == "image/png" and got.size_bytes == len(PNG)
    assert got.path is not None and got.path.parent == tmp_path / "scratch" and got.path.suffix == ".png"
    assert got.path.read_bytes() == PNG
    assert got.data_url() == data_url(PNG)
    again = await resolve(data_url(PNG), None, root, tmp_path)
    assert again.path == got.path  # content-hash name: the same bytes are stored once
    async with httpx.AsyncClient(transport=httpx.MockTransport(Counter())) as client:
        assert await materialize(got, client, tmp_path / "scratch") == got.path


@pytest.mark.anyio
async def test_data_url_variants(root: Path, tmp_path: Path) -> None:
    # JPEG bytes declared as PNG: the bytes decide the type and the extension.
    got = await resolve(data_url(jpeg_bytes(), "image/png"), None, root, tmp_path)
    assert got.mime_type == "image/jpeg" and got.path is not None and got.path.suffix == ".jpg"
    encoded = base64.urlsafe_b64encode(PNG).decode().rstrip("=")
    spaced = "\n".join(encoded[i : i + 60] for i in range(0, len(encoded), 60))
    got = await resolve(f"data:image/png;name=face.png;base64,{spaced}", None, root, tmp_path)
    assert got.path is not None and got.path.read_bytes() == PNG
    got = await resolve(data_url(wav_bytes(), "audio/x-wav"), None, root, tmp_path, kind="audio", field="audio")
    assert got.mime_type == "audio/wav" and got.path is not None and got.path.suffix == ".wav"


@pytest.mark.anyio
async def test_bad_data_urls(root: Path, tmp_path: Path) -> None:
    cases = {
        "data:image/png;base64": "no comma",
        "data:image/png;base64,!!!not base64!!!": "base64 payload is invalid",
        data_url(PNG, "audio/mpeg"): "says audio/mpeg, not image/*",
        "data:,hello": "says text/plain",
        data_url(b"hello, I am text", "image/png"): "its bytes are in no image format",
        data_url(wav_bytes(), "image/png"): "says image/png but its bytes are audio/wav; pass a face photo",
        "data:image/png;base64,": "is empty",
        data_url(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"): "says image/svg+xml",
    }
    for value, expected in cases.items():
        with pytest.raises(InvalidInput) as info:
            await resolve(value, None, root, tmp_path)
        assert str(info.value).startswith("image: ") and expected in str(info.value), (value[:40], str(info.value))
    with pytest.raises(InvalidInput, match="over the 100 bytes limit"):
        await resolve(data_url(PNG), None, root, tmp_path, max_bytes=100)
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").iterdir())


# ------------------------------------------------------------------------------------------------ loopback server


class Handler(BaseHTTPRequestHandler):
    """Routes that behave like the web: plain files, dead links, web pages, servers refusing HEAD."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_HEAD(self) -> None:
        self.answer(body=False)

    def do_GET(self) -> None:
        self.answer(body=True)

    def send(self, status: int, body: bytes | None, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if body is not None and "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body is not None and self.command == "GET":
            self.wfile.write(body)

    def answer(self, body: bool) -> None:
        path = self.path.split("?", 1)[0]
        ranged = self.headers.get("Range")
        self.seen.append((self.command, path, ranged))
        if path == "/face.png":
            self.send(200, PNG, {"Content-Type": "image/png"})
        elif path == "/missing.png":
            self.send(404, b"no", {"Content-Type": "text/plain"})
        elif path == "/page.png":
            self.send(200, b"<html>login</html>", {"Content-Type": "text/html; charset=utf-8"})
        elif path == "/nohead.png":
            if self.command == "HEAD":
                self.send(405, b"", {})
            elif ranged == "bytes=0-0":
                self.send(206, PNG[:1], {"Content-Type": "image/png", "Content-Range": f"bytes 0-0/{len(PNG)}"})
            else:
                self.send(200, PNG, {"Content-Type": "image/png"})
        elif path == "/redirect":
            self.send(302, b"", {"Location": "/face.png"})
        elif path == "/loop":
            self.send(302, b"", {"Location": "/loop"})
        elif path in ("/octet.png", "/octet.mp3"):
            self.send(200, PNG, {"Content-Type": "application/octet-stream"})
        elif path == "/untyped":
            self.send(200, PNG, {})
        elif path == "/big.png":
            self.send(200, None, {"Content-Type": "image/png", "Content-Length": str(60 * 2**20)})
        elif path == "/voice.mp3":
            self.send(200, wav_bytes(), {"Content-Type": "audio/mpeg"})
        else:
            self.send(404, b"", {})


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    Handler.seen.clear()
    async with httpx.AsyncClient(trust_env=False, timeout=5) as client:
        yield client


@pytest.mark.anyio
async def test_url_ok_redirect_and_generic_types(server: str, web: httpx.AsyncClient, root: Path,
                                                 tmp_path: Path) -> None:
    got = await resolve(f"{server}/face.png", web, root, tmp_path)
    assert got == ResolvedInput("image", "url", f"{server}/face.png", None, "image/png", len(PNG))
    got = await resolve(f"{server}/redirect", web, root, tmp_path)
    assert got.url == f"{server}/redirect" and got.mime_type == "image/png"
    assert (await resolve(f"{server}/octet.png", web, root, tmp_path)).mime_type == "image/png"
    assert (await resolve(f"{server}/untyped", web, root, tmp_path)).mime_type is None
    assert (await resolve(f"{server}/voice.mp3", web, root, tmp_path, kind="audio")).mime_type == "audio/mpeg"
    assert ("HEAD", "/redirect", None) in Handler.seen and ("HEAD", "/face.png", None) in Handler.seen
    assert all(method == "HEAD" for method, _, _ in Handler.seen)


@pytest.mark.anyio
async def test_head_refused_falls_back_to_ranged_get(server: str, web: httpx.AsyncClient, root: Path,
                                                     tmp_path: Path) -> None:
    got = await resolve(f"{server}/nohead.png", web, root, tmp_path)
    assert got.mime_type == "image/png" and got.size_bytes == len(PNG)
    assert Handler.seen == [("HEAD", "/nohead.png", None), ("GET", "/nohead.png", "bytes=0-0")]


@pytest.mark.anyio
async def test_url_refusals(server: str, web: httpx.AsyncClient, root: Path, tmp_path: Path) -> None:
    cases = {
        "/missing.png?X-Amz-Signature=s3cr3t": (
            f"image: the URL answered 404 Not Found ({server}/missing.png); check the link or pass a local file."
        ),
        "/page.png": "is text/html (a web page: link to the file itself)",
        "/octet.mp3": "is audio/mpeg, not a face photo",
        "/voice.mp3": "is audio/mpeg, not a face photo",
        "/big.png": "is 60 MB, over the 50 MB limit",
        "/loop": "redirects too many times",
    }
    for path, expected in cases.items():
        with pytest.raises(InvalidInput) as info:
            await resolve(server + path, web, root, tmp_path)
        assert expected in str(info.value), (path, str(info.value))
        assert "s3cr3t" not in str(info.value)


@pytest.mark.anyio
async def test_download_and_materialize(server: str, web: httpx.AsyncClient, tmp_path: Path) -> None:
    scratch = tmp_path / "scratch"
    resolved = ResolvedInput("image", "url", f"{server}/untyped", None, None, None)
    path = await materialize(resolved, web, scratch, 2**20)
    assert path.read_bytes() == PNG and path.suffix == ".png" and path.parent == scratch
    assert await materialize(resolved, web, scratch, 2**20) == path  # same URL, same name
    dest = await download_to(web, f"{server}/redirect", tmp_path / "d" / "face.png", max_bytes=2**20, field="image")
    assert dest.read_bytes() == PNG
    for url, expected in {
        f"{server}/face.png": "larger than the 100 bytes limit",
        f"{server}/page.png": "is a web page",
        f"{server}/missing.png": "answered 404 Not Found",
    }.items():
        with pytest.raises(InvalidInput, match=expected):
            await materialize(ResolvedInput("image", "url", url, None, None, None), web, scratch, 100)
    assert sorted(p.name for p in scratch.iterdir()) == [path.name]  # no partial downloads left behind
    with pytest.raises(InvalidInput, match="is a URL"):
        resolved.data_url()


# ------------------------------------------------------------------------------------------------ mock transport


@pytest.mark.anyio
async def test_mock_transport_cases(root: Path, tmp_path: Path) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/slow.png":
            raise httpx.ReadTimeout("slow", request=request)
        if path == "/down.png":
            raise httpx.ConnectError("refused", request=request)
        if path == "/error.png":
            return httpx.Response(500)
        if path == "/s3.png":  # a pre-signed GET URL: HEAD is not signed for
            if request.method == "HEAD":
                return httpx.Response(403)
            assert request.headers["range"] == "bytes=0-0"
            return httpx.Response(200, headers={"content-type": "image/jpeg", "content-length": "1234"})
        if path == "/clip.mp4":
            return httpx.Response(200, headers={"content-type": "video/mp4"})
        return httpx.Response(200, headers={"content-type": "image/png; charset=binary"})

    counter = Counter(respond)
    async with httpx.AsyncClient(transport=httpx.MockTransport(counter)) as client:
        url = "https://cdn.example.com"
        assert (await resolve(f"{url}/ok.png", client, root, tmp_path)).mime_type == "image/png"
        got = await resolve(f"{url}/s3.png?sig=abc", client, root, tmp_path)
        assert got.mime_type == "image/jpeg" and got.size_bytes == 1234 and got.url == f"{url}/s3.png?sig=abc"
        got = await resolve(f"{url}/clip.mp4", client, root, tmp_path, kind="audio", field="audio")
        assert got.mime_type == "audio/mp4"
        for path, expected in {
            "/slow.png": f"image: the URL did not answer in time ({url}/slow.png)",
            "/down.png": "could not fetch https://cdn.example.com/down.png (ConnectError)",
            "/error.png": "answered 500 Internal Server Error",
        }.items():
            with pytest.raises(InvalidInput) as info:
                await resolve(url + path, client, root, tmp_path)
            assert expected in str(info.value)
        calls = len(counter.requests)
        # Without checking, only the syntax and the extension are judged: no request is made.
        got = await resolve(f"{url}/a.jpg", client, root, tmp_path, check_url=False)
        assert got.mime_type == "image/jpeg" and got.size_bytes is None
        assert (await resolve(f"{url}/a", None, root, tmp_path)).mime_type is None
        for value, expected in {
            f"{url}/page.html": "is text/html",
            "https:///nohost.png": r"not a complete http\(s\) URL",
            f"{url}/my face.png": "contains spaces",
        }.items():
            with pytest.raises(InvalidInput, match=expected):
                await resolve(value, None, root, tmp_path)
        assert len(counter.requests) == calls


def test_sniff_mime() -> None:
    assert sniff_mime(PNG[:64]) == "image/png"
    assert sniff_mime(jpeg_bytes()[:64]) == "image/jpeg"
    assert sniff_mime(wav_bytes()[:64]) == "audio/wav"
    assert sniff_mime(b"ID3\x04\x00") == "audio/mpeg"
    assert sniff_mime(b"\xff\xfb\x90\x00") == "audio/mpeg"
    assert sniff_mime(b"\xff\xf1\x50\x80") == "audio/aac"
    assert sniff_mime(b"\x00\x00\x00\x20ftypM4A \x00") == "audio/mp4"
    assert sniff_mime(b"\x00\x00\x00\x20ftypavif\x00") == "image/avif"
    assert sniff_mime(b"OggS\x00") == "audio/ogg"
    assert sniff_mime(b"fLaC") == "audio/flac"
    assert sniff_mime(b"-----BEGIN OPENSSH PRIVATE KEY-----") is None
    assert sniff_mime(b"") is None
