"""Redaction: redact() itself, and the filter every log record of the package passes (logs.py)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.errors import redact
from talking_video_mcp.server import build_server
from talking_video_mcp.settings import Settings
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"POST /v1/x with key {FAKE_SEGMIND_KEY} failed", "POST /v1/x with key [redacted] failed"),
        (f"{FAKE_SEGMIND_KEY}{FAKE_SEGMIND_KEY}", "[redacted][redacted]"),
        ("x-api-key: abcdefgh12345", "x-api-key: [redacted]"),
        ("Authorization: Bearer eyJhbGciOi.payload.sig", "Authorization: Bearer [redacted]"),
        ('{"api_key": "k-1234567890"}', '{"api_key": "[redacted]"}'),
        ("apiKey=zzzzzzzzzz&x=1", "apiKey=[redacted]&x=1"),
        ("x-api-key: short", "x-api-key: short"),  # under 8 characters: not credential-shaped
        ("nothing secret here: 3 s of audio", "nothing secret here: 3 s of audio"),
    ],
)
def test_redact_removes_configured_secrets_and_credential_shapes(text: str, expected: str) -> None:
    assert redact(text, [FAKE_SEGMIND_KEY]) == expected


def test_redact_ignores_empty_and_very_short_secrets() -> None:
    # A 1-3 character "secret" would shred ordinary text; an empty one would loop forever.
    assert redact("a cat sat on a mat", ["", "a", "at"]) == "a cat sat on a mat"
    assert redact("pin 4711 and pin 4711", ["4711"]) == "pin [redacted] and pin [redacted]"


def test_redact_removes_every_configured_secret() -> None:
    text = f"segmind={FAKE_SEGMIND_KEY} unifically={FAKE_UNIFICALLY_KEY}"
    assert redact(text, [FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY]) == "segmind=[redacted] unifically=[redacted]"


async def test_a_request_logged_in_process_never_shows_the_key(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """No CLI, no stderr handler: the server runs in-process and pytest's handler on the root logger
    records what the package logs. Every record must already be redacted when it gets there."""
    caplog.set_level(logging.DEBUG)
    headers = {"x-api-key": FAKE_SEGMIND_KEY, "content-type": "application/json"}
    async with Client(build_server(settings)) as client:
        assert (await client.call_tool("get_account", {})).is_error is False
        # Records from modules of the package, one of them a logger created only now.
        logging.getLogger("talking_video_mcp.providers.segmind").info("POST %s headers=%s", "/v1/avatar", headers)
        logging.getLogger("talking_video_mcp.jobs.runner").warning("submit failed: %s", f"key={FAKE_UNIFICALLY_KEY}")
        logging.getLogger("talking_video_mcp.some.new.module").error("Authorization: Bearer %s", "tok_9f8e7d6c5b4a")
        logging.getLogger("talking_video_mcp").info(f"direct on the package logger: {FAKE_SEGMIND_KEY}")
        try:
            raise RuntimeError(f"the provider echoed {FAKE_UNIFICALLY_KEY}")
        except RuntimeError:
            logging.getLogger("talking_video_mcp.provider_http").exception("request failed")
    ours = [r for r in caplog.records if r.name.startswith("talking_video_mcp")]
    assert len([r for r in ours if "[redacted]" in r.getMessage()]) >= 4, [r.getMessage() for r in ours]
    text = caplog.text
    assert "POST /v1/avatar headers=" in text and "request failed" in text
    assert "the provider echoed [redacted]" in text  # the traceback is redacted too
    for secret in (FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, "tok_9f8e7d6c5b4a"):
        assert secret not in text
        assert all(secret not in logging.Formatter().format(r) for r in caplog.records)


def test_the_redactor_sits_on_the_package_logger() -> None:
    from talking_video_mcp import logs

    package = logging.getLogger(logs.PACKAGE_LOGGER)
    holders: list[Any] = [h for h in package.handlers if logs.REDACTOR in h.filters]
    assert len(holders) == 1
    logs.install()  # idempotent
    assert len([h for h in package.handlers if logs.REDACTOR in h.filters]) == 1


def test_a_new_filter_redacts_longest_secrets_first_and_keeps_every_record() -> None:
    from talking_video_mcp.logs import RedactingFilter

    redactor = RedactingFilter(["abcd", "abcd-efgh-ijkl"])
    redactor.add_secrets(["", "zzzz-9999"])
    assert redactor.secrets == ("abcd-efgh-ijkl", "zzzz-9999", "abcd")
    record = logging.LogRecord("talking_video_mcp.x", logging.INFO, __file__, 1, "key %s and %s", ("abcd-efgh-ijkl",
                               "zzzz-9999"), None)
    assert redactor.filter(record) is True  # redacts, never drops (it also guards the CLI's stderr handler)
    assert record.getMessage() == "key [redacted] and [redacted]" and record.args is None
    untouched = logging.LogRecord("x", logging.INFO, __file__, 1, "plain %d", (3,), None)
    assert redactor.filter(untouched) is True and untouched.msg == "plain %d" and untouched.args == (3,)


def test_stack_info_and_tracebacks_are_redacted() -> None:
    from talking_video_mcp.logs import RedactingFilter

    redactor = RedactingFilter([FAKE_SEGMIND_KEY])
    record = logging.LogRecord("talking_video_mcp.x", logging.ERROR, __file__, 1, "boom", None, None)
    record.stack_info = f"Stack (most recent call last):\n  key={FAKE_SEGMIND_KEY}"
    record.exc_text = f"Traceback: {FAKE_SEGMIND_KEY}"
    redactor.filter(record)
    assert record.stack_info == "Stack (most recent call last):\n  key=[redacted]"
    assert record.exc_text == "Traceback: [redacted]"


def test_install_puts_the_redactor_back_on_the_package_logger() -> None:
    from talking_video_mcp import logs

    package = logging.getLogger("talking_video_mcp")
    saved = list(package.handlers)
    package.handlers[:] = [h for h in saved if logs.REDACTOR not in h.filters]
    try:
        logs.install()
        added = [h for h in package.handlers if logs.REDACTOR in h.filters]
        assert len(added) == 1 and added[0] not in saved
        logs.register_secrets(["install-test-secret-1"])
        with _Capture() as seen:
            logging.getLogger("talking_video_mcp.anything").warning("x install-test-secret-1 y")
        assert seen == ["x [redacted] y"]
    finally:
        package.handlers[:] = saved


class _Capture(logging.Handler):
    """Records formatted messages reaching the root logger, as an application's handler would."""

    def __enter__(self) -> list[str]:
        self.lines: list[str] = []
        root = logging.getLogger()
        self._level = root.level
        root.addHandler(self)
        root.setLevel(logging.DEBUG)
        return self.lines

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_cli_logging_redacts_other_libraries_too(capsys: pytest.CaptureFixture[str]) -> None:
    from talking_video_mcp.cli import configure_logging

    root = logging.getLogger()
    noisy = [logging.getLogger(name) for name in ("httpx", "httpcore", "uvicorn.access")]
    saved, level, levels = list(root.handlers), root.level, [n.level for n in noisy]
    try:
        configure_logging("info", ["cli-secret-abcdef"])
        logging.getLogger("httpx").warning("header x-api-key: cli-secret-abcdef")
        logging.getLogger("talking_video_mcp.cli").info("started with cli-secret-abcdef")
    finally:
        root.handlers[:], root.level = saved, level
        for logger, was in zip(noisy, levels, strict=True):
            logger.setLevel(was)
    err = capsys.readouterr().err
    assert "cli-secret-abcdef" not in err
    assert "httpx: header x-api-key: [redacted]" in err and "talking_video_mcp.cli: started with [redacted]" in err
