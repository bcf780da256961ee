"""The spend guard's arithmetic (tools/video.py): the per-job cap, the daily budget and its UTC day, and which
parameters make two requests the same. The MCP-level behaviour is in tests/e2e/test_spend_cap.py."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from talking_video_mcp.domain.requests import ProductAdArgs, TalkingVideoArgs
from talking_video_mcp.tools import video

pytestmark = pytest.mark.anyio
DAY = 86400.0


def state(cap: float, budget: float, spent: float, asked: list[float] | None = None, *, owner: str | None = None,
          user_budget: float | None = None, spent_by: dict[str, float] | None = None) -> Any:
    def spent_since(since: float, *, owner: str | None = None) -> float:
        if asked is not None:
            asked.append(since)
        return spent if owner is None else (spent_by or {}).get(owner, 0.0)

    return SimpleNamespace(
        settings=SimpleNamespace(max_job_cost_usd=cap, daily_budget_usd=budget, user_daily_budget_usd=user_budget),
        store=SimpleNamespace(spent_since=spent_since), owner=SimpleNamespace(id=owner) if owner else None,
        owner_id=owner)


@pytest.mark.parametrize("cost", [None, 0.0])
async def test_a_free_job_passes_even_with_no_cap_and_the_budget_spent(cost: float | None) -> None:
    assert await video.spend_check(state(cap=0.0, budget=1.0, spent=5.0), cost) is None


async def test_the_cap_is_inclusive() -> None:
    assert await video.spend_check(state(cap=2.5, budget=100.0, spent=0.0), 2.5) is None
    assert await video.spend_check(state(cap=2.5, budget=100.0, spent=0.0), 2.51) == (
        "This job is estimated at $2.51, above the per-job limit of $2.50 (TALKING_VIDEO_MAX_JOB_COST_USD).")


async def test_the_daily_budget_is_inclusive_and_counts_from_midnight_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video.time, "time", lambda: 20_000 * DAY + 3_600.5)
    asked: list[float] = []
    assert await video.spend_check(state(cap=10.0, budget=5.0, spent=3.0, asked=asked), 2.0) is None
    assert asked == [20_000 * DAY]
    assert await video.spend_check(state(cap=10.0, budget=5.0, spent=3.01), 2.0) == (
        "This job is estimated at $2.00; $3.01 of today's $5.00 budget (TALKING_VIDEO_DAILY_BUDGET_USD) is already "
        "committed.")


async def test_a_users_budget_holds_beside_the_total() -> None:
    """TALKING_VIDEO_USER_DAILY_BUDGET_USD counts only the signed-in user's jobs; the total still counts all."""
    team = {"alice": 4.0, "bob": 0.5}
    alice = state(cap=10.0, budget=100.0, spent=4.5, owner="alice", user_budget=5.0, spent_by=team)
    assert await video.spend_check(alice, 1.0) is None
    assert await video.spend_check(alice, 1.01) == (
        "This job is estimated at $1.01; $4.00 of your $5.00 daily budget (TALKING_VIDEO_USER_DAILY_BUDGET_USD) is "
        "already committed.")
    bob = state(cap=10.0, budget=5.0, spent=4.5, owner="bob", user_budget=5.0, spent_by=team)
    assert await video.spend_check(bob, 1.0) == (
        "This job is estimated at $1.00; $4.50 of today's $5.00 budget (TALKING_VIDEO_DAILY_BUDGET_USD) is already "
        "committed.")
    # Without sign-in there is one user: the per-user limit does not apply, the total does.
    assert await video.spend_check(state(cap=10.0, budget=100.0, spent=4.5, user_budget=1.0), 2.0) is None


def test_start_of_day_utc() -> None:
    assert video.start_of_day_utc(19_000 * DAY) == 19_000 * DAY
    assert video.start_of_day_utc(19_000 * DAY + DAY - 0.5) == 19_000 * DAY
    assert video.start_of_day_utc(19_001 * DAY + 1) == 19_001 * DAY


def test_only_what_shapes_the_request_makes_it_different() -> None:
    base = video.request_hash("m", TalkingVideoArgs(script="hi", seed=3))
    assert video.request_hash("m", TalkingVideoArgs(seed=3, script="hi", voice_id=None)) == base
    assert video.request_hash("m", TalkingVideoArgs(script="hi", seed=4)) != base
    assert video.request_hash("other", TalkingVideoArgs(script="hi", seed=3)) != base


def test_only_talking_models_make_talking_videos() -> None:
    from talking_video_mcp.errors import InvalidInput

    kinds = {"seg/talk": "talking_video", "uni/tts": "speech"}
    registry = SimpleNamespace(spec=lambda model: SimpleNamespace(kind=kinds[model]),
                               default_model=lambda: "seg/talk")
    app = SimpleNamespace(registry=registry)
    assert video.talking_model(app, None) == "seg/talk"  # type: ignore[arg-type]
    assert video.talking_model(app, "seg/talk") == "seg/talk"  # type: ignore[arg-type]
    # The tool's schema lists only talking models; this guards direct callers and future schema changes.
    with pytest.raises(InvalidInput) as caught:
        video.talking_model(app, "uni/tts")  # type: ignore[arg-type]
    assert caught.value.field == "model" and str(caught.value) == "model: 'uni/tts' does not make talking videos."


def test_every_tool_s_arguments_can_be_hashed() -> None:
    ad = ProductAdArgs(product_placement_sample_id="s", images=["https://h/a.png", "https://h/b.png"])
    assert video.request_hash("m", ad) != video.request_hash("m", ProductAdArgs(product_placement_sample_id="s",
                                                                                 images=["https://h/b.png"]))


def test_a_dry_run_is_stamped_in_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time
    from datetime import UTC, datetime

    from talking_video_mcp.domain.provider import PreparedJob
    from talking_video_mcp.domain.requests import InputFile
    from talking_video_mcp.providers.local.requests import LocalRequest

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    try:
        request = LocalRequest(inputs={"image": InputFile(url="https://h/a.png"), "audio": None})
        prepared = PreparedJob("p", request, "submit", None, kind="speech")
        view = video.dry_run_view(prepared, None)
        stamped = datetime.strptime(view.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - stamped).total_seconds()) < 60
        assert view.next_step == "Nothing was submitted. Call again without dry_run to submit (estimated $0.00)."
        assert view.kind == "speech" and view.request["inputs"] == {"image": "https://h/a.png"}
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
