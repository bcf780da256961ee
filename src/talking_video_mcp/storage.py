"""Finished videos in S3-compatible storage (TALKING_VIDEO_STORAGE_URL=s3://bucket/prefix), for deployments
whose replicas share no disk: the runner uploads each video before the job is completed, and download links
are presigned GET URLs that any replica makes. boto3 signs; nothing here does."""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from talking_video_mcp.errors import StorageError
from talking_video_mcp.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

VIDEO_MIME = "video/mp4"


class StorageUnavailable(StorageError):
    """The store could not take (or confirm) a video now; the upload is tried again later."""


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError("TALKING_VIDEO_STORAGE_URL must look like s3://bucket/prefix")
        return cls(parts.netloc, parts.path.strip("/"))

    def key(self, job_id: str) -> str:
        return f"{self.prefix}/{job_id}.mp4" if self.prefix else f"{job_id}.mp4"

    def upload_key(self, name: str) -> str:
        """Where an uploaded photo or recording (uploads.py) is kept: next to the videos."""
        return f"{self.prefix}/uploads/{name}" if self.prefix else f"uploads/{name}"


log = logging.getLogger(__name__)


class S3Storage:
    """One bucket and prefix; clients are made on first use (boto3 takes ~0.3 s to import: never at start-up)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.storage_url is not None
        if importlib.util.find_spec("boto3") is None:
            raise StorageError("TALKING_VIDEO_STORAGE_URL is set but boto3 is not installed: install "
                               "talking-video-mcp[s3] (pip install 'talking-video-mcp[s3]').")
        self.location = S3Location.parse(settings.storage_url)
        self._settings = settings
        self._lock = threading.Lock()
        self._clients: dict[str, S3Client] = {}

    @property
    def public_origin(self) -> str | None:
        """scheme://host[:port] of the presigned URLs, when known (for the gallery's Content-Security-Policy)."""
        endpoint = self._settings.storage_public_endpoint or self._settings.aws_endpoint_url
        if not endpoint:
            return None
        parts = urlsplit(endpoint)
        return f"{parts.scheme}://{parts.netloc}"

    def _client(self, endpoint: str | None, *, interactive: bool = False) -> S3Client:
        with self._lock:
            name = f"{'interactive ' if interactive else ''}{endpoint or ''}"
            client = self._clients.get(name)
            if client is None:
                client = self._make_client(endpoint, interactive=interactive)
                self._clients[name] = client
            return client

    def _make_client(self, endpoint: str | None, *, interactive: bool = False) -> S3Client:
        """`interactive`: for reads a tool call waits on, which must answer within seconds while the store is away
        (INTERACTIVE_WAIT_S a try, no retry); the job steps' uploads keep the patient settings."""
        import boto3  # lazily: see the class docstring
        from botocore.config import Config

        s = self._settings
        secret = s.aws_secret_access_key.get_secret_value() if s.aws_secret_access_key else None
        wait = min(INTERACTIVE_WAIT_S, s.http_timeout_s) if interactive else s.http_timeout_s
        config = Config(
            connect_timeout=wait, read_timeout=wait, retries={"max_attempts": 0 if interactive else 2},
            signature_version="s3v4", s3={"addressing_style": "path"},
        )
        client: S3Client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint, aws_access_key_id=s.aws_access_key_id, aws_secret_access_key=secret,
            region_name=s.aws_region or "us-east-1", config=config,
        )
        return client

    def upload(self, path: Path, job_id: str) -> str:
        """Blocking: store the video and confirm it is there, whole; returns its key. StorageUnavailable if not."""
        from botocore.exceptions import BotoCoreError, ClientError

        key = self.location.key(job_id)
        size = path.stat().st_size
        client = self._client(self._settings.aws_endpoint_url)
        try:
            with path.open("rb") as body:
                client.put_object(Bucket=self.location.bucket, Key=key, Body=body, ContentType=VIDEO_MIME,
                                  ContentLength=size)
            stored = client.head_object(Bucket=self.location.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None
        if stored.get("ContentLength") != size:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key} holds {stored.get('ContentLength')} bytes, "
                                     f"not {size}")
        return key

    def read(self, key: str, offset: int, length: int) -> tuple[bytes, int]:
        """Blocking: bytes [offset, offset + length) of a stored video and its size (the player on a replica
        that did not make it); StorageUnavailable when the store cannot answer."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client(self._settings.aws_endpoint_url, interactive=True)
        try:
            total = int(client.head_object(Bucket=self.location.bucket, Key=key)["ContentLength"])
            if length <= 0 or offset >= total:
                return b"", total
            got = client.get_object(Bucket=self.location.bucket, Key=key,
                                    Range=f"bytes={offset}-{min(total, offset + length) - 1}")
            return got["Body"].read(), total
        except BotoCoreError as exc:  # no answer: refused, timed out, dropped
            log.warning("the video store did not answer reading s3://%s/%s: %s", self.location.bucket, key,
                        _reason(exc))
            raise StorageUnavailable(VIDEO_STORE_AWAY) from None
        except ClientError as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None

    def put_file(self, path: Path, key: str, mime: str) -> None:
        """Blocking: store an uploaded file under `key` (uploads.py); StorageUnavailable if the store refuses."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client(self._settings.aws_endpoint_url)
        try:
            with path.open("rb") as body:
                client.put_object(Bucket=self.location.bucket, Key=key, Body=body, ContentType=mime,
                                  ContentLength=path.stat().st_size)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None

    def fetch_file(self, key: str, dest: Path) -> str | None:
        """Blocking: copy the object at `key` to `dest`; its content type, or None when there is no such object."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client(self._settings.aws_endpoint_url)
        try:
            got = client.get_object(Bucket=self.location.bucket, Key=key)
        except ClientError as exc:
            if str((exc.response.get("Error") or {}).get("Code")) in ("404", "NoSuchKey"):
                return None
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(got["Body"].read())
        return str(got.get("ContentType") or "")

    def exists(self, key: str) -> bool:
        """Blocking: whether an object is stored at `key`."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client(self._settings.aws_endpoint_url).head_object(Bucket=self.location.bucket, Key=key)
        except ClientError as exc:
            if str((exc.response.get("Error") or {}).get("Code")) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None
        except BotoCoreError as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}/{key}: {_reason(exc)}") from None
        return True

    def check(self) -> None:
        """Blocking: the bucket answers to these credentials (doctor); StorageUnavailable says why not."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client(self._settings.aws_endpoint_url).head_bucket(Bucket=self.location.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"s3://{self.location.bucket}: {_reason(exc)}") from None

    def presign(self, key: str, expires_in_s: int) -> str:
        """A GET URL for `key` that anyone may use for `expires_in_s` seconds (no network call); StorageUnavailable
        when it cannot be signed (no credentials found)."""
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._client(self._settings.storage_public_endpoint or self._settings.aws_endpoint_url)
        params: dict[str, Any] = {"Bucket": self.location.bucket, "Key": key, "ResponseContentType": VIDEO_MIME}
        try:
            return str(client.generate_presigned_url("get_object", Params=params, ExpiresIn=max(1, expires_in_s)))
        except (BotoCoreError, ClientError) as exc:
            raise StorageUnavailable(f"no download link could be signed for s3://{self.location.bucket}/{key}: "
                                     f"{_reason(exc)}; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") from None


INTERACTIVE_WAIT_S = 2.0
VIDEO_STORE_AWAY = "The video store is unavailable; try again shortly."
_DENIED = "access denied (check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"
_MEANING = {"404": "the bucket does not exist", "NoSuchBucket": "the bucket does not exist", "403": _DENIED,
            "AccessDenied": _DENIED, "InvalidAccessKeyId": _DENIED, "SignatureDoesNotMatch": _DENIED}


def _reason(exc: Exception) -> str:
    """What the store said, in words: its error code and message, or the connection failure."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error") or {}
        code = str(error.get("Code", "error"))
        return _MEANING.get(code) or f"{code} ({error.get('Message') or 'no message'})"
    return f"{type(exc).__name__}: {exc}"


def open_storage(settings: Settings) -> S3Storage | None:
    return S3Storage(settings) if settings.storage_url else None
