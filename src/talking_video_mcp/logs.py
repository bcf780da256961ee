"""Redaction that every log record of the package passes, however logging is configured.

A filter added to a logger only sees records logged on that very logger, not those propagated from its
children (`talking_video_mcp.server`, `talking_video_mcp.jobs.runner`, ...). So the redacting filter sits on
a pass-through handler of the package logger: every record of the package, from any module, reaches that
handler before any handler of the root logger (the CLI's stderr handler, an embedding application's handlers,
pytest's caplog) and leaves it with configured secrets and credential-shaped text removed.

The handler writes nothing itself, like the `NullHandler` libraries are told to add."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from talking_video_mcp.errors import redact

PACKAGE_LOGGER = "talking_video_mcp"


class RedactingFilter(logging.Filter):
    """Rewrites a record's message (and its formatted traceback) without secrets; never drops a record."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: tuple[str, ...] = ()
        self.add_secrets(secrets)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Remember more values to remove (longest first, so a secret containing another goes whole)."""
        with self._lock:
            known = set(self._secrets) | {s for s in secrets if s}
            self._secrets = tuple(sorted(known, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        message = record.getMessage()
        cleaned = redact(message, secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: format the traceback once, here, without secrets.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, secrets)
        return True


class _RedactingHandler(logging.Handler):
    """Applies its filters to each record in place and emits nothing."""

    def handle(self, record: logging.LogRecord) -> bool:
        return bool(self.filter(record))

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() never calls it
        pass


REDACTOR = RedactingFilter()


def register_secrets(secrets: Iterable[str]) -> None:
    """Secrets that no log line of this process may show (the configured API keys, tokens, passwords)."""
    REDACTOR.add_secrets(secrets)


def install() -> None:
    """Put the redacting handler on the package logger, once (idempotent; done when the package is imported)."""
    package = logging.getLogger(PACKAGE_LOGGER)
    if not any(isinstance(h, _RedactingHandler) for h in package.handlers):
        handler = _RedactingHandler()
        handler.addFilter(REDACTOR)
        package.addHandler(handler)


install()
