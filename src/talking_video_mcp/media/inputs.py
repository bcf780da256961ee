"""Turn what an assistant passes as `image` / `audio` (an http(s) URL, a local path, a `file://` URI
or a `data:` URL) into a checked input before any paid request is made.

Why each rule exists:

* Local files are read only inside the allowed roots, after symlinks are resolved, because a
  file read here may be uploaded to a third-party provider: an assistant tricked into passing
  `~/.ssh/id_rsa` must not exfiltrate it. For the same reason a local file must also *look* like
  the requested kind (its first bytes are sniffed), and devices, FIFOs and sockets are refused
  before they are opened (reading `/dev/zero` would never end; opening a FIFO would block).
* Relative paths are resolved against the *first* allowed root (the server's working directory
  means nothing to a remote assistant); the result must still lie inside a root.
* URLs are checked with one HEAD request (or a one-byte ranged GET where HEAD is refused) so that
  a dead link or a web page fails now, for free, instead of failing a paid job later.
* Error messages name the field and say what to change; URLs are shown without query strings,
  which often carry signatures.
* Path checks never touch the network, and URL checks never touch the file system.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import http
import os
import re
import secrets
import stat
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import httpx

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media.download import stream_body
from talking_video_mcp.media.url_guard import REFUSAL, FetchPolicy, FetchRefused

Kind = Literal["image", "audio"]
Source = Literal["url", "file", "data"]

DEFAULT_MAX_BYTES = 50 * 2**20
# The longest an input's URL check, or its whole download, may take: a server that drips bytes must not hold a
# job (or a tool call) for ever; the client's timeouts bound each read, this bounds the sum.
CHECK_TIME_LIMIT_S = 30.0
DOWNLOAD_TIME_LIMIT_S = 120.0
SNIFF_BYTES = 64

_KIND_HINT: dict[str, str] = {
    "image": "a face photo (PNG, JPEG or WebP)",
    "audio": "a speech recording (WAV, MP3, M4A, OGG or FLAC)",
}
_EXTENSIONS: dict[str, str] = {
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jfif": "image/jpeg",
    ".webp": "image/webp", ".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".avif": "image/avif", ".heic": "image/heic", ".heif": "image/heic",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".aac": "audio/aac",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac",
    ".weba": "audio/webm", ".aif": "audio/aiff", ".aiff": "audio/aiff", ".amr": "audio/amr",
    ".wma": "audio/x-ms-wma", ".caf": "audio/x-caf",
    ".mp4": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
    ".html": "text/html", ".htm": "text/html", ".txt": "text/plain", ".json": "application/json",
    ".pdf": "application/pdf", ".svg": "image/svg+xml",
}
_MIME_EXTENSION: dict[str, str] = {
    "image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "image/gif": ".gif",
    "image/bmp": ".bmp", "image/tiff": ".tiff", "image/avif": ".avif", "image/heic": ".heic",
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/vnd.wave": ".wav",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
    "audio/aac": ".aac", "audio/ogg": ".ogg", "audio/opus": ".ogg", "audio/flac": ".flac",
    "audio/x-flac": ".flac", "audio/webm": ".weba", "audio/aiff": ".aiff", "audio/x-aiff": ".aiff",
    "audio/amr": ".amr", "audio/x-ms-wma": ".wma", "audio/x-caf": ".caf",
    "video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov", "application/ogg": ".ogg",
}
# Content types that say nothing about the file: judged by the URL's extension instead.
_GENERIC_TYPES = frozenset(
    {"", "application/octet-stream", "binary/octet-stream", "application/binary", "application/x-download",
     "application/force-download", "application/unknown"}
)
# Audio is often served or sniffed as its container's video type; PyAV reads the audio track,
# and the input is labelled with the audio type of the same container.
_AUDIO_CONTAINERS: dict[str, str] = {
    "video/mp4": "audio/mp4", "video/quicktime": "audio/mp4", "video/webm": "audio/webm", "video/ogg": "audio/ogg",
    "application/ogg": "audio/ogg",
}
_HEAD_REFUSED = frozenset({405, 403, 501})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]+):")
_RAW_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]{256,}")
_ISO_IMAGE_BRANDS = frozenset({b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1"})
_URLSAFE = str.maketrans("-_", "+/")
_ASF_GUID = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")


@dataclass(frozen=True)
class ResolvedInput:
    """A checked input. `path` is set for files (the real path, inside an allowed root) and for
    data: URLs (the decoded bytes, written to the scratch folder); `url` only for URLs."""

    field: str
    source: Source
    url: str | None
    path: Path | None
    mime_type: str | None
    size_bytes: int | None

    def data_url(self) -> str:
        """`data:<mime>;base64,...` of the file's bytes, for providers whose upload endpoint takes one."""
        if self.source == "url" or self.path is None:
            raise InvalidInput(self.field, "is a URL, not a local file; pass the URL to the provider as it is.")
        data = _read_regular(self.path, self.field)
        mime = self.mime_type or "application/octet-stream"
        return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


# --------------------------------------------------------------------------------------------- sniffing


def sniff_mime(head: bytes) -> str | None:
    """Recognise common image/audio formats from their first bytes (`SNIFF_BYTES` is enough).

    Content, not the file name, decides: a renamed text file must not pass as a photo."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] in (b"WEBP", b"WAVE"):
        return "image/webp" if head[8:12] == b"WEBP" else "audio/wav"
    if head[:2] == b"BM" and len(head) >= 26 and head[6:10] == b"\0\0\0\0":
        return "image/bmp"
    if head[:4] in (b"II*\0", b"MM\0*"):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _ISO_IMAGE_BRANDS:
            return "image/avif" if brand in (b"avif", b"avis") else "image/heic"
        return "audio/mp4" if brand in (b"M4A ", b"M4B ", b"M4P ") else "video/mp4"
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if head[:4] == b"OggS":
        return "audio/ogg"
    if head[:4] == b"fLaC":
        return "audio/flac"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "audio/webm"
    if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "audio/aiff"
    if head[:4] == b"caff":
        return "audio/x-caf"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    if head[:16] == _ASF_GUID:
        return "audio/x-ms-wma"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "audio/aac"  # ADTS frame sync
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "audio/mpeg"  # MPEG audio frame sync, an MP3 without an ID3 tag
    return None


def extension_for(mime: str | None) -> str:
    """File extension for a MIME type ('.bin' when unknown): decoders and transcoders look at it."""
    return _MIME_EXTENSION.get((mime or "").lower(), ".bin")


def guess_mime(name: str) -> str | None:
    """MIME type from a file name or URL path, from a fixed table (the system's table varies)."""
    return _EXTENSIONS.get(Path(name).suffix.lower())


def _major(mime: str | None) -> str:
    return (mime or "").split("/", 1)[0]


# --------------------------------------------------------------------------------------------- entry point


InputForm = Literal["data", "url", "upload", "scheme", "base64", "file"]


def form_of(text: str) -> InputForm:
    """How `resolve_input` reads a (stripped, non-empty) value: a data: URL, an http(s) URL, an `upload://` id
    (uploads.py; the tools turn it into the uploaded file first), another scheme (refused), raw base64
    (refused), or else a local file path (`file://` URIs included)."""
    head = text[:16].lower()
    if head.startswith("data:"):
        return "data"
    if head.startswith(("http://", "https://")):
        return "url"
    if head.startswith("upload://"):
        return "upload"
    scheme = _SCHEME.match(text)
    if scheme and scheme.group(1).lower() != "file":
        return "scheme"
    return "base64" if _RAW_BASE64.fullmatch(text) else "file"


async def resolve_input(
    value: str,
    *,
    field: str,
    kind: Kind,
    allowed_roots: Sequence[Path],
    client: httpx.AsyncClient | None,
    scratch_dir: Path,
    check_url: bool = True,
    max_bytes: int = DEFAULT_MAX_BYTES,
    guard: FetchPolicy | None = None,
) -> ResolvedInput:
    """Check `value` and say where its bytes are. Raises InvalidInput with a message for the assistant.

    URLs are checked with `client` only when `check_url` is true and a client is given; otherwise
    only their syntax is checked (and, with a `guard`, a host written as a refused address is refused).
    Local and data: inputs never make a network call."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidInput(
            field, f"is empty; give {_KIND_HINT[kind]} as an https URL, a local file path or a data: URL."
        )
    form = form_of(text)
    if form == "data":
        return await anyio.to_thread.run_sync(
            functools.partial(_resolve_data, text, field=field, kind=kind, scratch_dir=scratch_dir, max_bytes=max_bytes)
        )
    if form == "url":
        return await _resolve_url(text, field=field, kind=kind, client=client if check_url else None,
                                  max_bytes=max_bytes, guard=guard)
    if form == "upload":
        raise InvalidInput(field, "upload:// ids are taken by generate_talking_video's image and audio only; pass "
                           "this file as an https URL or a data: URL here.")
    if form == "scheme":
        raise InvalidInput(
            field, f"the {text.split(':', 1)[0].lower()}: scheme is not supported; use an http(s) URL, a local file "
            "path or a data: URL.",
        )
    if form == "base64":
        raise InvalidInput(field, f"looks like raw base64; send it as a data: URL (data:{kind}/...;base64,<payload>).")
    return await anyio.to_thread.run_sync(
        functools.partial(_resolve_file, text, field=field, kind=kind, allowed_roots=allowed_roots,
                          max_bytes=max_bytes)
    )


# --------------------------------------------------------------------------------------------- local files


def resolve_local_path(
    value: str, *, field: str, allowed_roots: Sequence[Path], max_bytes: int | None = None
) -> Path:
    """The real path of a regular file inside an allowed root, or InvalidInput.

    Accepts plain paths, `~` and `file://` URIs. A relative path is taken relative to the first root.
    Only stat-like calls are made (no open), so devices and FIFOs are refused without blocking."""
    text = value.strip()
    if not text:
        raise InvalidInput(field, "is empty; give a local file path.")
    if "\0" in text:
        raise InvalidInput(field, "the path contains a NUL character; pass a plain file path.")
    roots = _roots(allowed_roots)
    if not roots:
        raise InvalidInput(field, "local files are disabled (TALKING_VIDEO_ALLOWED_ROOTS is empty); pass an https URL.")
    try:
        path = Path(_file_uri_path(text, field) if text[:5].lower() == "file:" else text).expanduser()
    except RuntimeError:  # "~user" with no such user
        raise InvalidInput(field, f"cannot expand {_show(text)}; give an absolute path.") from None
    if not path.is_absolute():
        path = roots[0][0] / path
    lexical = Path(os.path.normpath(path))
    if not any(_inside(lexical, root) for pair in roots for root in pair):
        raise _outside(field, lexical, roots)
    try:
        real = lexical.resolve(strict=True)  # "a/../b" means b, as a person reads it, even if a is absent
    except FileNotFoundError:
        if not any(_inside(Path(os.path.realpath(lexical)), real_root) for _, real_root in roots):
            raise _outside(field, lexical, roots) from None  # a dangling link out of the root
        raise InvalidInput(field, f"file not found: {_show(lexical)}; check the path, or pass a URL.") from None
    except PermissionError:
        raise InvalidInput(field, f"{_show(lexical)} cannot be read (permission denied).") from None
    except (OSError, RuntimeError) as exc:  # symlink loops, names too long, ...
        raise InvalidInput(field, f"{_show(lexical)} cannot be opened ({type(exc).__name__}).") from None
    if not any(_inside(real, real_root) for _, real_root in roots):
        raise _outside(field, real, roots, via=lexical)
    try:
        st = real.stat()
    except OSError as exc:
        raise InvalidInput(field, f"{_show(real)} cannot be read ({type(exc).__name__}).") from None
    if stat.S_ISDIR(st.st_mode):
        raise InvalidInput(field, f"{_show(real)} is a folder; pass the path of a file inside it.")
    if not stat.S_ISREG(st.st_mode):
        raise InvalidInput(field, f"{_show(real)} is not a regular file (a device, pipe or socket); pass a file.")
    if max_bytes is not None and st.st_size > max_bytes:
        raise InvalidInput(field, f"{_show(real)} is {_mb(st.st_size)}, over the {_mb(max_bytes)} limit; pass a "
                                  "smaller file.")
    return real


def _resolve_file(text: str, *, field: str, kind: Kind, allowed_roots: Sequence[Path], max_bytes: int) -> ResolvedInput:
    path = resolve_local_path(text, field=field, allowed_roots=allowed_roots, max_bytes=max_bytes)
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput(field, f"{_show(path)} is empty; pass {_KIND_HINT[kind]}.")
    mime = sniff_mime(_read_regular(path, field, limit=SNIFF_BYTES))
    if mime is None or not _fits(mime, kind):
        if mime is None:
            raise InvalidInput(field, f"{_show(path)} is not {_KIND_HINT[kind]}: its bytes match no {kind} format.")
        raise InvalidInput(field, f"{_show(path)} is {mime}, not {_KIND_HINT[kind]}.")
    return ResolvedInput(field=field, source="file", url=None, path=path, mime_type=_as_kind(mime, kind),
                         size_bytes=size)


def _roots(allowed_roots: Sequence[Path]) -> list[tuple[Path, Path]]:
    """Each root as written (absolute, normalised) and resolved: both are needed because a root may
    itself be a symlink (macOS's /tmp), and the lexical check must not resolve the candidate."""
    pairs = []
    for root in allowed_roots:
        given = Path(os.path.normpath(Path(root).expanduser().absolute()))
        pairs.append((given, given.resolve()))
    return pairs


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


def _outside(field: str, path: Path, roots: list[tuple[Path, Path]], via: Path | None = None) -> InvalidInput:
    shown = f"{_show(via)} (a link to {_show(path)})" if via and via != path else _show(path)
    allowed = os.pathsep.join(str(given) for given, _ in roots)
    return InvalidInput(
        field, f"{shown} is outside the folders this server may read ({allowed}); move the file into one of them, "
        "or set TALKING_VIDEO_ALLOWED_ROOTS.",
    )


def _file_uri_path(text: str, field: str) -> str:
    parts = urllib.parse.urlsplit(text)
    if parts.netloc not in ("", "localhost"):
        raise InvalidInput(field, f"file:// URIs on another host ({parts.netloc}) cannot be read; pass a local path.")
    return urllib.request.url2pathname(parts.path)


def _read_regular(path: Path, field: str, limit: int | None = None) -> bytes:
    """Read (up to `limit`) bytes without following a last-moment symlink or blocking on a FIFO that
    replaced the file after it was checked."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise InvalidInput(field, f"{_show(path)} cannot be read ({type(exc).__name__}).") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InvalidInput(field, f"{_show(path)} is not a regular file; pass a file.")
        return f.read() if limit is None else f.read(limit)


# --------------------------------------------------------------------------------------------- data: URLs


def _resolve_data(text: str, *, field: str, kind: Kind, scratch_dir: Path, max_bytes: int) -> ResolvedInput:
    """Decode `data:<mime>[;params][;base64],<payload>` and store it under a content-hash name,
    so the same upload is written once and later steps handle it like any local file."""
    header, sep, payload = text[5:].partition(",")
    example = f"data:{'image/png' if kind == 'image' else 'audio/mpeg'};base64,<base64 bytes>"
    if not sep:
        raise InvalidInput(field, f"the data: URL has no comma before its payload; use {example}.")
    params = [p.strip() for p in header.split(";")]
    declared = params[0].lower() or "text/plain"
    is_base64 = any(p.lower() == "base64" for p in params[1:])
    if not _fits(declared, kind):
        raise InvalidInput(field, f"the data: URL says {declared}, not {kind}/*; pass {_KIND_HINT[kind]}.")
    payload = payload.strip()
    estimate = len(payload) * 3 // 4 if is_base64 else len(payload)
    if estimate > max_bytes:
        raise InvalidInput(field, f"the data: URL holds about {_mb(estimate)}, over the {_mb(max_bytes)} limit; pass "
                                "a smaller file or an https URL.")
    try:
        if is_base64:
            compact = re.sub(r"\s+", "", urllib.parse.unquote(payload)).translate(_URLSAFE)
            data = base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
        else:
            data = urllib.parse.unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        raise InvalidInput(field, f"the data: URL's base64 payload is invalid; re-encode the file, e.g. {example}.") \
            from None
    if not data:
        raise InvalidInput(field, f"the data: URL is empty; use {example}.")
    if len(data) > max_bytes:
        raise InvalidInput(field, f"the data: URL holds {_mb(len(data))}, over the {_mb(max_bytes)} limit; pass a "
                                "smaller file or an https URL.")
    sniffed = sniff_mime(data[:SNIFF_BYTES])
    if sniffed is None or not _fits(sniffed, kind):
        what = sniffed or f"in no {kind} format"
        raise InvalidInput(field, f"the data: URL says {declared} but its bytes are {what}; pass {_KIND_HINT[kind]}.")
    sniffed = _as_kind(sniffed, kind)
    digest = hashlib.sha256(data).hexdigest()[:24]
    path = scratch_dir / f"{field}-{digest}{extension_for(sniffed)}"
    if not (path.is_file() and path.stat().st_size == len(data)):
        _write_atomic(path, data)
    return ResolvedInput(field=field, source="data", url=None, path=path, mime_type=sniffed, size_bytes=len(data))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------- URLs


async def _resolve_url(
    text: str, *, field: str, kind: Kind, client: httpx.AsyncClient | None, max_bytes: int,
    guard: FetchPolicy | None = None,
) -> ResolvedInput:
    parts = urllib.parse.urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, f"{_show_url(text)} is not a complete http(s) URL; check the link.")
    if any(c.isspace() for c in text):
        raise InvalidInput(field, "the URL contains spaces; encode them as %20.")
    if guard is not None:
        try:
            guard.check_literal(parts.hostname)  # an address httpx would not even parse (0177.0.0.1) included
        except FetchRefused:
            raise InvalidInput(field, REFUSAL) from None
    guessed = guess_mime(parts.path)
    if client is None:
        if guessed is not None and not _fits(guessed, kind):
            raise _wrong_type(field, kind, guessed, text)
        return ResolvedInput(field=field, source="url", url=text, path=None, mime_type=_kind_or_none(guessed, kind),
                             size_bytes=None)
    response = await _head(client, text, field)
    content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    mime = _judge_type(content_type, guessed, kind, field, text)
    size = _total_size(response)
    if size is not None and size > max_bytes:
        raise InvalidInput(field, f"{_show_url(text)} is {_mb(size)}, over the {_mb(max_bytes)} limit; pass a smaller "
                                "file.")
    return ResolvedInput(field=field, source="url", url=text, path=None, mime_type=mime, size_bytes=size)


async def _head(client: httpx.AsyncClient, url: str, field: str) -> httpx.Response:
    """HEAD the URL, or GET one byte of it where HEAD is refused (S3 pre-signed GET URLs answer
    HEAD with 403). The GET is streamed and closed unread, in case the server ignores the Range."""
    try:
        with anyio.fail_after(CHECK_TIME_LIMIT_S):
            response = await client.head(url, follow_redirects=True)
            if response.status_code in _HEAD_REFUSED:
                async with client.stream("GET", url, headers={"Range": "bytes=0-0"}, follow_redirects=True) as response:
                    pass
    except FetchRefused:
        raise InvalidInput(field, REFUSAL) from None
    except TimeoutError:
        raise _network_error(field, url, httpx.ReadTimeout("")) from None
    except httpx.HTTPError as exc:
        raise _network_error(field, url, exc) from None
    if not response.is_success:
        raise _status_error(field, url, response.status_code)
    return response


def _judge_type(content_type: str, guessed: str | None, kind: Kind, field: str, url: str) -> str | None:
    """The input's MIME type, or InvalidInput when the server's type is clearly not `kind`.
    Generic types (octet-stream, none) are judged by the URL's extension."""
    if content_type in _GENERIC_TYPES:
        if guessed is not None and not _fits(guessed, kind):
            raise _wrong_type(field, kind, guessed, url)
        return _kind_or_none(guessed, kind)
    if not _fits(content_type, kind):
        raise _wrong_type(field, kind, content_type, url)
    if _major(content_type) != kind:  # audio in a video container type
        return guessed if _major(guessed) == kind else _as_kind(content_type, kind)
    return content_type


def _fits(mime: str, kind: Kind) -> bool:
    if mime == "image/svg+xml":  # vector drawings: no provider or decoder here takes them
        return False
    return _major(mime) == kind or (kind == "audio" and mime in _AUDIO_CONTAINERS)


def _as_kind(mime: str, kind: Kind) -> str:
    return _AUDIO_CONTAINERS.get(mime, mime) if kind == "audio" else mime


def _kind_or_none(mime: str | None, kind: Kind) -> str | None:
    if mime is None or not _fits(mime, kind):
        return None
    return _as_kind(mime, kind)


def _total_size(response: httpx.Response) -> int | None:
    if response.status_code == 206:  # "Content-Range: bytes 0-0/12345"
        total = response.headers.get("content-range", "").rpartition("/")[2]
        return int(total) if total.isdigit() else None
    length = response.headers.get("content-length", "")
    return int(length) if length.isdigit() else None


def _wrong_type(field: str, kind: Kind, mime: str, url: str) -> InvalidInput:
    hint = " (a web page: link to the file itself)" if mime == "text/html" else ""
    return InvalidInput(field, f"{_show_url(url)} is {mime}{hint}, not {_KIND_HINT[kind]}; pass a direct link to "
                             "the file or a local file.")


def _status_error(field: str, url: str, status: int) -> InvalidInput:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    return InvalidInput(field, f"the URL answered {status} {phrase} ({_show_url(url)}); check the link or pass a local "
                             "file.")


def _network_error(field: str, url: str, exc: httpx.HTTPError) -> InvalidInput:
    if isinstance(exc, httpx.TimeoutException):
        return InvalidInput(field, f"the URL did not answer in time ({_show_url(url)}); check the link or pass a local "
                                 "file.")
    if isinstance(exc, httpx.TooManyRedirects):
        return InvalidInput(field, f"the URL redirects too many times ({_show_url(url)}); pass the final link.")
    if isinstance(exc, httpx.UnsupportedProtocol):
        return InvalidInput(
            field, f"the URL redirects to a non-http(s) address ({_show_url(url)}); pass a direct link."
        )
    return InvalidInput(field, f"could not fetch {_show_url(url)} ({type(exc).__name__}); check the link or pass a "
                             "local file.")


# --------------------------------------------------------------------------------------------- downloads


async def download_to(
    client: httpx.AsyncClient, url: str, dest: Path, *, max_bytes: int, field: str = "input",
    time_limit_s: float = DOWNLOAD_TIME_LIMIT_S,
) -> Path:
    """Stream `url` into `dest`, refusing more than `max_bytes` or a download longer than `time_limit_s`. The
    bytes go to a temporary file next to `dest` that is renamed at the end, so `dest` never holds a partial
    download."""
    await anyio.Path(dest.parent).mkdir(parents=True, exist_ok=True)
    tmp = anyio.Path(dest.with_name(f".{dest.name}.{secrets.token_hex(4)}.part"))
    try:
        with anyio.fail_after(time_limit_s):
            await _stream_to(client, url, Path(tmp), max_bytes=max_bytes, field=field)
        await tmp.replace(dest)
    except FetchRefused:
        raise InvalidInput(field, REFUSAL) from None
    except TimeoutError:
        raise InvalidInput(field, f"{_show_url(url)} took longer than {time_limit_s:g} s to download; pass a smaller "
                                "file, a faster link or a local file.") from None
    except httpx.HTTPError as exc:
        raise _network_error(field, url, exc) from None
    finally:
        await tmp.unlink(missing_ok=True)
    return dest


async def _stream_to(client: httpx.AsyncClient, url: str, tmp: Path, *, max_bytes: int, field: str) -> None:
    async with client.stream("GET", url, follow_redirects=True) as response:
        if not response.is_success:
            raise _status_error(field, url, response.status_code)
        if response.headers.get("content-type", "").split(";", 1)[0].strip().lower() == "text/html":
            raise InvalidInput(field, f"{_show_url(url)} is a web page, not a media file; pass a direct link to "
                                    "the file.")
        written, expected = await stream_body(
            response, tmp, max_bytes=max_bytes, too_large=lambda: _too_big(field, url, max_bytes)
        )
    if written == 0:
        raise InvalidInput(field, f"{_show_url(url)} is empty; check the link.")
    if expected is not None and written < expected:
        raise InvalidInput(field, f"{_show_url(url)} was cut short ({written} of {expected} bytes); try again.")


async def materialize(
    resolved: ResolvedInput, client: httpx.AsyncClient, scratch_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES
) -> Path:
    """A local file holding the input: files and data: inputs already are one; URLs are downloaded
    into `scratch_dir` under a name derived from the URL, with an extension taken from the bytes."""
    if resolved.source != "url":
        if resolved.path is None:
            raise InvalidInput(resolved.field, "has no local file; resolve it again.")
        return resolved.path
    if not resolved.url:
        raise InvalidInput(resolved.field, "has no URL; resolve it again.")
    key = hashlib.sha256(resolved.url.encode()).hexdigest()[:24]
    tmp = scratch_dir / f".{resolved.field}-{key}-{secrets.token_hex(4)}.download"
    await download_to(client, resolved.url, tmp, max_bytes=max_bytes, field=resolved.field)
    try:
        async with await anyio.open_file(tmp, "rb") as f:
            head = await f.read(SNIFF_BYTES)
        mime = sniff_mime(head) or resolved.mime_type or guess_mime(urllib.parse.urlsplit(resolved.url).path)
        dest = scratch_dir / f"{resolved.field}-{key}{extension_for(mime)}"
        await anyio.Path(tmp).replace(dest)
    finally:
        await anyio.Path(tmp).unlink(missing_ok=True)
    return dest


# --------------------------------------------------------------------------------------------- messages


def _too_big(field: str, url: str, max_bytes: int) -> InvalidInput:
    return InvalidInput(field, f"{_show_url(url)} is larger than the {_mb(max_bytes)} limit; pass a smaller file.")


def _mb(n: int) -> str:
    """A size for people: "50 MB", "12.3 MB", "900 KB", "100 bytes"."""
    if n >= 2**20:
        return f"{n / 2**20:.1f}".removesuffix(".0") + " MB"
    return f"{n / 2**10:.0f} KB" if n >= 2**10 else f"{n} bytes"


def _show(path: Path | str, limit: int = 160) -> str:
    text = str(path)
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _show_url(url: str) -> str:
    """scheme://host/path only: query strings often carry signatures or tokens."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return _show(f"{parts.scheme}://{host}{parts.path}", limit=120)
