"""Uploads for remote users: a chat app hands the model attachments, not URLs, and a signed-in user may not
name files on the server, so `create_upload` gives a one-time signed URL to PUT a photo or recording to, and
an `upload://` id that generate_talking_video takes as `image` or `audio`.

Both are signed (HMAC-SHA256, the download links' secret with its own label) over a random name, the kind,
the expiry and a tag of the owner, so any replica checks them without a lookup: an id that was changed, has
expired or belongs to another user is refused in one sentence. The bytes are checked before they are kept
(declared size, type, their first bytes, a face in a photo) and live with the videos: in the videos folder,
and in S3 when TALKING_VIDEO_STORAGE_URL is set."""

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
from typing import Literal

from talking_video_mcp.errors import InvalidInput, StorageError
from talking_video_mcp.media.inputs import extension_for, sniff_mime
from talking_video_mcp.models import UploadTicket
from talking_video_mcp.settings import Settings
from talking_video_mcp.storage import S3Storage

UploadKind = Literal["image", "audio"]
SCHEME = "upload://"
ROUTE = "/uploads"
MAX_BYTES: dict[str, int] = {"image": 10 * 2**20, "audio": 50 * 2**20}
ACCEPTED: dict[str, tuple[str, ...]] = {
    "image": ("image/jpeg", "image/png", "image/webp"),
    "audio": ("audio/wav", "audio/x-wav", "audio/wave", "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/ogg",
              "audio/flac", "audio/webm"),
}
_KINDS = {"i": "image", "a": "audio"}
_TOKEN = re.compile(r"([a-z0-9]{24})\.([ia])\.([1-9][0-9]{0,11})\.([A-Za-z0-9_-]{16})")
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{43}")
_QUERY = re.compile(r"signature=([A-Za-z0-9_-]{43})")
# An upload's file is kept this long after its ticket expires: a job made from it in time may still be queued.
KEEP_AFTER_EXPIRY_S = 86_400
_SWEEP_EVERY_S = 3_600


@dataclass(frozen=True)
class Ticket:
    """What a token claims (checked by its signature, not yet by the clock)."""

    name: str
    kind: UploadKind
    expires: int
    owner_tag: str

    @property
    def token(self) -> str:
        return f"{self.name}.{self.kind[0]}.{self.expires}.{self.owner_tag}"

    @classmethod
    def parse(cls, token: str) -> Ticket | None:
        found = _TOKEN.fullmatch(token)
        if found is None:
            return None
        kind: UploadKind = "image" if _KINDS[found.group(2)] == "image" else "audio"
        return cls(found.group(1), kind, int(found.group(3)), found.group(4))


def owner_tag(owner: str | None) -> str:
    """A short tag of the owner (never the owner's id itself: ids and URLs are shown to models)."""
    digest = hashlib.sha256(b"talking-video-mcp owner\0" + (owner or "").encode()).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def is_upload_id(value: str | None) -> bool:
    return bool(value) and str(value).strip()[:9].lower() == SCHEME


class Uploads:
    """Signs tickets, takes uploads and finds them again; one per server process (Services.uploads)."""

    def __init__(self, settings: Settings, secret: bytes, storage: S3Storage | None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = hashlib.sha256(b"talking-video-mcp upload v1\0" + secret).digest()
        self.folder = settings.uploads_dir
        self.scratch = settings.home / "scratch"
        self.storage = storage
        self.ttl_s = settings.upload_ttl_s
        self.public_url = settings.public_url
        self.clock = clock
        self._swept_at = 0.0

    def _sign(self, purpose: str, ticket: Ticket) -> str:
        digest = hmac.new(self._key, f"{purpose}\n{ticket.token}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    # ------------------------------------------------------------------------------------------ tickets

    def create(self, kind: UploadKind, owner: str | None, *, base: str | None) -> UploadTicket:
        root = self.public_url or base
        if not root:
            raise InvalidInput("create_upload", "works over the HTTP transport only; pass the file as an https "
                               "URL, a data: URL or a local file path instead.")
        self._sweep()
        ticket = Ticket(secrets.token_hex(12), kind, int(self.clock()) + self.ttl_s, owner_tag(owner))
        upload_id = f"{SCHEME}{ticket.token}.{self._sign('id', ticket)}"
        url = f"{root.rstrip('/')}{ROUTE}/{ticket.token}?signature={self._sign('put', ticket)}"
        mime = ACCEPTED[kind][0]
        expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ticket.expires))
        return UploadTicket(
            upload_id=upload_id, upload_url=url, content_types=list(ACCEPTED[kind]),
            max_bytes=MAX_BYTES[kind], expires_at=expires,
            example=f"curl --fail -T FILE -H 'Content-Type: {mime}' '{url}'",
        )

    def put_ticket(self, token: str, query: str) -> Ticket | None:
        """The ticket of an upload URL whose signature holds and that has not expired, else None."""
        ticket, found = Ticket.parse(token), _QUERY.fullmatch(query)
        if ticket is None or found is None:
            return None
        if not hmac.compare_digest(self._sign("put", ticket), found.group(1)) or self.clock() >= ticket.expires:
            return None
        return ticket

    def id_ticket(self, value: str, *, field: str, owner: str | None) -> Ticket:
        """The ticket of an `upload://` id, or InvalidInput saying in one sentence why it cannot be used."""
        token, _, signature = value.strip()[len(SCHEME):].rpartition(".")
        ticket = Ticket.parse(token)
        if ticket is None or not _SIGNATURE.fullmatch(signature) or \
                not hmac.compare_digest(self._sign("id", ticket), signature):
            raise InvalidInput(field, "is not an upload id this server made (it was changed or cut short); pass the "
                               "upload_id exactly as create_upload answered it.")
        if not hmac.compare_digest(ticket.owner_tag, owner_tag(owner)):
            raise InvalidInput(field, "names another user's upload; call create_upload and upload your own file.")
        if self.clock() >= ticket.expires:
            raise InvalidInput(field, "names an upload that has expired; call create_upload again and upload the "
                               "file to the new URL.")
        return ticket

    def _sweep(self) -> None:
        """Remove this machine's uploads whose tickets expired more than a day ago (at most once an hour; the
        store's copies are left to the bucket's lifecycle rules)."""
        now = self.clock()
        if now - self._swept_at < _SWEEP_EVERY_S:
            return
        self._swept_at = now
        oldest = now - self.ttl_s - KEEP_AFTER_EXPIRY_S
        with contextlib.suppress(OSError):
            for path in self.folder.iterdir():
                with contextlib.suppress(OSError):
                    if path.is_file() and path.stat().st_mtime < oldest:
                        path.unlink()

    # ------------------------------------------------------------------------------------------ bytes

    def _local(self, ticket: Ticket) -> Path | None:
        found = sorted(self.folder.glob(f"{ticket.name}.*"))
        return found[0] if found else None

    def stored(self, ticket: Ticket) -> bool:
        """Blocking: whether this ticket's file was uploaded already (a ticket takes one upload)."""
        if self._local(ticket) is not None:
            return True
        return self.storage is not None and self.storage.exists(self.storage.location.upload_key(ticket.name))

    def check_and_keep(self, ticket: Ticket, part: Path, declared: str) -> Path:
        """Blocking: check the received bytes in `part` (their format, a face in a photo) and keep them; InvalidInput
        (field "file") says what is wrong, and then nothing is kept."""
        with part.open("rb") as fh:
            head = fh.read(64)
        sniffed = sniff_mime(head)
        if sniffed is None or (sniffed.split("/")[0] != ticket.kind and not (
                ticket.kind == "audio" and sniffed == "video/mp4")):
            raise InvalidInput("file", f"is declared {declared} but its bytes are {sniffed or 'in no known format'}; "
                               f"upload one of {', '.join(ACCEPTED[ticket.kind])}.")
        if ticket.kind == "image":
            if sniffed not in ACCEPTED["image"]:
                raise InvalidInput("file", f"is {sniffed}; upload a JPEG, PNG or WebP photo.")
            _check_face(part)
        dest = self.folder / f"{ticket.name}{extension_for(sniffed)}"
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.storage is not None:
            self.storage.put_file(part, self.storage.location.upload_key(ticket.name), sniffed)
        try:
            os.link(part, dest)  # never replaces an upload that won a race
        except FileExistsError:
            raise InvalidInput("file", "was uploaded already; an upload URL takes one file.") from None
        return dest

    def local_path(self, ticket: Ticket, *, field: str) -> Path:
        """Blocking: the uploaded file on this machine (fetched from the store when another replica took it)."""
        path = self._local(ticket)
        if path is not None:
            return path
        if self.storage is not None:
            self.scratch.mkdir(parents=True, exist_ok=True)
            part = self.scratch / f".{ticket.name}.{secrets.token_hex(4)}.fetch"
            try:
                mime = self.storage.fetch_file(self.storage.location.upload_key(ticket.name), part)
                if mime is not None:
                    dest = self.folder / f"{ticket.name}{extension_for(mime)}"
                    self.folder.mkdir(parents=True, exist_ok=True)
                    with contextlib.suppress(FileExistsError):
                        os.link(part, dest)
                    return dest
            except StorageError as exc:
                raise InvalidInput(field, f"the upload cannot be read from the video store now ({exc}); try "
                                   "again in a minute.") from None
            finally:
                part.unlink(missing_ok=True)
        raise InvalidInput(field, "names an upload that has no file yet; PUT the file to its upload_url first, "
                           "then call again.")


def _check_face(path: Path) -> None:
    from talking_video_mcp.render.check import check_faces  # OpenCV and the face model: on the first photo only

    try:
        found = check_faces(path)
    except ValueError as exc:
        raise InvalidInput("file", f"could not be read as a photo ({exc}); upload a JPEG, PNG or WebP.") from None
    if not found.has_face:
        raise InvalidInput("file", "shows no face; upload a frontal photo with the face clearly visible.")
