"""The per-job cap (TALKING_VIDEO_MAX_JOB_COST_USD), just above and just below each paid model's estimate,
for real submits and for dry runs, over a real MCP session against the emulator. Only the cap is in play:
the daily budget is set far out of reach."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.server import build_server
from tests.conftest import make_settings
from tests.helpers import error_text, png_bytes, structured, upload, wav_bytes

pytestmark = pytest.mark.anyio

UNIT_PRICE = 1.0  # UNIFICALLY_UNIT_PRICE_USD: Higgsfield estimates are then the relative costs in dollars
PAID_ENDPOINTS = frozenset({"segmind.submit", "unifically.speak", "unifically.tts", "unifically.generate",
                            "unifically.ads"})
CAP_REASON = "per-job limit"
KINDS = {"generate_talking_video": "talking_video", "text_to_speech": "speech", "generate_video_from_image":
         "image_video", "generate_product_ad": "product_ad"}


@dataclass(frozen=True)
class Paid:
    tool: str
    model: str
    estimate: float
    args: Callable[[dict[str, str]], dict[str, Any]]


PAID: dict[str, Paid] = {
    "s2v-high-15": Paid("generate_talking_video", "segmind/higgsfield-speech2video", 4.22, lambda m: {
        "model": "segmind/higgsfield-speech2video", "image": m["image"], "audio": m["audio"],
        "options": {"quality": "high"}, "duration": 15}),
    "s2v-mid-5": Paid("generate_talking_video", "segmind/higgsfield-speech2video", 0.86, lambda m: {
        "model": "segmind/higgsfield-speech2video", "image": m["image"], "audio": m["audio"],
        "options": {"quality": "mid"}, "duration": 5}),
    "avatar-iv": Paid("generate_talking_video", "segmind/heygen-avatar-iv", 2.216, lambda m: {
        "model": "segmind/heygen-avatar-iv", "image": m["image"], "script": "Within the cap, please."}),
    "speak": Paid("generate_talking_video", "unifically/higgsfield-speak", 10.0, lambda m: {
        "model": "unifically/higgsfield-speak", "image": m["image"], "audio": m["audio"]}),
    "tts": Paid("text_to_speech", "unifically/higgsfield-tts", 0.1, lambda m: {
        "text": "Within the cap, please.", "provider": "unifically", "voice_id": m["voice"]}),
    "image-video-lite": Paid("generate_video_from_image", "unifically/higgsfield-generate", 1.0, lambda m: {
        "image": m["image"], "prompt": "slow zoom in", "model": "lite"}),
    "image-video-standard": Paid("generate_video_from_image", "unifically/higgsfield-generate", 2.0, lambda m: {
        "image": m["image"], "prompt": "slow zoom in", "model": "standard"}),
    "image-video-turbo": Paid("generate_video_from_image", "unifically/higgsfield-generate", 1.4, lambda m: {
        "image": m["image"], "prompt": "slow zoom in", "model": "turbo"}),
    "product-ad": Paid("generate_product_ad", "unifically/higgsfield-ads", 2.6, lambda m: {
        "product_placement_sample_id": "sample-123", "images": [m["image"]]}),
}


_CHEAPER = "Ask the user to raise the limit, or pick a cheaper option: "
# What each refusal advises: only arguments the model takes (HeyGen has no quality or duration).
ADVICE = {
    "s2v-high-15": f"{_CHEAPER}options.quality='mid', duration=5 (if the speech fits) or model='local' (free).",
    "s2v-mid-5": f"{_CHEAPER}model='local' (free).",
    "avatar-iv": f"{_CHEAPER}model='local' (free).",
    "speak": f"{_CHEAPER}model='local' (free).",
    "tts": f"{_CHEAPER}provider='local' (free offline voices).",
    "image-video-lite": "Ask the user to raise the limit.",
    "image-video-standard": f"{_CHEAPER}model='lite'.",
    "image-video-turbo": f"{_CHEAPER}model='lite'.",
    "product-ad": "Ask the user to raise the limit.",
}


@pytest.fixture
def media(emulator: Any) -> dict[str, str]:
    return {"image": upload(emulator.base_url, png_bytes(), "image/png"),
            "audio": upload(emulator.base_url, wav_bytes(4.0), "audio/wav")}


def capped(home: Path, root: Path, emulator: Any, cap: float) -> Any:
    return make_settings(home, root, emulator.base_url, TALKING_VIDEO_MAX_JOB_COST_USD=cap,
                         TALKING_VIDEO_DAILY_BUDGET_USD=1e6, UNIFICALLY_UNIT_PRICE_USD=UNIT_PRICE)


async def args_for(client: Any, paid: Paid, media: dict[str, str]) -> dict[str, Any]:
    if paid.tool == "text_to_speech":
        voices = structured(await client.call_tool("list_voices", {"provider": "unifically", "limit": 1}))
        media = {**media, "voice": voices["voices"][0]["voice_id"]}
    return paid.args(media)


def paid_posts(emulator: Any) -> list[dict[str, Any]]:
    return [r for r in emulator.requests() if r["endpoint"] in PAID_ENDPOINTS]


@pytest.mark.parametrize("name", list(PAID))
async def test_a_job_above_the_cap_is_refused_and_nothing_is_sent(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str], name: str
) -> None:
    paid = PAID[name]
    async with Client(build_server(capped(home, tmp_path, emulator, paid.estimate - 0.01))) as client:
        result = await client.call_tool(paid.tool, await args_for(client, paid, media))
        assert result.is_error, result
        text = error_text(result)
        assert text.endswith(
            f"This job is estimated at ${paid.estimate:.2f}, above the per-job limit of ${paid.estimate - 0.01:.2f} "
            f"(TALKING_VIDEO_MAX_JOB_COST_USD). Nothing was submitted. {ADVICE[name]}"), text
        assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []
    assert paid_posts(emulator) == []


@pytest.mark.parametrize("name", list(PAID))
async def test_a_job_at_or_below_the_cap_is_submitted(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str], name: str
) -> None:
    paid = PAID[name]
    async with Client(build_server(capped(home, tmp_path, emulator, paid.estimate))) as client:
        job = structured(await client.call_tool(paid.tool, await args_for(client, paid, media)))
        assert job["status"] in ("queued", "processing") and job["model"] == paid.model, job
        assert job["kind"] == KINDS[paid.tool] and job["reused_existing_job"] is False
        assert job["cost_estimate_usd"] == pytest.approx(paid.estimate)
        listed = structured(await client.call_tool("list_jobs", {}))["jobs"]
        assert [j["job_id"] for j in listed] == [job["job_id"]]


@pytest.mark.parametrize("name", list(PAID))
@pytest.mark.parametrize("side", ["above", "below"])
async def test_a_dry_run_says_whether_the_cap_would_stop_the_job(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str], name: str, side: str
) -> None:
    paid = PAID[name]
    cap = paid.estimate - 0.01 if side == "above" else paid.estimate + 0.01
    async with Client(build_server(capped(home, tmp_path, emulator, cap))) as client:
        view = structured(await client.call_tool(paid.tool, {**await args_for(client, paid, media), "dry_run": True}))
        assert view["status"] == "dry_run" and view["cost_estimate_usd"] == pytest.approx(paid.estimate)
        assert (view["job_id"], view["progress"], view["resource_uri"]) == ("dry-run", 0.0, "video://jobs/dry-run")
        assert view["model"] == paid.model and view["kind"] == KINDS[paid.tool]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", view["created_at"]) and view["updated_at"]
        submit = f"Nothing was submitted. Call again without dry_run to submit (estimated ${paid.estimate:.2f})."
        if side == "above":
            guard = (f"This job is estimated at ${paid.estimate:.2f}, above the per-job limit of ${cap:.2f} "
                     "(TALKING_VIDEO_MAX_JOB_COST_USD).")
            assert view["next_step"] == (
                f"Nothing was submitted (estimated ${paid.estimate:.2f}). A submit would be refused: {guard} Only a "
                "client that can ask the user (MCP elicitation) submits it, once the user approves.")
            # ... and it is: this client cannot be asked, so the submit is refused with the same sentence.
            refused = await client.call_tool(paid.tool, await args_for(client, paid, media))
            assert refused.is_error and error_text(refused).startswith(f"{guard} Nothing was submitted."), refused
        else:
            assert view["next_step"] == submit
        if paid.model.startswith("segmind/"):  # the request shown carries the inputs' URLs, not their bytes
            given = {v for k, v in paid.args(media).items() if k in ("image", "audio")}
            assert set(view["request"]["inputs"].values()) == given
        assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []
    assert paid_posts(emulator) == []


async def test_a_free_local_job_is_never_capped(home: Path, tmp_path: Path, emulator: Any) -> None:
    (tmp_path / "face.png").write_bytes(png_bytes())
    async with Client(build_server(capped(home, tmp_path, emulator, 0.0))) as client:
        view = structured(await client.call_tool("generate_talking_video", {
            "model": "local", "image": str(tmp_path / "face.png"), "script": "Free.", "dry_run": True}))
        assert view["cost_estimate_usd"] == 0
        assert view["next_step"] == "Nothing was submitted. Call again without dry_run to submit (estimated $0.00)."


async def test_a_repeated_request_is_the_same_job_and_says_so(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    paid = PAID["avatar-iv"]
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(build_server(capped(home, tmp_path, emulator, 10.0))) as client:
        # wait_seconds: the first answer comes when the job is done, with progress on the way.
        first = structured(await client.call_tool(paid.tool, {**paid.args(media), "wait_seconds": 30},
                                                  progress_callback=on_progress))
        assert first["status"] == "completed" and first["reused_existing_job"] is False, first
        assert progress and progress[-1] == pytest.approx(1.0)
        again = structured(await client.call_tool(paid.tool, paid.args(media)))
        assert again["job_id"] == first["job_id"] and again["reused_existing_job"] is True
        assert again["next_step"].startswith(
            "This is the job already made for the same request (nothing was paid again). ")
        assert again["next_step"].endswith(" Pass force_new=true for a second, separately billed job.")
        keyed = structured(await client.call_tool(paid.tool, {**paid.args(media), "idempotency_key": "k-19"}))
        assert keyed["job_id"] != first["job_id"] and keyed["reused_existing_job"] is False
        same_key = structured(await client.call_tool(paid.tool, {**paid.args(media), "idempotency_key": "k-19"}))
        assert same_key["job_id"] == keyed["job_id"] and same_key["reused_existing_job"] is True
    assert len([r for r in paid_posts(emulator) if r["endpoint"] == "segmind.submit"]) <= 2


async def test_the_cap_asks_through_elicitation_and_an_accept_submits(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    import mcp.types as mt

    asked: list[str] = []

    async def accept(context: Any, params: Any) -> mt.ElicitResult:
        asked.append(params.message)
        return mt.ElicitResult(action="accept", content={"approve": True})

    paid = PAID["s2v-mid-5"]  # priced by its parameters: the question must use them too
    async with Client(build_server(capped(home, tmp_path, emulator, 0.5)), elicitation_callback=accept) as client:
        job = structured(await client.call_tool(paid.tool, await args_for(client, paid, media)))
        assert job["status"] in ("queued", "processing")
    assert asked == ["This job is estimated at $0.86, above the per-job limit of $0.50 "
                     "(TALKING_VIDEO_MAX_JOB_COST_USD). Submit it anyway?"]


async def test_the_daily_budget_counts_what_today_already_committed(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    paid = PAID["avatar-iv"]  # $2.216 each; two do not fit in $4, one does
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_MAX_JOB_COST_USD=1e3,
                             TALKING_VIDEO_DAILY_BUDGET_USD=4.0)
    async with Client(build_server(settings)) as client:
        first = structured(await client.call_tool(paid.tool, paid.args(media)))
        second = await client.call_tool(paid.tool, {**paid.args(media), "script": "A second, different job."})
        assert second.is_error, second
        text = error_text(second)
        assert "$2.22 of today's $4.00 budget" in text and "TALKING_VIDEO_DAILY_BUDGET_USD" in text
        listed = structured(await client.call_tool("list_jobs", {}))["jobs"]
        assert [j["job_id"] for j in listed] == [first["job_id"]]
        account = structured(await client.call_tool("get_account", {}))
        assert account["daily_budget_usd"] == 4.0 and account["max_job_cost_usd"] == 1e3



async def test_a_declined_question_submits_nothing(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    import mcp.types as mt

    async def decline(context: Any, params: Any) -> mt.ElicitResult:
        return mt.ElicitResult(action="decline")

    paid = PAID["avatar-iv"]
    async with Client(build_server(capped(home, tmp_path, emulator, 1.0)), elicitation_callback=decline) as client:
        result = await client.call_tool(paid.tool, paid.args(media))
        assert result.is_error
        assert error_text(result).endswith(
            "This job is estimated at $2.22, above the per-job limit of $1.00 (TALKING_VIDEO_MAX_JOB_COST_USD). "
            "Nothing was submitted. The user declined."), error_text(result)
        assert structured(await client.call_tool("list_jobs", {}))["jobs"] == []
    assert paid_posts(emulator) == []


async def test_an_idempotency_key_names_one_request(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    paid = PAID["avatar-iv"]
    other = {**paid.args(media), "script": "Something else entirely."}
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(build_server(capped(home, tmp_path, emulator, 10.0))) as client:
        first = structured(await client.call_tool(paid.tool, {**paid.args(media), "idempotency_key": "k-1"}))
        # A dry run never looks the key up: it only estimates.
        dry = structured(await client.call_tool(paid.tool, {**other, "idempotency_key": "k-1", "dry_run": True}))
        assert dry["status"] == "dry_run" and dry["job_id"] == "dry-run"
        clash = await client.call_tool(paid.tool, {**other, "idempotency_key": "k-1"})
        assert clash.is_error
        assert (f"idempotency_key: was already used for a different request (job {first['job_id']}); use a new key."
                in error_text(clash)), error_text(clash)
        again = structured(await client.call_tool(paid.tool, {**paid.args(media), "idempotency_key": "k-1",
                                                              "wait_seconds": 30}, progress_callback=on_progress))
        assert again["job_id"] == first["job_id"] and again["reused_existing_job"] is True
        assert again["status"] == "completed" and progress, (again, progress)
        assert len(structured(await client.call_tool("list_jobs", {}))["jobs"]) == 1


async def test_identical_requests_share_a_job_unless_forced_or_dry(
    home: Path, tmp_path: Path, emulator: Any, media: dict[str, str]
) -> None:
    paid = PAID["avatar-iv"]
    progress: list[float] = []

    async def on_progress(done: float, total: float | None, message: str | None) -> None:
        progress.append(done)

    async with Client(build_server(capped(home, tmp_path, emulator, 10.0))) as client:
        first = structured(await client.call_tool(paid.tool, paid.args(media)))
        dry = structured(await client.call_tool(paid.tool, {**paid.args(media), "dry_run": True}))
        assert dry["status"] == "dry_run" and dry["job_id"] == "dry-run" and dry["reused_existing_job"] is False
        again = structured(await client.call_tool(paid.tool, {**paid.args(media), "wait_seconds": 30},
                                                  progress_callback=on_progress))
        assert again["job_id"] == first["job_id"] and again["reused_existing_job"] is True
        assert again["status"] == "completed" and progress, (again, progress)
        forced = structured(await client.call_tool(paid.tool, {**paid.args(media), "force_new": True}))
        assert forced["job_id"] != first["job_id"] and forced["reused_existing_job"] is False
        assert len(structured(await client.call_tool("list_jobs", {}))["jobs"]) == 2
