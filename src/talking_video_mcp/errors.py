"""Typed errors, each carrying one clear sentence for the assistant; no stack traces reach a client."""

from __future__ import annotations

import re
from collections.abc import Iterable


class TalkingVideoError(Exception):
    """Base class: `str(error)` is safe to show to the client."""


class InvalidInput(TalkingVideoError, ValueError):
    """An argument or input that cannot be used as given; nothing was spent. `str()` is
    "<field>: <what to change>", safe to show."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message if message.endswith((".", "?", "!")) else f"{message}."  # a sentence ends
        super().__init__(f"{field}: {self.message}")


class NotConfigured(TalkingVideoError):
    """A provider was asked for but has no API key."""


class JobNotFound(TalkingVideoError):
    pass


class StorageError(TalkingVideoError):
    """This machine could not store something (a full disk, an unwritable TALKING_VIDEO_HOME)."""


class LedgerError(StorageError):
    """The job ledger could not be read or written; nothing in it changed."""


class TooBusy(TalkingVideoError):
    """A user's fair share is used up (active jobs, calls a minute); the sentence says when to try again."""


class LedgerUnavailable(LedgerError):
    """The ledger's database cannot be reached just now (a restart, a failover); nothing in it changed."""


class SpendRefused(TalkingVideoError):
    """The spend guard refused a job (cost over the per-job cap or the daily budget)."""


class ProviderError(TalkingVideoError):
    """The provider answered with an error; `retryable` says whether a read may be tried again."""

    def __init__(self, message: str, *, status_code: int | None = None, retryable: bool = False) -> None:
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message)


class AuthRejected(ProviderError):
    pass


class InsufficientCredits(ProviderError):
    pass


class RateLimited(ProviderError):
    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, status_code=429, retryable=True)


class RecordNotFound(ProviderError):
    """The provider no longer knows the request (some forget records after an hour)."""


class SubmitOutcomeUnknown(ProviderError):
    """The network failed while a paid submit was in flight: it may or may not have been accepted."""


class TransientProviderError(ProviderError):
    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message, status_code=status_code, retryable=True)


_KEYLIKE = re.compile(r"(?i)(x-api-key|authorization|bearer|api[_-]?key)([\"':= ]+)([A-Za-z0-9._\-]{8,})")


def redact(text: str, secrets: Iterable[str]) -> str:
    """Remove configured secrets (and anything shaped like a credential header) from text."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return _KEYLIKE.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
