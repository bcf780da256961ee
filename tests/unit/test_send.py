"""http.send, where the paid-submit-once rule lives: a paid POST goes out once whatever happens; reads are
retried with backoff; a network failure after a paid POST may have arrived is reported as such."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from talking_video_mcp import provider_http
from talking_video_mcp.errors import RateLimited, SubmitOutcomeUnknown, TransientProviderError

pytestmark = pytest.mark.anyio
URL = "https://provider.test/v1/submit"


class Script:
    """A transport answering from a list of outcomes (an int status or an exception), counting requests."""

    def __init__(self, *outcomes: int | Exception, headers: dict[str, str] | None = None) -> None:
        self.outcomes = list(outcomes)
        self.headers = headers or {}
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        outcome = self.outcomes[min(len(self.seen), len(self.outcomes)) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, headers=self.headers, json={"n": len(self.seen)})


class Budget:
    def __init__(self) -> None:
        self.acquired = 0
        self.blocked: list[float] = []

    per_minute = 1000

    async def acquire(self, *, urgent: bool = False) -> None:
        self.acquired += 1

    def free_in(self) -> float:
        return 0.0

    def block_for(self, seconds: float) -> None:
        self.blocked.append(seconds)


def policy(waits: list[float], attempts: int = 4) -> provider_http.RetryPolicy:
    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    return provider_http.RetryPolicy(attempts=attempts, base_s=0.5, cap_s=4.0, sleep=sleep)


async def send(script: Script, *, idempotent: bool, waits: list[float], budget: Budget | None = None,
               attempts: int = 4) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as client:
        return await provider_http.send(client, "GET" if idempotent else "POST", URL, idempotent=idempotent,
                               budget=budget, retry=policy(waits, attempts), json={"a": 1}, describe="the submit")


DROPS: list[Callable[[], Exception]] = [
    lambda: httpx.RemoteProtocolError("server disconnected"),
    lambda: httpx.ReadError("connection reset"),
    lambda: httpx.WriteError("broken pipe"),
    lambda: httpx.ReadTimeout("timed out"),
]


@pytest.mark.parametrize("drop", DROPS, ids=["disconnect", "read-reset", "write-error", "read-timeout"])
async def test_a_paid_post_is_never_retried_after_a_dropped_connection(drop: Callable[[], Exception]) -> None:
    script, waits, budget = Script(drop(), 200), [], Budget()
    with pytest.raises(SubmitOutcomeUnknown, match="may have accepted it"):
        await send(script, idempotent=False, waits=waits, budget=budget)
    assert len(script.seen) == 1 and waits == [] and budget.acquired == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_a_paid_post_answered_with_an_error_is_returned_not_retried(status: int) -> None:
    script, waits = Script(status, 200), []
    response = await send(script, idempotent=False, waits=waits)
    assert response.status_code == status and len(script.seen) == 1 and waits == []


async def test_a_paid_post_that_could_not_connect_is_a_plain_failure_sent_once() -> None:
    script, waits = Script(httpx.ConnectError("refused"), 200), []
    with pytest.raises(TransientProviderError, match="could not connect") as caught:
        await send(script, idempotent=False, waits=waits)
    assert not isinstance(caught.value, SubmitOutcomeUnknown)
    assert len(script.seen) == 1 and waits == []


async def test_a_paid_post_that_succeeds_is_sent_once() -> None:
    script, waits = Script(200), []
    response = await send(script, idempotent=False, waits=waits)
    assert response.json() == {"n": 1} and len(script.seen) == 1
    assert script.seen[0].method == "POST" and script.seen[0].content == b'{"a":1}'


@pytest.mark.parametrize("failure", [500, 502, 503, 504, httpx.ReadError("reset"), httpx.ConnectError("x"),
                                     httpx.RemoteProtocolError("gone"), httpx.ReadTimeout("slow")])
async def test_a_read_is_retried_until_it_succeeds(failure: int | Exception) -> None:
    script, waits, budget = Script(failure, failure, 200), [], Budget()
    response = await send(script, idempotent=True, waits=waits, budget=budget)
    assert response.status_code == 200 and len(script.seen) == 3
    assert len(waits) == 2 and waits[0] <= 0.5 and waits[1] <= 1.0
    assert budget.acquired == 3  # every attempt takes a slot of the per-key budget


async def test_a_read_gives_up_after_its_attempts_with_the_last_error() -> None:
    script, waits = Script(503), []
    with pytest.raises(TransientProviderError, match="HTTP 503 to the submit") as caught:
        await send(script, idempotent=True, waits=waits, attempts=3)
    assert caught.value.status_code == 503 and caught.value.retryable
    assert len(script.seen) == 3 and len(waits) == 2  # no sleep after the last attempt


async def test_a_read_that_fails_is_not_retried_when_the_status_is_final() -> None:
    script, waits = Script(404, 200), []
    assert (await send(script, idempotent=True, waits=waits)).status_code == 404
    assert len(script.seen) == 1 and waits == []


async def test_a_429_blocks_the_budget_and_the_retry_waits_for_the_reset() -> None:
    script, waits, budget = Script(429, 200, headers={"retry-after": "7"}), [], Budget()
    response = await send(script, idempotent=True, waits=waits, budget=budget)
    assert response.status_code == 200 and len(script.seen) == 2
    assert budget.blocked == [7.0] and waits and waits[0] >= 7.0


async def test_a_429_without_a_reset_blocks_for_ten_seconds_and_reports_rate_limited() -> None:
    script, waits, budget = Script(429), [], Budget()
    with pytest.raises(RateLimited) as caught:
        await send(script, idempotent=True, waits=waits, budget=budget, attempts=2)
    assert caught.value.retry_after_s is None and budget.blocked == [10.0, 10.0]
    assert len(waits) == 1 and waits[0] <= 0.5


async def test_a_long_reset_is_capped_at_two_minutes() -> None:
    script, waits = Script(429, 200, headers={"retry-after": "900"}), []
    await send(script, idempotent=True, waits=waits)
    assert waits == [120.0]


def test_reset_delay_reads_seconds_or_a_utc_time() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert provider_http.reset_delay({"retry-after": "3.5"}, now=now) == 3.5
    assert provider_http.reset_delay({"x-rate-limit-reset-at-utc": "2026-01-01T12:00:30Z"}, now=now) == 30.0
    assert provider_http.reset_delay({"x-rate-limit-reset-at-utc": "2026-01-01T12:00:30"}, now=now) == 30.0
    assert provider_http.reset_delay({"x-rate-limit-reset-at-utc": "2026-01-01T11:00:00Z"}, now=now) == 0.0
    assert provider_http.reset_delay({"retry-after": "-4"}, now=now) == 0.0
    assert provider_http.reset_delay({"retry-after": "soon"}, now=now) is None
    assert provider_http.reset_delay({}, now=now) is None


def test_a_reset_time_is_measured_from_now_when_no_clock_is_given() -> None:
    assert provider_http.reset_delay({"x-rate-limit-reset-at-utc": "2999-01-01T00:00:00Z"}) > 1e9
    assert provider_http.reset_delay({"x-rate-limit-reset-at-utc": "2000-01-01T00:00:00+00:00"}) == 0.0


def test_backoff_ceilings_double_per_attempt_up_to_the_cap() -> None:
    import random

    random.seed(19)
    policy = provider_http.RetryPolicy(attempts=6, base_s=1.0, cap_s=100.0)
    for attempt, ceiling in ((0, 1.0), (1, 2.0), (3, 8.0), (5, 32.0)):
        delays = [policy.delay(attempt) for _ in range(400)]
        assert max(delays) <= ceiling and max(delays) > 0.9 * ceiling, (attempt, max(delays))
    assert max(provider_http.RetryPolicy(base_s=1.0, cap_s=5.0).delay(10) for _ in range(400)) > 4.5


def test_error_types_carry_what_callers_branch_on() -> None:
    from talking_video_mcp.errors import InvalidInput, ProviderError

    limited = RateLimited("slow down", retry_after_s=3.0)
    assert (str(limited), limited.status_code, limited.retryable, limited.retry_after_s) == ("slow down", 429, True,
                                                                                            3.0)
    plain = ProviderError("no")
    assert plain.retryable is False and plain.status_code is None
    transient = TransientProviderError("again", status_code=502)
    assert transient.retryable is True and transient.status_code == 502
    bad = InvalidInput("seed", "must be positive.")
    assert bad.field == "seed" and str(bad) == "seed: must be positive."


def test_a_scaled_policy_keeps_attempts_and_sleep_and_scales_both_delays() -> None:
    async def sleep(seconds: float) -> None:
        pass

    policy = provider_http.RetryPolicy(attempts=7, base_s=2.0, cap_s=30.0, sleep=sleep)
    scaled = policy.scaled(0.5)
    assert (scaled.attempts, scaled.base_s, scaled.cap_s, scaled.sleep) == (7, 1.0, 15.0, sleep)


async def test_messages_name_the_request_and_the_failure(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.INFO, logger="talking_video_mcp.provider_http")
    seen: list[httpx.Request] = []

    def always(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            raise exc

        return handler

    waits: list[float] = []
    async with httpx.AsyncClient(transport=httpx.MockTransport(always(httpx.ReadError("reset")))) as client:
        with pytest.raises(TransientProviderError) as caught:
            await provider_http.send(client, "GET", URL, idempotent=True, retry=policy(waits, 2), params={"page": 2})
    assert str(caught.value) == "network error during request (ReadError)" and not isinstance(
        caught.value, SubmitOutcomeUnknown)
    assert seen[0].url.params["page"] == "2"
    assert [r.getMessage() for r in caplog.records] == [
        f"retrying request after {waits[0]:.1f}s: network error during request (ReadError)"]
    async with httpx.AsyncClient(transport=httpx.MockTransport(always(httpx.ConnectError("no")))) as client:
        with pytest.raises(TransientProviderError) as caught:
            await provider_http.send(client, "POST", URL, idempotent=False, describe="the submit")
    assert str(caught.value) == "could not connect to the provider for the submit (ConnectError)"
    async with httpx.AsyncClient(transport=httpx.MockTransport(always(httpx.RemoteProtocolError("x")))) as client:
        with pytest.raises(SubmitOutcomeUnknown) as unknown:
            await provider_http.send(client, "POST", URL, idempotent=False, describe="the submit")
    assert str(unknown.value) == ("the connection failed during the submit (RemoteProtocolError); the provider may "
                                  "have accepted it")
    async with httpx.AsyncClient(transport=httpx.MockTransport(Script(429))) as client:
        with pytest.raises(RateLimited) as limited:
            await provider_http.send(client, "GET", URL, idempotent=True, retry=policy([], 1),
                                     describe="the voice list")
    assert str(limited.value) == "the provider rate-limited the voice list"


def test_the_default_retry_policy() -> None:
    policy = provider_http.RetryPolicy()
    assert (policy.attempts, policy.base_s, policy.cap_s) == (5, 0.5, 20.0)
