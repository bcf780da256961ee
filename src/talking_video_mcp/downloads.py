"""Download links a remote client can open without an MCP session or a token: for a finished video, a URL
signed with HMAC-SHA256 over the job id, its owner and an expiry (`/downloads/{job_id}.mp4?expires=..&
signature=..`), or, with S3 storage, a presigned GET URL of the stored object.

The secret is TALKING_VIDEO_URL_SECRET, which every replica must share; unset, one is made once in the home
folder (so replicas on one shared home agree, and a single server works out of the box)."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from talking_video_mcp.errors import StorageError
from talking_video_mcp.settings import Settings
from talking_video_mcp.storage import S3Storage, open_storage

ROUTE = "/downloads"
_QUERY = re.compile(r"expires=([1-9][0-9]{0,11})&signature=([A-Za-z0-9_-]{43})")
_JOB_FILE = re.compile(r"([A-Za-z0-9_-]{1,100})(\.mp4|\.wav|\.mp3|\.m4a|\.ogg)")


@dataclass(frozen=True)
class SignedLink:
    """What a download URL claims, parsed (not yet checked)."""

    job_id: str
    expires: int
    signature: str
    suffix: str = ".mp4"  # .mp4 for a video; a text_to_speech job's audio keeps its own extension


def parse_link(path_tail: str, query: str) -> SignedLink | None:
    """The link's parts, only when the path after /downloads/ and the query string are exactly the form
    `url()` writes: so a changed byte never reads as the same link."""
    name, fields = _JOB_FILE.fullmatch(path_tail), _QUERY.fullmatch(query)
    if name is None or fields is None:
        return None
    return SignedLink(name.group(1), int(fields.group(1)), fields.group(2), name.group(2))


class Signer:
    """HMAC-SHA256 over (job id, owner, expiry), base64url without padding, compared as text."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("the download URL secret must be at least 16 bytes")
        self._key = hashlib.sha256(b"talking-video-mcp download v1\0" + secret).digest()

    def signature(self, job_id: str, owner: str | None, expires: int) -> str:
        message = "\n".join((job_id, owner or "", str(expires))).encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, base: str, job_id: str, owner: str | None, expires: int, suffix: str = ".mp4") -> str:
        return (f"{base.rstrip('/')}{ROUTE}/{quote(job_id)}{suffix}?expires={expires}"
                f"&signature={self.signature(job_id, owner, expires)}")

    def valid(self, link: SignedLink, owner: str | None, now: float) -> bool:
        """The signature is this job's and this owner's, and the link has not expired."""
        expected = self.signature(link.job_id, owner, link.expires)
        return hmac.compare_digest(expected, link.signature) and now < link.expires


def load_secret(settings: Settings) -> bytes:
    """TALKING_VIDEO_URL_SECRET, or the one kept in the home folder (made there once, readable by its owner
    only; several processes starting at once agree on the first one written)."""
    if settings.url_secret is not None and settings.url_secret.get_secret_value():
        return settings.url_secret.get_secret_value().encode()
    path = settings.url_secret_path
    try:
        if not path.exists():
            _create_secret(path)
        text = path.read_text().strip()
    except OSError as exc:
        raise StorageError(f"the download URL secret {path} cannot be read or made ({exc.strerror or exc}); set "
                           "TALKING_VIDEO_URL_SECRET or make TALKING_VIDEO_HOME writable.") from None
    if len(text) < 32:
        raise StorageError(f"the download URL secret in {path} is damaged; delete the file (a new one is made) "
                           "or set TALKING_VIDEO_URL_SECRET.")
    return text.encode()


def _create_secret(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic, and never replaces a secret another process made first
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


class Downloads:
    """Makes the download link of a finished video; one per server process (Services.downloads)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        self.signer = Signer(load_secret(settings))
        self.storage: S3Storage | None = open_storage(settings)
        self.public_url = settings.public_url
        self.ttl_s = settings.download_url_ttl_s
        self.clock = clock

    def url(self, job_id: str, owner: str | None, *, base: str | None, stored_key: str | None,
            suffix: str = ".mp4") -> str | None:
        """The stored object's presigned URL, else a signed link to this server at `public_url` (or `base`,
        the URL the request came in on); None when neither is known. `suffix`: .mp4, or an audio job's own."""
        if self.storage is not None and stored_key:
            return self.storage.presign(stored_key, self.ttl_s)
        root = self.public_url or base
        if not root:
            return None
        return self.signer.url(root, job_id, owner, int(self.clock()) + self.ttl_s, suffix)
