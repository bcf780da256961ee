"""What an assistant reads when an input is refused: the whole sentence, exactly.

The assistant acts on these sentences (which field, what to change), so they are behaviour: each refusal
path of media/inputs.py is pinned here word for word, with the details that make it useful (the field,
the path or the URL without its query string, the limit)."""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media import inputs
from talking_video_mcp.media.inputs import ResolvedInput, resolve_input, resolve_local_path
from tests.helpers import png_bytes, wav_bytes

pytestmark = pytest.mark.anyio
PNG = png_bytes(64, 64, face=False)
WAV = wav_bytes(0.2)
PHOTO = "a face photo (PNG, JPEG or WebP)"
SPEECH = "a speech recording (WAV, MP3, M4A, OGG or FLAC)"


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "root"
    path.mkdir()
    (path / "face.png").write_bytes(PNG)
    return path


async def refusal(value: str, root: Path, kind: inputs.Kind = "image", max_bytes: int = inputs.DEFAULT_MAX_BYTES,
                  ) -> str:
    with pytest.raises(InvalidInput) as caught:
        await resolve_input(value, field=kind, kind=kind, allowed_roots=[root], client=None,
                            scratch_dir=root.parent / "scratch", max_bytes=max_bytes)
    assert caught.value.field == kind and str(caught.value) == f"{kind}: {caught.value.message}"
    return str(caught.value)


DATA_CASES: list[tuple[str, inputs.Kind, str]] = [
    ("data:image/png;base64", "image",
     "image: the data: URL has no comma before its payload; use data:image/png;base64,<base64 bytes>."),
    ("data:audio/mpeg;base64", "audio",
     "audio: the data: URL has no comma before its payload; use data:audio/mpeg;base64,<base64 bytes>."),
    ("data:image/png;base64,!!!", "image",
     "image: the data: URL's base64 payload is invalid; re-encode the file, e.g. "
     "data:image/png;base64,<base64 bytes>."),
    (data_url(PNG, "audio/mpeg"), "image", f"image: the data: URL says audio/mpeg, not image/*; pass {PHOTO}."),
    ("data:,hello", "image", f"image: the data: URL says text/plain, not image/*; pass {PHOTO}."),
    ("data:,hello", "audio", f"audio: the data: URL says text/plain, not audio/*; pass {SPEECH}."),
    (data_url(b"hello text", "image/png"), "image",
     f"image: the data: URL says image/png but its bytes are in no image format; pass {PHOTO}."),
    (data_url(WAV, "image/png"), "image",
     f"image: the data: URL says image/png but its bytes are audio/wav; pass {PHOTO}."),
    (data_url(PNG, "audio/wav"), "audio",
     f"audio: the data: URL says audio/wav but its bytes are image/png; pass {SPEECH}."),
    ("data:image/png;base64,", "image", "image: the data: URL is empty; use data:image/png;base64,<base64 bytes>."),
    ("data:audio/wav;base64,", "audio", "audio: the data: URL is empty; use data:audio/mpeg;base64,<base64 bytes>."),
    ("", "image", f"image: is empty; give {PHOTO} as an https URL, a local file path or a data: URL."),
    ("  ", "audio", f"audio: is empty; give {SPEECH} as an https URL, a local file path or a data: URL."),
    ("ftp://x/y.png", "image",
     "image: the ftp: scheme is not supported; use an http(s) URL, a local file path or a data: URL."),
    ("A" * 300, "image", "image: looks like raw base64; send it as a data: URL (data:image/...;base64,<payload>)."),
    ("A" * 300, "audio", "audio: looks like raw base64; send it as a data: URL (data:audio/...;base64,<payload>)."),
]


@pytest.mark.parametrize(("value", "kind", "message"), DATA_CASES)
async def test_inline_input_refusals(root: Path, value: str, kind: inputs.Kind, message: str) -> None:
    assert await refusal(value, root, kind) == message
    assert not (root.parent / "scratch").exists() or list((root.parent / "scratch").iterdir()) == []


async def test_data_url_size_limits(root: Path) -> None:
    assert await refusal(data_url(PNG, "image/png"), root, max_bytes=100) == (
        f"image: the data: URL holds about {len(base64.b64encode(PNG)) * 3 // 4} bytes, over the 100 bytes limit; "
        "pass a smaller file or an https URL.")
    # Percent-encoded (not base64) payloads are measured as they are, before decoding.
    text = "data:image/png," + "%89PNG%0D%0A%1A%0A" + "x" * 200
    assert await refusal(text, root, max_bytes=200) == (
        "image: the data: URL holds about 218 bytes, over the 200 bytes limit; pass a smaller file or an https URL.")


async def test_percent_encoded_and_urlsafe_data_urls_decode(root: Path, tmp_path: Path) -> None:
    raw = "data:image/png," + "".join(f"%{b:02X}" for b in PNG)
    got = await resolve_input(raw, field="image", kind="image", allowed_roots=[root], client=None,
                              scratch_dir=tmp_path / "s")
    assert got.path is not None and got.path.read_bytes() == PNG and got.mime_type == "image/png"
    assert got.path.name.startswith("image-") and got.size_bytes == len(PNG)
    # Data written once: a second resolve finds the file by its content hash and leaves it alone.
    stamp = got.path.stat().st_mtime_ns
    again = await resolve_input(raw, field="image", kind="image", allowed_roots=[root], client=None,
                                scratch_dir=tmp_path / "s")
    assert again == got and got.path.stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "s").iterdir()] == [got.path.name]  # no temporary file left behind


async def test_local_file_refusals(root: Path, tmp_path: Path) -> None:
    (root / "big.png").write_bytes(PNG + b"x" * 3000)
    (root / "empty.png").write_bytes(b"")
    (root / "notes.png").write_bytes(b"hello there, plain text")
    (root / "voice.png").write_bytes(WAV[:2000])
    (root / "dir").mkdir()
    os.mkfifo(root / "pipe.png")
    (root / "loop").symlink_to(root / "loop")
    (root / "dangling.png").symlink_to(tmp_path / "nowhere.png")
    (root / "gone.png").symlink_to(root / "missing.png")
    r = str(root)
    cases = {
        "face.png\0x": "image: the path contains a NUL character; pass a plain file path.",
        "missing.png": f"image: file not found: {r}/missing.png; check the path, or pass a URL.",
        "dir": f"image: {r}/dir is a folder; pass the path of a file inside it.",
        "pipe.png": f"image: {r}/pipe.png is not a regular file (a device, pipe or socket); pass a file.",
        "big.png": f"image: {r}/big.png is 3 KB, over the 3 KB limit; pass a smaller file.",
        "empty.png": f"image: {r}/empty.png is empty; pass {PHOTO}.",
        "notes.png": f"image: {r}/notes.png is not {PHOTO}: its bytes match no image format.",
        "voice.png": f"image: {r}/voice.png is audio/wav, not {PHOTO}.",
        "dangling.png": f"image: {r}/dangling.png is outside the folders this server may read ({r}); move the file "
                        "into one of them, or set TALKING_VIDEO_ALLOWED_ROOTS.",
        "gone.png": f"image: file not found: {r}/gone.png; check the path, or pass a URL.",
        "~nosuchuser-zz/x.png": "image: cannot expand ~nosuchuser-zz/x.png; give an absolute path.",
        "file://otherhost/x.png": "image: file:// URIs on another host (otherhost) cannot be read; pass a local path.",
        "file:///etc/hostname": f"image: /etc/hostname is outside the folders this server may read ({r}); move the "
                                "file into one of them, or set TALKING_VIDEO_ALLOWED_ROOTS.",
    }
    for value, message in cases.items():
        assert await refusal(value, root, max_bytes=3000) == message, value
    assert (await refusal("loop", root)).startswith(f"image: {r}/loop cannot be opened (")
    with pytest.raises(InvalidInput) as caught:
        resolve_local_path("face.png", field="image", allowed_roots=[])
    assert str(caught.value) == (
        "image: local files are disabled (TALKING_VIDEO_ALLOWED_ROOTS is empty); pass an https URL.")


async def test_accepted_local_files(root: Path, tmp_path: Path) -> None:
    (root / "voice.wav").write_bytes(WAV)
    (root / "exact.png").write_bytes(PNG)
    got = await resolve_input("file://localhost" + str(root / "voice.wav"), field="audio", kind="audio",
                              allowed_roots=[tmp_path / "elsewhere", root], client=None, scratch_dir=tmp_path / "s")
    assert got == ResolvedInput("audio", "file", None, root / "voice.wav", "audio/wav", len(WAV))
    # A file exactly at the size limit is fine.
    exact = resolve_local_path(str(root / "exact.png"), field="image", allowed_roots=[root], max_bytes=len(PNG))
    assert exact == root / "exact.png"


def test_outside_messages_name_the_link_and_every_root() -> None:
    roots = [(Path("/a"), Path("/a")), (Path("/b"), Path("/real/b"))]
    assert str(inputs._outside("image", Path("/etc/passwd"), roots)) == (
        "image: /etc/passwd is outside the folders this server may read (/a:/b); move the file into one of them, "
        "or set TALKING_VIDEO_ALLOWED_ROOTS.")
    assert str(inputs._outside("image", Path("/etc/passwd"), roots[:1], via=Path("/a/link.png"))) == (
        "image: /a/link.png (a link to /etc/passwd) is outside the folders this server may read (/a); move the file "
        "into one of them, or set TALKING_VIDEO_ALLOWED_ROOTS.")
    assert "a link to" not in str(inputs._outside("image", Path("/x"), roots, via=Path("/x")))


@pytest.mark.parametrize(("exc", "message"), [
    (httpx.ReadTimeout("t"), "image: the URL did not answer in time (https://h/x.png); check the link or pass a "
                             "local file."),
    (httpx.TooManyRedirects("r"), "image: the URL redirects too many times (https://h/x.png); pass the final link."),
    (httpx.UnsupportedProtocol("u"), "image: the URL redirects to a non-http(s) address (https://h/x.png); pass a "
                                     "direct link."),
    (httpx.ConnectError("c"), "image: could not fetch https://h/x.png (ConnectError); check the link or pass a local "
                              "file."),
])
def test_network_error_messages_hide_the_query(exc: httpx.HTTPError, message: str) -> None:
    assert str(inputs._network_error("image", "https://h/x.png?sig=secret", exc)) == message


def test_url_messages() -> None:
    assert str(inputs._status_error("image", "https://h/x.png?s=1", 404)) == (
        "image: the URL answered 404 Not Found (https://h/x.png); check the link or pass a local file.")
    assert str(inputs._status_error("image", "https://h/x.png", 599)) == (
        "image: the URL answered 599 error (https://h/x.png); check the link or pass a local file.")
    assert str(inputs._wrong_type("image", "image", "text/html", "https://h/x.html?a")) == (
        f"image: https://h/x.html is text/html (a web page: link to the file itself), not {PHOTO}; pass a direct "
        "link to the file or a local file.")
    assert str(inputs._wrong_type("audio", "audio", "image/png", "https://h/x.png")) == (
        f"audio: https://h/x.png is image/png, not {SPEECH}; pass a direct link to the file or a local file.")
    assert str(inputs._too_big("image", "https://h/x.png?a", 5 * 2**20)) == (
        "image: https://h/x.png is larger than the 5 MB limit; pass a smaller file.")


@pytest.mark.parametrize(("size", "shown"), [
    (0, "0 bytes"), (100, "100 bytes"), (1023, "1023 bytes"), (1024, "1 KB"), (1536, "2 KB"), (2**20 - 1, "1024 KB"),
    (2**20, "1 MB"), (3 * 2**19, "1.5 MB"), (50 * 2**20, "50 MB"), (12_345_678, "11.8 MB"),
])
def test_sizes_for_people(size: int, shown: str) -> None:
    assert inputs._mb(size) == shown


def test_paths_and_urls_are_shown_short_and_without_secrets() -> None:
    assert inputs._show("x" * 160) == "x" * 160
    assert inputs._show("x" * 161) == "x" * 159 + "…"
    assert inputs._show_url("https://user:pw@[::1]:8443/a/b.png?sig=1#f") == "https://[::1]:8443/a/b.png"
    assert inputs._show_url("http://h/p?q=1") == "http://h/p"
    assert inputs._show_url("https://h/" + "p" * 200) == ("https://h/" + "p" * 200)[:119] + "…"


def test_types_and_extensions() -> None:
    assert inputs.extension_for("IMAGE/PNG") == ".png" and inputs.extension_for(None) == ".bin"
    assert inputs.extension_for("audio/x-wav") == ".wav" and inputs.extension_for("text/plain") == ".bin"
    assert inputs.guess_mime("https://h/A.JPEG") == "image/jpeg" and inputs.guess_mime("x") is None
    assert inputs._major("audio/wav") == "audio" and inputs._major(None) == "" and inputs._major("") == ""
    assert inputs._fits("video/mp4", "audio") and not inputs._fits("video/mp4", "image")
    assert not inputs._fits("image/svg+xml", "image") and inputs._fits("image/webp", "image")
    assert inputs._as_kind("video/quicktime", "audio") == "audio/mp4"
    assert inputs._as_kind("video/quicktime", "image") == "video/quicktime"
    assert inputs._kind_or_none("video/webm", "audio") == "audio/webm"
    assert inputs._kind_or_none("text/html", "audio") is None and inputs._kind_or_none(None, "image") is None


def test_total_size_from_headers() -> None:
    ranged = httpx.Response(206, headers={"content-range": "bytes 0-0/12345", "content-length": "1"})
    assert inputs._total_size(ranged) == 12345
    assert inputs._total_size(httpx.Response(206, headers={"content-range": "bytes 0-0/*"})) is None
    assert inputs._total_size(httpx.Response(200, headers={"content-length": "77"})) == 77
    assert inputs._total_size(httpx.Response(200, headers={"content-length": "many"})) is None
    assert inputs._total_size(httpx.Response(200)) is None
    assert inputs._total_size(httpx.Response(206)) is None  # a partial answer without its Content-Range


def test_a_url_input_has_no_data_url_and_a_file_input_has_one(root: Path) -> None:
    url = ResolvedInput("image", "url", "https://h/x.png", None, "image/png", None)
    with pytest.raises(InvalidInput) as caught:
        url.data_url()
    assert str(caught.value) == "image: is a URL, not a local file; pass the URL to the provider as it is."
    file = ResolvedInput("image", "file", None, root / "face.png", None, len(PNG))
    assert file.data_url() == data_url(PNG, "application/octet-stream")


def test_reading_refuses_a_link_swapped_in_after_the_check(root: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(PNG)
    (root / "swapped.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(InvalidInput) as caught:
        inputs._read_regular(root / "swapped.png", "image")
    assert str(caught.value) == f"image: {root}/swapped.png cannot be read (OSError)."
    os.mkfifo(root / "late.fifo")
    with pytest.raises(InvalidInput) as caught:
        inputs._read_regular(root / "late.fifo", "image")
    assert str(caught.value) == f"image: {root}/late.fifo is not a regular file; pass a file."
    assert inputs._read_regular(root / "face.png", "image", limit=8) == PNG[:8]
    assert inputs._read_regular(root / "face.png", "image") == PNG


# ------------------------------------------------------------------------------------------------ more local paths


async def test_more_local_path_details(root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = str(root)
    # resolve_local_path is called on its own too (providers re-check paths): it refuses blanks itself.
    with pytest.raises(InvalidInput) as caught:
        resolve_local_path("   ", field="audio", allowed_roots=[root])
    assert str(caught.value) == "audio: is empty; give a local file path."
    # Plain paths are not URLs: "%20" and "#" are parts of the name.
    (root / "a%20b#1.png").write_bytes(PNG)
    assert resolve_local_path(f"{r}/a%20b#1.png", field="image", allowed_roots=[root]) == root / "a%20b#1.png"
    assert resolve_local_path((root / "a%20b#1.png").as_uri(), field="image", allowed_roots=[root]) == (
        root / "a%20b#1.png")
    # A link out of the root names both ends.
    (tmp_path / "secret.png").write_bytes(PNG)
    (root / "escape.png").symlink_to(tmp_path / "secret.png")
    assert await refusal("escape.png", root) == (
        f"image: {r}/escape.png (a link to {tmp_path}/secret.png) is outside the folders this server may read ({r}); "
        "move the file into one of them, or set TALKING_VIDEO_ALLOWED_ROOTS.")
    # A root that is itself a link: relative paths and messages use the root as it was given.
    (tmp_path / "linked-root").symlink_to(root, target_is_directory=True)
    given = tmp_path / "linked-root"
    with pytest.raises(InvalidInput) as caught:
        resolve_local_path("nope.png", field="image", allowed_roots=[given])
    assert str(caught.value) == f"image: file not found: {given}/nope.png; check the path, or pass a URL."
    assert resolve_local_path("face.png", field="image", allowed_roots=[given]) == root / "face.png"
    (root / "loop").symlink_to(root / "loop")
    import re

    assert re.fullmatch(rf"image: {re.escape(r)}/loop cannot be opened \((RuntimeError|OSError)\)\.",
                        await refusal("loop", root))

    # Failures of the file system itself (as root, permissions cannot be used to provoke them).
    real_resolve, real_stat = Path.resolve, Path.stat

    def denied(self: Path, strict: bool = False) -> Path:
        if self.name == "face.png":
            raise PermissionError(13, "denied")
        return real_resolve(self, strict=strict)

    monkeypatch.setattr(Path, "resolve", denied)
    with pytest.raises(InvalidInput) as caught:
        resolve_local_path("face.png", field="image", allowed_roots=[root])
    assert str(caught.value) == f"image: {r}/face.png cannot be read (permission denied)."
    monkeypatch.setattr(Path, "resolve", real_resolve)

    def broken(self: Path, *, follow_symlinks: bool = True) -> os.stat_result:
        if self.name == "face.png":
            raise OSError(5, "I/O error")
        return real_stat(self, follow_symlinks=follow_symlinks)

    monkeypatch.setattr(Path, "stat", broken)
    with pytest.raises(InvalidInput) as caught:
        resolve_local_path("face.png", field="image", allowed_roots=[root])
    assert str(caught.value) == f"image: {r}/face.png cannot be read (OSError)."


async def test_audio_in_a_video_container_is_labelled_as_audio(root: Path, tmp_path: Path) -> None:
    m4a = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 64
    (root / "talk.mp4").write_bytes(m4a)
    got = await resolve_input(str(root / "talk.mp4"), field="audio", kind="audio", allowed_roots=[root], client=None,
                              scratch_dir=tmp_path / "s")
    assert got.mime_type == "audio/mp4" and got.source == "file"
    inline = await resolve_input(data_url(m4a, "video/mp4"), field="audio", kind="audio", allowed_roots=[root],
                                 client=None, scratch_dir=tmp_path / "deep" / "er" / "s")
    assert inline.mime_type == "audio/mp4" and inline.field == "audio" and inline.path is not None
    assert inline.path.parent == tmp_path / "deep" / "er" / "s" and inline.path.suffix == ".m4a"
    assert inline.path.name == f"audio-{__import__('hashlib').sha256(m4a).hexdigest()[:24]}.m4a"


async def test_data_url_header_ends_at_the_first_comma_and_the_limit_is_inclusive(root: Path, tmp_path: Path) -> None:
    import urllib.parse

    tail = PNG + b",tail"  # trailing bytes after the PNG's end, with a literal comma in the payload
    value = "data:image/png," + urllib.parse.quote_from_bytes(tail, safe=",")
    got = await resolve_input(value, field="image", kind="image", allowed_roots=[root], client=None,
                              scratch_dir=tmp_path / "s")
    assert got.path is not None and got.path.read_bytes() == tail
    exact = data_url(PNG, "image/png")
    estimate = len(exact.partition(",")[2]) * 3 // 4
    got = await resolve_input(exact, field="image", kind="image", allowed_roots=[root], client=None,
                              scratch_dir=tmp_path / "s", max_bytes=estimate)
    assert got.size_bytes == len(PNG)


def test_inconsistent_resolved_inputs_are_refused(root: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        ResolvedInput("image", "url", None, root / "face.png", "image/png", None).data_url()
    assert str(caught.value) == "image: is a URL, not a local file; pass the URL to the provider as it is."
    with pytest.raises(InvalidInput) as caught:
        ResolvedInput("image", "data", None, None, "image/png", None).data_url()
    assert caught.value.field == "image"


async def test_materialize_refuses_inputs_without_bytes(tmp_path: Path) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(500))) as client:
        with pytest.raises(InvalidInput) as caught:
            await inputs.materialize(ResolvedInput("audio", "file", None, None, None, None), client, tmp_path)
        assert str(caught.value) == "audio: has no local file; resolve it again."
        with pytest.raises(InvalidInput) as caught:
            await inputs.materialize(ResolvedInput("audio", "url", "", None, None, None), client, tmp_path)
        assert str(caught.value) == "audio: has no URL; resolve it again."


async def test_an_incomplete_url_is_shown_as_given() -> None:
    with pytest.raises(InvalidInput) as caught:
        await resolve_input("https:///nohost.png", field="image", kind="image", allowed_roots=[], client=None,
                            scratch_dir=Path("/nonexistent"))
    assert str(caught.value) == "image: https:///nohost.png is not a complete http(s) URL; check the link."


# ------------------------------------------------------------------------------------------------ downloads


def _web(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    assert request.method == "GET"
    if path == "/page":
        return httpx.Response(200, headers={"content-type": "Text/HTML; charset=utf-8"}, content=b"<html>")
    if path == "/missing":
        return httpx.Response(404)
    if path == "/empty":
        return httpx.Response(200, content=b"")
    if path == "/declared-big":
        return httpx.Response(200, headers={"content-length": "101"}, content=b"x" * 101)
    if path == "/exact":
        return httpx.Response(200, headers={"content-length": "100"}, content=b"x" * 100)
    if path == "/reset":
        raise httpx.ReadError("reset", request=request)

    async def stream() -> AsyncIterator[bytes]:  # no content-length: counted while streaming
        for _ in range(3):
            yield b"y" * 40

    return httpx.Response(200, content=stream())


@pytest.mark.parametrize(("path", "message"), [
    ("/page", "photo: https://web.test/page is a web page, not a media file; pass a direct link to the file."),
    ("/missing", "photo: the URL answered 404 Not Found (https://web.test/missing); check the link or pass a local "
                 "file."),
    ("/empty", "photo: https://web.test/empty is empty; check the link."),
    ("/declared-big", "photo: https://web.test/declared-big is larger than the 100 bytes limit; pass a smaller file."),
    ("/streamed", "photo: https://web.test/streamed is larger than the 100 bytes limit; pass a smaller file."),
    ("/reset", "photo: could not fetch https://web.test/reset (ReadError); check the link or pass a local file."),
])
async def test_download_refusals_leave_nothing_behind(tmp_path: Path, path: str, message: str) -> None:
    dest = tmp_path / "a" / "b" / "file.png"
    async with httpx.AsyncClient(transport=httpx.MockTransport(_web)) as client:
        with pytest.raises(InvalidInput) as caught:
            await inputs.download_to(client, f"https://web.test{path}?sig=1", dest, max_bytes=100, field="photo")
    assert str(caught.value) == message
    assert list(dest.parent.iterdir()) == []  # no partial file, no .part


async def test_download_up_to_the_limit_lands_whole(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "file.bin"
    async with httpx.AsyncClient(transport=httpx.MockTransport(_web)) as client:
        assert await inputs.download_to(client, "https://web.test/exact", dest, max_bytes=100) == dest
        assert dest.read_bytes() == b"x" * 100
        streamed = tmp_path / "streamed.bin"
        await inputs.download_to(client, "https://web.test/streamed", streamed, max_bytes=120)
        assert streamed.read_bytes() == b"y" * 120
        with pytest.raises(InvalidInput) as caught:
            await inputs.download_to(client, "https://web.test/empty", tmp_path / "e.bin", max_bytes=10)
        assert caught.value.field == "input"  # the default field name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "streamed.bin"]


# ------------------------------------------------------------------------------------------------ sniffing


def _head(prefix: bytes) -> bytes:
    """The first SNIFF_BYTES of a file starting with `prefix` (sniffing sees whole heads, not bare signatures)."""
    return (prefix + bytes(range(1, 65)))[: inputs.SNIFF_BYTES]


# A BMP file header and the start of its info header: "BM", size, two reserved zero words, pixel offset.
BMP = b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00"
SIGNATURES: list[tuple[bytes, str | None]] = [
    (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff\xe0", "image/jpeg"),
    (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"gif89a", None), (b"GIF89A", None),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"), (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
    (b"RF64\xff\xff\xff\xffWAVEds64", "audio/wav"), (b"BW64\xff\xff\xff\xffWAVEds64", "audio/wav"),
    (b"RIFF\x24\x00\x00\x00webpVP8 ", None), (b"RIFF\x24\x00\x00\x00AVI LIST", None),
    (b"rf64\x00\x00\x00\x00WAVE", None),
    (BMP, "image/bmp"), (BMP[:6] + b"\x01" + BMP[7:], None), (b"bm" + BMP[2:], None),
    (b"II*\x00\x08\x00\x00\x00", "image/tiff"), (b"MM\x00*\x00\x00\x00\x08", "image/tiff"), (b"ii*\x00", None),
    (b"mm\x00*", None),
    (b"\x00\x00\x00\x1cftypavif", "image/avif"), (b"\x00\x00\x00\x1cftypavis", "image/avif"),
    (b"\x00\x00\x00\x1cftypheic", "image/heic"), (b"\x00\x00\x00\x1cftypmif1", "image/heic"),
    (b"\x00\x00\x00\x1cftypM4A ", "audio/mp4"), (b"\x00\x00\x00\x1cftypM4B ", "audio/mp4"),
    (b"\x00\x00\x00\x1cftypM4P ", "audio/mp4"), (b"\x00\x00\x00\x1cftypm4a ", "video/mp4"),
    (b"\x00\x00\x00\x1cftypisom", "video/mp4"), (b"\x00\x00\x00\x1cftypAVIS", "video/mp4"),
    (b"ID3\x04\x00", "audio/mpeg"), (b"OggS\x00\x02", "audio/ogg"), (b"fLaC\x00\x00\x00\x22", "audio/flac"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "audio/webm"),
    (b"FORM\x00\x00\x10\x00AIFFCOMM", "audio/aiff"), (b"FORM\x00\x00\x10\x00AIFCFVER", "audio/aiff"),
    (b"FORM\x00\x00\x10\x00ILBMBMHD", None), (b"form\x00\x00\x10\x00AIFF", None),
    (b"caff\x00\x01\x00\x00", "audio/x-caf"), (b"#!AMR\n", "audio/amr"),
    (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), "audio/x-ms-wma"),
    (b"\xff\xf1\x50\x80", "audio/aac"), (b"\xff\xf9\x50\x80", "audio/aac"), (b"\xff\xfb\x90\x00", "audio/mpeg"),
    (b"\xff\xe3\x18\xc4", "audio/mpeg"), (b"\xff\x00", None), (b"-----BEGIN OPENSSH PRIVATE KEY-----", None),
    (b"<!DOCTYPE html>", None),
]


@pytest.mark.parametrize(("prefix", "mime"), SIGNATURES, ids=[repr(p[:12]) for p, _ in SIGNATURES])
def test_sniffing_recognises_each_format_exactly(prefix: bytes, mime: str | None) -> None:
    assert inputs.sniff_mime(_head(prefix)) == mime


def test_sniffing_a_short_head() -> None:
    assert inputs.sniff_mime(BMP[:26]) == "image/bmp" and inputs.sniff_mime(BMP[:25]) is None
    assert inputs.sniff_mime(b"\xff") is None and inputs.sniff_mime(b"") is None


async def test_a_download_is_named_by_its_bytes_then_its_type_then_its_url(tmp_path: Path) -> None:
    unknown = b"\x00\x01 not a known format " * 4

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=PNG if request.url.path.endswith("png-bytes") else unknown)

    async with httpx.AsyncClient(transport=httpx.MockTransport(serve)) as client:
        def url(path: str, mime: str | None = None) -> ResolvedInput:
            return ResolvedInput("audio", "url", f"https://web.test/{path}?sig=1", None, mime, None)

        sniffed = await inputs.materialize(url("clip.wav/png-bytes", "audio/mpeg"), client, tmp_path)
        declared = await inputs.materialize(url("clip.wav", "audio/mpeg"), client, tmp_path)
        guessed = await inputs.materialize(url("clip.wav"), client, tmp_path)
        nothing = await inputs.materialize(url("clip"), client, tmp_path)
    assert (sniffed.suffix, declared.suffix, guessed.suffix, nothing.suffix) == (".png", ".mp3", ".wav", ".bin")
    import hashlib

    key = hashlib.sha256(b"https://web.test/clip.wav?sig=1").hexdigest()[:24]
    assert declared.name == f"audio-{key}.mp3" and declared.read_bytes() == unknown
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in (sniffed, declared, guessed, nothing))


async def test_a_failed_download_names_the_inputs_field(tmp_path: Path) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(404))) as client:
        with pytest.raises(InvalidInput) as caught:
            await inputs.materialize(ResolvedInput("audio", "url", "https://web.test/x.wav", None, None, None), client,
                                     tmp_path)
    assert str(caught.value) == (
        "audio: the URL answered 404 Not Found (https://web.test/x.wav); check the link or pass a local file.")
    assert list(tmp_path.iterdir()) == []


async def test_unpadded_base64_of_any_length_decodes(root: Path, tmp_path: Path) -> None:
    for extra in (b"", b"x", b"xy"):  # unpadded lengths ≡ 0, 2 and 3 (mod 4)
        data = PNG + extra
        compact = base64.b64encode(data).decode().rstrip("=")
        got = await resolve_input(f"data:image/png;base64,{compact}", field="image", kind="image",
                                  allowed_roots=[root], client=None, scratch_dir=tmp_path / "s")
        assert got.path is not None and got.path.read_bytes() == data


def test_a_file_input_that_stopped_being_a_file_names_its_field(root: Path) -> None:
    os.mkfifo(root / "was-a-file.png")
    with pytest.raises(InvalidInput) as caught:
        ResolvedInput("audio", "file", None, root / "was-a-file.png", "audio/wav", 10).data_url()
    assert str(caught.value) == f"audio: {root}/was-a-file.png is not a regular file; pass a file."


async def test_a_declared_length_over_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    read: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        read.append(1)
        yield b"x" * 10

    def lying(request: httpx.Request) -> httpx.Response:
        kind = "text/html; charset=utf-8; q=1" if request.url.path == "/page" else "image/png"
        return httpx.Response(200, headers={"content-length": "1000000", "content-type": kind}, content=body())

    async with httpx.AsyncClient(transport=httpx.MockTransport(lying)) as client:
        with pytest.raises(InvalidInput) as caught:
            await inputs.download_to(client, "https://web.test/big.png", tmp_path / "f.png", max_bytes=100)
        assert str(caught.value) == "input: https://web.test/big.png is larger than the 100 bytes limit; pass a " \
                                    "smaller file."
        assert read == []  # refused on the header, before a byte of the body
        with pytest.raises(InvalidInput, match="is a web page"):  # several content-type parameters
            await inputs.download_to(client, "https://web.test/page", tmp_path / "p.png", max_bytes=10**7)


# ------------------------------------------------------------------------------------------------ URLs


def _cdn(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == "/signed.png":  # a pre-signed URL: HEAD refused, and the GET redirects to the storage host
        if request.method == "HEAD":
            return httpx.Response(403)
        return httpx.Response(302, headers={"location": "https://store.test/blob.png"})
    if path == "/blob.png":
        return httpx.Response(206, headers={"content-type": "image/png", "content-range": "bytes 0-0/4096"})
    if path == "/song.mp3":
        return httpx.Response(200, headers={"content-type": "video/mp4"})
    if path == "/params.png":
        return httpx.Response(200, headers={"content-type": "image/png; a=b; c=d", "content-length": "100"})
    if path == "/pdf.png":
        return httpx.Response(200, headers={"content-type": "application/pdf"})
    return httpx.Response(200, headers={"content-type": "application/octet-stream", "content-length": "100"})


async def resolve_url(value: str, kind: inputs.Kind = "image", max_bytes: int = 100) -> ResolvedInput:
    async with httpx.AsyncClient(transport=httpx.MockTransport(_cdn)) as client:
        return await resolve_input(value, field=kind, kind=kind, allowed_roots=[], client=client,
                                   scratch_dir=Path("/nonexistent"), max_bytes=max_bytes)


async def test_checked_urls(tmp_path: Path) -> None:
    assert await resolve_url("https://cdn.test/signed.png?X-Sig=1", max_bytes=4096) == ResolvedInput(
        "image", "url", "https://cdn.test/signed.png?X-Sig=1", None, "image/png", 4096)
    # Audio served with its container's video type: the URL's audio type wins when it has one.
    assert (await resolve_url("https://cdn.test/song.mp3", kind="audio")).mime_type == "audio/mpeg"
    assert await resolve_url("https://cdn.test/params.png") == ResolvedInput(
        "image", "url", "https://cdn.test/params.png", None, "image/png", 100)  # exactly at the limit
    with pytest.raises(InvalidInput) as caught:
        await resolve_url("https://cdn.test/params.png?s=1", max_bytes=99)
    assert str(caught.value) == "image: https://cdn.test/params.png is 100 bytes, over the 99 bytes limit; pass a " \
                                "smaller file."
    with pytest.raises(InvalidInput) as caught:
        await resolve_url("https://cdn.test/pdf.png?s=1")
    assert str(caught.value) == (f"image: https://cdn.test/pdf.png is application/pdf, not {PHOTO}; pass a direct "
                                 "link to the file or a local file.")
    with pytest.raises(InvalidInput) as caught:
        await resolve_url("https://cdn.test/generic.txt?s=1")  # a generic type: judged by the extension
    assert str(caught.value) == (f"image: https://cdn.test/generic.txt is text/plain, not {PHOTO}; pass a direct "
                                 "link to the file or a local file.")


async def test_unchecked_urls() -> None:
    got = await resolve_input("https://cdn.test/a.wav?x=1", field="voice", kind="audio", allowed_roots=[],
                              client=None, scratch_dir=Path("/nonexistent"))
    assert got == ResolvedInput("voice", "url", "https://cdn.test/a.wav?x=1", None, "audio/wav", None)
    with pytest.raises(InvalidInput) as caught:
        await resolve_input("https://cdn.test/page.html?x=1", field="photo", kind="image", allowed_roots=[],
                            client=None, scratch_dir=Path("/nonexistent"))
    assert str(caught.value) == (f"photo: https://cdn.test/page.html is text/html (a web page: link to the file "
                                 f"itself), not {PHOTO}; pass a direct link to the file or a local file.")
    with pytest.raises(InvalidInput) as caught:
        await resolve_input("https://cdn.test/my face.png", field="photo", kind="image", allowed_roots=[],
                            client=None, scratch_dir=Path("/nonexistent"))
    assert str(caught.value) == "photo: the URL contains spaces; encode them as %20."


async def test_a_value_that_is_not_text_is_empty() -> None:
    with pytest.raises(InvalidInput) as caught:
        await resolve_input(None, field="image", kind="image", allowed_roots=[],  # type: ignore[arg-type]
                            client=None, scratch_dir=Path("/nonexistent"))
    assert str(caught.value).startswith("image: is empty;")
