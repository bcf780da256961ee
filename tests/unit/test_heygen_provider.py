"""HeyGen's declaration and the provider's own hooks (cancel, the job view's words, doctor's key check), and its
errors as sentences: what the MCP tests in tests/e2e/test_heygen.py cannot see until the generic hooks call them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.domain.records import JobRecord
from talking_video_mcp.domain.requests import dump_request, load_request
from talking_video_mcp.errors import InsufficientCredits, InvalidInput, RateLimited
from talking_video_mcp.provider_http import RequestBudget, make_client
from talking_video_mcp.providers.access import ProviderAccess
from talking_video_mcp.providers.heygen import PLUGIN
from talking_video_mcp.providers.heygen.options import HeygenOptions
from talking_video_mcp.providers.heygen.provider import HeygenProvider
from talking_video_mcp.providers.heygen.requests import HeygenBody, HeygenRequest
from talking_video_mcp.providers.heygen.wire import raise_for_error
from talking_video_mcp.providers.inputs_stage import InputsStage
from tests.servers import free_port

KEY = "hg-test-key"


def test_the_declaration() -> None:
    assert (PLUGIN.name, PLUGIN.title, PLUGIN.key_env) == ("heygen", "HeyGen", "HEYGEN_API_KEY")
    assert PLUGIN.env_vars() == ["HEYGEN_API_KEY", "HEYGEN_BASE_URL", "HEYGEN_REQUESTS_PER_MINUTE"]
    assert PLUGIN.settings().base_url == "https://api.heygen.com"
    assert PLUGIN.job_ids == ("video_id",) and PLUGIN.emulator == "talking_video_mcp.emulator.heygen"
    (spec,) = PLUGIN.models
    assert spec.options is HeygenOptions and "seed" not in spec.takes and "duration" not in spec.takes


def test_the_stored_request_reads_back_from_the_ledger() -> None:
    request = HeygenRequest(payload=HeygenBody(type="avatar", avatar_id="look_0001", script="Hi.",
                                               options=HeygenOptions(fit="contain")), seconds=2.0)
    again = load_request(request.model, dump_request(request))
    assert isinstance(again, HeygenRequest) and again == request


def _job(**fields: Any) -> JobRecord:
    now = time.time()
    request = HeygenRequest(payload=HeygenBody(type="avatar", avatar_id="look_0001", script="Hi."))
    values: dict[str, Any] = {"id": "job_1", "model": request.model, "provider": "heygen", "kind": "talking_video",
                              "status": "processing", "request": request, "created_at": now, "updated_at": now,
                              "step": "poll", "state": {}, **fields}
    return JobRecord(**values)


@pytest.fixture
async def provider(tmp_path: Path) -> AsyncIterator[HeygenProvider]:
    async with make_client() as client:
        yield _provider(client, tmp_path, KEY, "http://127.0.0.1:9")


def _provider(client: httpx.AsyncClient, home: Path, key: str | None, base_url: str) -> HeygenProvider:
    inputs = InputsStage(allowed_roots=[home], scratch_dir=home, client=client, preset_lookup=lambda _: None)
    return HeygenProvider(ProviderAccess(key, base_url, client, RequestBudget(1000)), inputs=inputs)


@pytest.mark.anyio
async def test_cancel_says_what_it_means_for_the_cost(provider: HeygenProvider) -> None:
    before = await provider.cancel(_job(step="upload"))
    assert (before.outcome, before.estimate_returned) == ("NOT_SUBMITTED", True)
    assert before.sentence == "The video had not been sent to HeyGen, so nothing was charged."
    for job in (_job(state={"video_id": "v1"}), _job(step="submit", pending_submit="heygen.videos.create")):
        after = await provider.cancel(job)
        assert (after.outcome, after.estimate_returned) == ("CANNOT_CANCEL", False)
        assert after.sentence == ("HeyGen cannot stop a video once it is submitted: canceling stops following it "
                                  "here, but HeyGen still renders it and charges the API wallet.")


@pytest.mark.anyio
async def test_the_job_view_says_what_heygen_said(provider: HeygenProvider) -> None:
    assert _said(provider, _job(step="upload")) == "Uploading the photo and audio to HeyGen as assets."
    assert _said(provider, _job(state={"video_id": "v1"})) is None  # nothing heard from HeyGen yet
    said = _said(provider, _job(state={"video_id": "v1", "heygen_status": "pending", "url_refreshes": 1}))
    assert said == ("HeyGen says pending; its download link expired and was asked for again (1x); renders take "
                    "5-20 minutes, and the job resumes if this server restarts.")
    assert _said(provider, _job(status="completed", state={"heygen_status": "completed"})) is None


@pytest.mark.anyio
async def test_check_key_ok_rejected_unreachable_unconfigured(emulator: Any, tmp_path: Path) -> None:
    async with make_client() as client:
        ok = await _provider(client, tmp_path, KEY, emulator.base_url).check_key()
        assert ok.status == "ok" and ok.sentence == "HeyGen accepts HEYGEN_API_KEY; the API wallet holds 100.0 USD."
        rejected = await _provider(client, tmp_path, "bad-key", emulator.base_url).check_key()
        assert rejected.status == "rejected" and "HEYGEN_API_KEY" in rejected.sentence
        down = await _provider(client, tmp_path, KEY, f"http://127.0.0.1:{free_port()}").check_key()
        assert down.status == "unreachable" and down.sentence.startswith("HeyGen at http://127.0.0.1:")
        unset = await _provider(client, tmp_path, None, emulator.base_url).check_key()
        assert unset.status == "unconfigured"
    for check in (ok, rejected, down, unset):
        assert KEY not in check.sentence and "bad-key" not in check.sentence
    assert emulator.stats()["endpoints"]["heygen.users.me"] == 2  # never retried


def _answer(status: int, code: str, message: str, param: str | None = None, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message, "param": param}},
                          headers=headers)


def test_errors_become_one_sentence_naming_our_argument() -> None:
    with pytest.raises(InvalidInput) as caught:
        raise_for_error(_answer(400, "validation_error", "Caption format must be srt.", "caption.file_format"), "x")
    assert str(caught.value) == "options.caption.file_format: HeyGen refused it: caption format must be srt."
    with pytest.raises(InvalidInput) as caught:
        raise_for_error(_answer(400, "validation_error", "Invalid motion prompt.", "motion_prompt"), "x")
    assert caught.value.field == "prompt"
    with pytest.raises(InvalidInput) as caught:
        raise_for_error(_answer(413, "payload_too_large", "File too large."), "the file upload")
    assert str(caught.value).startswith("image: is larger than HeyGen takes (32 MB for an uploaded file)")
    with pytest.raises(InsufficientCredits, match="top up the API wallet"):
        raise_for_error(_answer(402, "insufficient_credit", "Not enough credit."), "the paid submit")
    with pytest.raises(RateLimited) as limited:
        raise_for_error(_answer(429, "rate_limit_exceeded", "Slow down.", **{"retry-after": "7"}), "the list")
    assert str(limited.value) == "HeyGen is rate-limiting this API key during the list; try again in 7 s."
    assert limited.value.retry_after_s == 7


@pytest.mark.anyio
async def test_lists_follow_heygens_token(emulator: Any, tmp_path: Path) -> None:
    from talking_video_mcp.providers.heygen.account import HeygenReads

    async with make_client() as client:
        reads = HeygenReads(ProviderAccess(KEY, emulator.base_url, client, RequestBudget(1000)))
        first = await reads.voices(search=None, limit=20, cursor=None)
        assert len(first.voices) == 20 and first.next_cursor and first.notes == []
        second = await reads.voices(search=None, limit=20, cursor=first.next_cursor)
        assert {v.voice_id for v in first.voices}.isdisjoint(v.voice_id for v in second.voices)
        # A listing from the start reads page after page (here 20 at a time) until HeyGen has no more.
        items, cursor, more = await reads._page("/v3/voices", 1000, None, 20)
        assert (len(items), cursor, more) == (45, None, [])
        with pytest.raises(InvalidInput, match=r"^cursor: is not a cursor HeyGen accepts"):
            await reads.voices(search=None, limit=20, cursor="not-a-token")


@pytest.mark.anyio
async def test_a_listing_from_the_start_is_reused_for_a_while(emulator: Any) -> None:
    from talking_video_mcp.providers.heygen import models as m
    from talking_video_mcp.providers.heygen.account import HeygenReads

    now = [0.0]
    async with make_client() as client:
        reads = HeygenReads(ProviderAccess(KEY, emulator.base_url, client, RequestBudget(1000)), clock=lambda: now[0])
        for _ in range(3):
            assert len((await reads.looks(search=None, limit=100, cursor=None)).presets) == 30
        now[0] += m.LIST_TTL_S
        await reads.looks(search="look", limit=100, cursor=None)
    assert emulator.stats()["endpoints"]["heygen.looks"] == 2


def _said(provider: Any, job: Any) -> str | None:
    progress = provider.describe(job)
    return progress.detail if progress else None
