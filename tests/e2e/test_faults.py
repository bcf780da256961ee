"""Fault matrix: every provider endpoint the job runner uses, against every fault the emulator can
inject. Each case must end in a defined job state with a helpful message, and the POSTs the
emulator saw are counted: a paid submit is never sent twice (one that may have been accepted ends
`submit_unknown`, one that was clearly refused ends `failed` saying nothing was charged), while reads
are retried with capped, jittered backoff and a transient fault never costs the video."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from talking_video_mcp import provider_http
from talking_video_mcp.emulator import EmulatorConfig, FaultRule, run_in_thread
from talking_video_mcp.emulator.runner import EmulatorHandle
from talking_video_mcp.media.video import probe_video
from talking_video_mcp.server import build_server
from tests.conftest import FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY, make_settings
from tests.helpers import png_bytes, structured, upload

pytestmark = pytest.mark.anyio

# Fast provider time: a HeyGen job (195 provider seconds) takes 0.2 s; the runner's retry delays
# are written in provider seconds too, so a job that gives up after its whole backoff schedule
# still ends in about a second.
SPEED = 1000.0
ACTIVE = ("queued", "processing")
PAID_ENDPOINTS = ("segmind.submit", "unifically.speak", "unifically.tts", "unifically.generate", "unifically.ads")
NOTHING_CHARGED = "nothing was charged"
NOT_SENT_AGAIN = "not sent again"
READ_FAULTS = ("429", "500", "502", "504", "reset", "timeout", "malformed", "missing-fields", "truncated")


@pytest.fixture(scope="module")
def fault_emulator() -> Iterator[EmulatorHandle]:
    # A held response ends as soon as the client gives up (1 s below).
    with run_in_thread(EmulatorConfig(speed=SPEED, timeout_delay_s=5.0, fault_retry_after_s=1.0)) as emu:
        yield emu


@pytest.fixture
def emu(fault_emulator: EmulatorHandle) -> EmulatorHandle:
    fault_emulator.reset()
    return fault_emulator


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("faults")
    (path / "home").mkdir()
    (path / "face.png").write_bytes(png_bytes())
    return path


@pytest.fixture(scope="module")
async def session(fault_emulator: EmulatorHandle, root: Path) -> AsyncIterator[Client]:
    """One server for every case (each case's job ends before the next starts)."""
    # The request budgets count real minutes; a persistent fault here makes ~65 reads in a second.
    settings = make_settings(root / "home", root, fault_emulator.base_url, TALKING_VIDEO_TIME_SCALE=SPEED,
                             TALKING_VIDEO_HTTP_TIMEOUT=1.0, SEGMIND_REQUESTS_PER_MINUTE=10_000,
                             UNIFICALLY_REQUESTS_PER_MINUTE=10_000, TALKING_VIDEO_DAILY_BUDGET_USD=1e6)
    async with Client(build_server(settings)) as client:
        yield client


@dataclass
class Case:
    """One fault case: which job, which armed rule, and what must come of it."""

    job: str  # a key of JOBS
    endpoint: str
    fault: str
    times: int | None = 1  # None: every time
    status: str = "completed"
    says: tuple[str, ...] = ()
    # POSTs per endpoint where they differ from a clean run; None: retried (at least two).
    posts: dict[str, int | None] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.job}-{self.endpoint}-{self.fault}{'-always' if self.times is None else ''}"


def _heygen(media: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "generate_talking_video", {"model": "segmind/heygen-avatar-iv", "image": media["image_url"],
                                      "script": "Faults do not cost the video.", "voice_id": "Nova"}


def _heygen_upload(media: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "generate_talking_video", {"model": "segmind/heygen-avatar-iv", "image": media["image_path"],
                                      "script": "Uploaded once.", "voice_id": "Nova"}


def _image_video(media: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "generate_video_from_image", {"image": media["image_url"], "prompt": "slow zoom in", "model": "lite"}


def _speak_script(media: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "generate_talking_video", {"model": "unifically/higgsfield-speak", "image": media["image_url"],
                                      "script": "Speech first, then video.", "voice_id": media["voice"]}


def _ad(media: dict[str, str]) -> tuple[str, dict[str, Any]]:
    return "generate_product_ad", {"product_placement_sample_id": "sample-1", "images": [media["image_url"]]}


JOBS = {"heygen": _heygen, "heygen_upload": _heygen_upload, "image_video": _image_video,
        "speak_script": _speak_script, "ad": _ad}
# POSTs a clean run of each job makes.
CLEAN_POSTS = {
    "heygen": {"segmind.submit": 1},
    "heygen_upload": {"segmind.upload": 1, "segmind.submit": 1},
    "image_video": {"unifically.generate": 1},
    "speak_script": {"unifically.tts": 1, "unifically.speak": 1},
    "ad": {"unifically.ads": 1},
}

UNKNOWN = ("submit_unknown", (NOT_SENT_AGAIN,))
REFUSED = ("failed", (NOTHING_CHARGED,))

CASES: list[Case] = [
    # ---- Segmind paid submit: sent once, whatever happens.
    *(Case("heygen", "segmind.submit", f, status=UNKNOWN[0], says=UNKNOWN[1])
      for f in ("502", "504", "reset", "timeout", "malformed", "missing-fields", "truncated", "drop-after-commit")),
    *(Case("heygen", "segmind.submit", f, status=REFUSED[0], says=REFUSED[1]) for f in ("429", "500", "notfound")),
    # ---- Segmind reads: retried, the video still arrives.
    *(Case("heygen", "segmind.status", f) for f in READ_FAULTS),
    *(Case("heygen", "segmind.result", f) for f in READ_FAULTS),
    *(Case("heygen", "files", f) for f in (*READ_FAULTS, "notfound")),
    Case("heygen", "segmind.status", "notfound", status="expired", says=("no longer knows",)),
    Case("heygen", "segmind.result", "notfound", status="expired", says=("no longer knows",)),
    Case("heygen", "segmind.status", "500", times=None, status="failed",
         says=("gave up", "HTTP 500", "submitted", "request_id")),
    Case("heygen", "segmind.result", "malformed", times=None, status="failed", says=("gave up", "not JSON")),
    Case("heygen", "files", "notfound", times=None, status="failed", says=("gave up", "HTTP 404", "/files/outputs/")),
    Case("heygen", "files", "truncated", times=None, status="failed", says=("gave up", "cut short", "/files/outputs/")),
    # ---- Segmind upload (a local image): idempotent, retried; a persistent fault fails before any submit.
    *(Case("heygen_upload", "segmind.upload", f, posts={"segmind.upload": 2}) for f in ("429", "500", "reset")),
    *(Case("heygen_upload", "segmind.upload", f, posts={"segmind.upload": 2})
      for f in ("malformed", "missing-fields")),
    Case("heygen_upload", "segmind.upload", "500", times=None, status="failed",
         says=("gave up", NOTHING_CHARGED), posts={"segmind.submit": 0, "segmind.upload": None}),
    # ---- Unifically paid submits.
    *(Case("image_video", "unifically.generate", f, status=UNKNOWN[0], says=UNKNOWN[1])
      for f in ("502", "504", "reset", "timeout", "malformed", "missing-fields", "drop-after-commit")),
    *(Case("image_video", "unifically.generate", f, status=REFUSED[0], says=REFUSED[1])
      for f in ("429", "500", "notfound")),
    Case("speak_script", "unifically.tts", "502", status=UNKNOWN[0], says=UNKNOWN[1], posts={"unifically.speak": 0}),
    Case("speak_script", "unifically.tts", "500", status=REFUSED[0], says=REFUSED[1], posts={"unifically.speak": 0}),
    Case("speak_script", "unifically.speak", "reset", status=UNKNOWN[0], says=UNKNOWN[1]),
    Case("ad", "unifically.ads", "timeout", status=UNKNOWN[0], says=UNKNOWN[1]),
    # ---- Unifically reads.
    *(Case("image_video", "unifically.feed", f) for f in READ_FAULTS),
    Case("speak_script", "unifically.feed", "500"),
    Case("image_video", "unifically.feed", "notfound", status="expired", says=("no longer knows",)),
    Case("image_video", "unifically.feed", "500", times=None, status="failed", says=("gave up", "submitted")),
    Case("image_video", "unifically.feed", "missing-fields", times=None, status="failed", says=("gave up",)),
    *(Case("image_video", "files", f) for f in ("truncated", "notfound", "reset", "malformed")),
    Case("image_video", "files", "truncated", times=None, status="failed",
         says=("gave up", "cut short", "/files/outputs/")),
]


def post_counts(emu: EmulatorHandle) -> Counter[str]:
    return Counter(r["endpoint"] for r in emu.requests() if r["method"] == "POST")


async def run_job(client: Client, tool: str, args: dict[str, Any]) -> dict[str, Any]:
    return await follow(client, structured(await client.call_tool(tool, {**args, "force_new": True})))


async def follow(client: Client, job: dict[str, Any], limit_s: float = 40.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit_s
    while job["status"] in ACTIVE:
        assert time.monotonic() < deadline, f"job still {job['status']} at step {job['step']}: {job}"
        job = structured(await client.call_tool("check_video_status", {"job_id": job["job_id"], "wait_seconds": 5}))
    return job


@pytest.fixture(scope="module")
def voice(fault_emulator: EmulatorHandle) -> str:
    page = httpx.get(f"{fault_emulator.base_url}/higgsfield/tpl/voices", params={"size": 1},
                     headers={"authorization": "Bearer fixture-key"}).json()
    return str(page["items"][0]["id"])  # templates survive a reset


@pytest.fixture
def media(emu: EmulatorHandle, root: Path, voice: str) -> dict[str, str]:
    image = root / "face.png"
    return {"image_url": upload(emu.base_url, image.read_bytes(), "image/png"), "image_path": str(image),
            "voice": voice}


def assert_no_keys(text: str) -> None:
    for key in (FAKE_SEGMIND_KEY, FAKE_UNIFICALLY_KEY):
        assert key not in text and key[:12] not in text


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_fault_ends_in_a_defined_state(session: Client, emu: EmulatorHandle, media: dict[str, str],
                                             case: Case) -> None:
    await check_case(session, emu, media, case)


@pytest.fixture(scope="module")
def pg_module_url(postgres_server: Any) -> Iterator[str]:
    with postgres_server.database() as url:
        yield url


@pytest.fixture(scope="module")
async def pg_session(fault_emulator: EmulatorHandle, root: Path, pg_module_url: str) -> AsyncIterator[Client]:
    """The same server with its ledger (and so the runner's every write) on PostgreSQL."""
    (root / "pg-home").mkdir(exist_ok=True)
    settings = make_settings(root / "pg-home", root, fault_emulator.base_url, TALKING_VIDEO_TIME_SCALE=SPEED,
                             TALKING_VIDEO_HTTP_TIMEOUT=1.0, SEGMIND_REQUESTS_PER_MINUTE=10_000,
                             UNIFICALLY_REQUESTS_PER_MINUTE=10_000, TALKING_VIDEO_DAILY_BUDGET_USD=1e6,
                             TALKING_VIDEO_DATABASE_URL=pg_module_url)
    async with Client(build_server(settings)) as client:
        yield client


# The runner on the PostgreSQL ledger: one case of each kind of outcome (paid submit unknown / refused,
# a read retried / given up, an expired record, a damaged download).
PG_CASE_IDS = frozenset({
    "heygen-segmind.submit-502", "heygen-segmind.submit-429", "heygen-segmind.status-500",
    "heygen-segmind.status-500-always", "heygen-segmind.status-notfound", "heygen-files-truncated",
    "image_video-unifically.generate-drop-after-commit", "speak_script-unifically.speak-reset",
})
PG_CASES = [c for c in CASES if c.id in PG_CASE_IDS]


@pytest.mark.parametrize("case", PG_CASES, ids=[c.id for c in PG_CASES])
async def test_fault_ends_in_a_defined_state_on_postgres(pg_session: Client, emu: EmulatorHandle,
                                                         media: dict[str, str], case: Case) -> None:
    await check_case(pg_session, emu, media, case)


def test_the_postgres_cases_are_all_there() -> None:
    # Every id names a case of the matrix (a renamed case would otherwise drop out silently), and the
    # cases cover each kind of outcome, on both providers' paid submits.
    assert PG_CASE_IDS - {c.id for c in CASES} == set()
    assert {c.status for c in PG_CASES} == {"submit_unknown", "failed", "completed", "expired"}
    assert {c.endpoint for c in PG_CASES if c.status == "submit_unknown"} >= {"segmind.submit", "unifically.speak",
                                                                              "unifically.generate"}


async def check_case(session: Client, emu: EmulatorHandle, media: dict[str, str], case: Case) -> None:
    tool, args = JOBS[case.job](media)
    before = post_counts(emu)
    rule = FaultRule(case.endpoint, case.fault, case.times)
    if case.endpoint != "files":
        emu.add_fault(rule)
    job = structured(await session.call_tool(tool, {**args, "force_new": True}))
    if case.endpoint == "files":
        # Armed only now: checking the input URL at request time reads /files too. The result is
        # downloaded 0.06 s (provider: 60 s) later at the earliest.
        emu.add_fault(rule)
    job = await follow(session, job)
    stats = emu.stats()
    assert stats["faults_fired"].get(case.endpoint, {}).get(case.fault), f"the fault never fired: {stats}"
    assert job["status"] == case.status, job
    if case.status == "completed":
        path = Path(job["video_path"])
        assert probe_video(path, decode_all=True).frames > 0
        assert not list(path.parent.glob("*.part")), "a temp file was left behind"
    else:
        message = job["error"] or ""
        for phrase in case.says:
            assert phrase.lower() in message.lower(), f"{phrase!r} not in {message!r}"
        assert "Traceback" not in message
        assert len(message) > 40, message
    posts = post_counts(emu) - before
    expected = {**CLEAN_POSTS[case.job], **case.posts}
    for name in (*PAID_ENDPOINTS, "segmind.upload"):
        want = expected.get(name, 0)
        if want is None:
            assert posts.get(name, 0) >= 2, (name, dict(posts), expected)
        else:
            assert posts.get(name, 0) == want, (name, dict(posts), expected)
    for name in PAID_ENDPOINTS:
        assert posts.get(name, 0) <= 1, f"a paid submit was sent twice: {dict(posts)}"
    assert_no_keys(json.dumps(job))


async def test_read_429_waits_for_the_reset_header(session: Client, emu: EmulatorHandle,
                                                   media: dict[str, str]) -> None:
    emu.add_fault(FaultRule("segmind.status", "429", 1))
    tool, args = _heygen(media)
    job = await run_job(session, tool, args)
    assert job["status"] == "completed", job
    polls = [r for r in emu.requests() if r["endpoint"] == "segmind.status"]
    assert polls[0]["status_code"] == 429
    # The emulator's 429 says the window frees 1 s later: the retry waits for it (not the backoff's 0 s).
    assert polls[1]["t"] - polls[0]["t"] >= 0.8, polls[:2]


def test_retry_policy_is_capped_exponential_with_jitter() -> None:
    policy = provider_http.RetryPolicy(attempts=5, base_s=0.5, cap_s=4.0)
    for attempt in range(8):
        ceiling = min(4.0, 0.5 * 2**attempt)
        delays = [policy.delay(attempt) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert len({round(d, 6) for d in delays}) > 100, "no jitter"
    scaled = policy.scaled(0.01)
    assert scaled.attempts == 5 and max(scaled.delay(10) for _ in range(50)) <= 0.04
