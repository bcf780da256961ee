"""The ledger's contract, run against both backends: SQLite (JobStore) and PostgreSQL (PgJobStore)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from talking_video_mcp.domain.records import NewJob, Owner
from talking_video_mcp.errors import LedgerError
from talking_video_mcp.jobs.ledger import Ledger, open_store
from talking_video_mcp.jobs.store import JobStore
from talking_video_mcp.settings import Settings
from tests.helpers import skip_or_fail, stored_request

S2V = "segmind/higgsfield-speech2video"

T0 = 1_700_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


Opener = Callable[..., Any]


@pytest.fixture(params=["sqlite", "postgres"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens another handle on the same ledger (another 'process': its own lease owner)."""
    opened: list[Any] = []
    if request.param == "sqlite":
        def opener(clock: Clock) -> Any:
            return JobStore(tmp_path / "jobs.sqlite", clock=clock)
        url = None
    else:
        url = request.getfixturevalue("pg_url")
        from talking_video_mcp.jobs.pg_store import PgJobStore

        def opener(clock: Clock) -> Any:
            return PgJobStore(url, clock=clock)

    def tracked(clock: Clock) -> Any:
        store = opener(clock)
        opened.append(store)
        return store

    yield tracked
    for store in opened:
        store.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(open_ledger: Opener, clock: Clock) -> Any:
    return open_ledger(clock)


def make(store: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {"provider": "segmind", "request": stored_request(S2V, script="hi"),
                            "cost_estimate_usd": 1.0}
    args.update(kw)
    return store.create(NewJob(**args))


def test_satisfies_the_protocol(store: Any) -> None:
    ledger: Ledger = store
    assert ledger.owner


def test_create_and_get_round_trip(store: Any, clock: Clock) -> None:
    request = stored_request(S2V, script="héllo ✓", inputs={"input_image": {"url": "https://x.invalid/a.png"}})
    job = make(store, request=request, kind="audio", step="tts", request_hash="h1", idempotency_key="k1",
               job_id="job_custom")
    assert job.id == "job_custom" and job.status == "queued"
    got = store.get("job_custom")
    assert got == job
    assert got.request == request and got.state == {} and got.created_at == T0 == got.updated_at
    assert got.progress == 0.0 and got.polls == 0 and got.lease_owner is None and got.lease_until == 0.0
    assert store.get("job_missing") is None
    generated = make(store)
    assert generated.id.startswith("job_") and store.get(generated.id) == generated


def test_update_writes_fields_and_json(store: Any, clock: Clock) -> None:
    job = make(store)
    clock.now += 5
    updated = store.update(job.id, status="processing", progress=0.5, state={"remote_id": "r1", "n": [1]},
                           submitted_at=T0 + 1, polls=3, next_check_at=T0 + 9)
    assert updated.status == "processing" and updated.progress == 0.5 and updated.polls == 3
    assert updated.state == {"remote_id": "r1", "n": [1]} and updated.updated_at == T0 + 5
    assert store.get(job.id) == updated
    with pytest.raises(ValueError, match="not updatable"):
        store.update(job.id, lease_owner="me")
    with pytest.raises(KeyError):
        store.update("job_missing", status="failed")


def test_canceled_job_is_not_revived(store: Any) -> None:
    job = make(store)
    store.update(job.id, status="canceled", error="user canceled")
    after = store.update(job.id, status="processing", progress=0.9)
    assert after.status == "canceled" and after.progress == 0.0
    forced = store.update(job.id, unless_canceled=False, status="failed")
    assert forced.status == "failed"


def test_claim_leases_the_job_to_one_owner(open_ledger: Opener, clock: Clock) -> None:
    a, b = open_ledger(clock), open_ledger(clock)
    assert a.owner != b.owner
    job = make(a)
    mine = a.claim(job.id, 30)
    assert mine is not None and mine.lease_owner == a.owner and mine.lease_until == T0 + 30
    assert b.claim(job.id, 30) is None  # held by a live process
    assert a.claim(job.id, 30) is not None  # the holder renews
    clock.now += 31
    theirs = b.claim(job.id, 30)
    assert theirs is not None and theirs.lease_owner == b.owner  # the lease ran out
    b.release(job.id)
    assert a.claim(job.id, 30) is not None
    a.update(job.id, status="completed")
    assert a.claim(job.id, 30) is None and b.claim(job.id, 30) is None
    assert a.claim("job_missing", 30) is None


def test_concurrent_claims_have_one_winner(open_ledger: Opener, clock: Clock) -> None:
    stores = [open_ledger(clock) for _ in range(4)]
    job = make(stores[0])
    results: list[Any] = []
    barrier = threading.Barrier(8)

    def claim(store: Any) -> None:
        barrier.wait()
        results.append(store.claim(job.id, 30))

    threads = [threading.Thread(target=claim, args=(stores[i % 4],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = {r.lease_owner for r in results if r is not None}
    assert len(winners) == 1


def test_renewed_leases_stay_and_released_ones_move(open_ledger: Opener, clock: Clock) -> None:
    a, b = open_ledger(clock), open_ledger(clock)
    one, two, three = make(a), make(a), make(a)
    assert a.claim(one.id, 15) and a.claim(two.id, 15) and b.claim(three.id, 15)
    clock.now += 10
    assert a.renew_leases(15) == {one.id, two.id}
    assert a.get(one.id).lease_until == clock.now + 15
    clock.now += 10  # 20 s after the claims: only the renewal keeps the leases
    assert b.claim(one.id, 15) is None
    a.update(two.id, status="completed")
    assert a.renew_leases(15) == {one.id}  # only active jobs
    taken_over = a.claim(three.id, 15)  # b stopped renewing: its lease ran out, and `a` takes the job
    assert taken_over is not None and taken_over.lease_owner == a.owner
    assert b.renew_leases(15) == set()  # a late renewal does not take it back
    a.release_all()
    assert a.renew_leases(15) == set()
    taken = b.claim(one.id, 15)
    assert taken is not None and taken.lease_owner == b.owner


def test_a_named_owner_keeps_host_and_pid(open_ledger: Opener, clock: Clock, tmp_path: Path) -> None:
    import os
    import socket

    first = open_ledger(clock)
    if isinstance(first, JobStore):
        named = JobStore(tmp_path / "named.sqlite", clock=clock, owner_name="replica-a")
    else:
        from talking_video_mcp.jobs.pg_store import PgJobStore

        named = PgJobStore(str(first._pool.conninfo), clock=clock, owner_name="replica-a")
    try:
        assert named.owner == f"{socket.gethostname()}:{os.getpid()}:replica-a"
    finally:
        named.close()


def test_idempotency_key_is_unique(store: Any) -> None:
    job = make(store, idempotency_key="key-1", request_hash="h")
    assert store.find_by_idempotency_key("key-1") == job
    assert store.find_by_idempotency_key("key-2") is None
    with pytest.raises(LedgerError):
        make(store, idempotency_key="key-1")
    make(store)
    make(store)  # jobs without a key never collide
    assert len(store.list_jobs(limit=10)) == 3


def test_owners_see_only_their_jobs(store: Any, clock: Clock) -> None:
    """OAuth users: reads with an owner see only that owner's jobs; reads without one see every job; keys,
    duplicates and spend are counted per owner (None: the implicit user of stdio and static-token mode)."""
    alice, bob = Owner.of_token("alice", "app-1"), Owner.of_token(None, "robot")
    assert bob.id == "client:robot"
    mine = make(store, owner=alice, idempotency_key="k", request_hash="h")
    assert (mine.owner, mine.owner_client) == ("alice", "app-1") and store.get(mine.id) == mine
    clock.now += 1
    theirs = make(store, owner=bob, idempotency_key="k", request_hash="h", cost_estimate_usd=2.0)
    clock.now += 1
    local = make(store, idempotency_key="k", request_hash="h", cost_estimate_usd=4.0)  # the implicit user
    with pytest.raises(LedgerError):
        make(store, owner=alice, idempotency_key="k")  # still unique per owner
    assert store.get(mine.id, owner="alice") == mine and store.get(mine.id, owner=bob.id) is None
    assert [j.id for j in store.list_jobs(owner="alice")] == [mine.id]
    assert [j.id for j in store.list_jobs()] == [local.id, theirs.id, mine.id]
    assert store.find_by_idempotency_key("k", owner="alice") == mine
    assert store.find_by_idempotency_key("k", owner=bob.id) == theirs
    assert store.find_by_idempotency_key("k") == local
    assert store.find_by_idempotency_key("k", owner="carol") is None
    assert store.find_recent_duplicate("h", 60, owner="alice") == mine
    assert store.find_recent_duplicate("h", 60) == local
    assert store.find_recent_duplicate("h", 60, owner="carol") is None
    assert store.spent_since(0, owner="alice") == 1.0 and store.spent_since(0, owner=bob.id) == 2.0
    assert store.spent_since(0) == 7.0


def test_a_version_1_sqlite_ledger_gains_owners_and_keeps_its_jobs(tmp_path: Path) -> None:
    import json
    import sqlite3

    from talking_video_mcp.domain.requests import dump_request
    from talking_video_mcp.jobs.sql_ledger import create_table_sql

    path = tmp_path / "jobs.sqlite"
    with sqlite3.connect(path) as conn:  # the ledger as the previous release made it
        conn.execute(create_table_sql("sqlite", 1))
        conn.execute("CREATE UNIQUE INDEX jobs_idem ON jobs(idempotency_key) WHERE idempotency_key IS NOT NULL")
        request = json.dumps(dump_request(stored_request(S2V, script="hi")))
        conn.execute("INSERT INTO jobs (id, model, provider, kind, status, request, created_at, updated_at, "
                     "idempotency_key) VALUES ('job_old', ?, 'segmind', 'talking_video', 'completed', ?, 1, 1, 'k')",
                     (S2V, request))
        conn.execute("PRAGMA user_version=1")
    store = JobStore(path)
    try:
        old = store.get("job_old")
        assert old is not None and old.owner is None and old.status == "completed"
        assert store.find_by_idempotency_key("k") == old
        assert make(store, owner=Owner("alice"), idempotency_key="k").owner == "alice"
    finally:
        store.close()


def test_find_recent_duplicate(store: Any, clock: Clock) -> None:
    old = make(store, request_hash="h")
    clock.now += 100
    assert store.find_recent_duplicate("h", 60) is None
    assert store.find_recent_duplicate("h", 120) == old
    newer = make(store, request_hash="h")
    clock.now += 1
    assert store.find_recent_duplicate("h", 120) == newer
    for status in ("failed", "canceled", "expired"):
        store.update(newer.id, unless_canceled=False, status=status)
        assert store.find_recent_duplicate("h", 120) == old
    store.update(newer.id, unless_canceled=False, status="completed")
    assert store.find_recent_duplicate("h", 120) == store.get(newer.id)
    assert store.find_recent_duplicate("other", 120) is None


def test_list_jobs_pages_by_cursor(store: Any, clock: Clock) -> None:
    ids = []
    for i in range(7):
        if i % 2 == 0:
            clock.now += 1.25  # pairs share a created_at: the id breaks the tie
        model = S2V if i % 3 else "segmind/heygen-avatar-iv"
        ids.append(make(store, request=stored_request(model), job_id=f"job_{i:02d}").id)
    everything = store.list_jobs(limit=100)
    expected = sorted(everything, key=lambda j: (j.created_at, j.id), reverse=True)
    assert [j.id for j in everything] == [j.id for j in expected]
    seen: list[str] = []
    before = None
    while True:
        page = store.list_jobs(limit=3, before=before)
        seen += [j.id for j in page]
        if len(page) < 3:
            break
        before = (page[-1].created_at, page[-1].id)
    assert seen == [j.id for j in expected] and sorted(seen) == sorted(ids)
    assert {j.model for j in store.list_jobs(model="segmind/heygen-avatar-iv")} == {"segmind/heygen-avatar-iv"}
    store.update("job_03", status="failed")
    assert [j.id for j in store.list_jobs(status="failed")] == ["job_03"]
    assert [j.id for j in store.list_jobs(status="queued", model=S2V, limit=2)] == ["job_05", "job_04"]


def test_active_jobs(store: Any) -> None:
    a, b, c = make(store), make(store), make(store)
    store.update(a.id, next_check_at=T0 + 5)
    store.update(b.id, status="processing", next_check_at=T0 + 1)
    store.update(c.id, status="completed")
    assert {j.id for j in store.active_jobs()} == {a.id, b.id}
    assert store.active_jobs()[0].id == b.id


def test_spent_since(store: Any, clock: Clock) -> None:
    assert store.spent_since(0) == 0.0
    make(store, cost_estimate_usd=0.5)  # before `since`
    clock.now += 10
    since = clock.now
    make(store, cost_estimate_usd=1.0)  # queued: may be submitted
    # A free model's job estimates nothing (the ledger no longer knows providers by name: the estimate counts).
    free = make(store, provider="local", cost_estimate_usd=0.0)
    store.update(free.id, status="completed", submitted_at=clock.now)
    failed = make(store, cost_estimate_usd=4.0)
    store.update(failed.id, status="failed")  # never submitted
    paid = make(store, cost_estimate_usd=2.0)
    store.update(paid.id, status="failed", submitted_at=clock.now)  # submitted, then failed: paid
    unknown = make(store, cost_estimate_usd=0.25)
    store.update(unknown.id, status="submit_unknown")
    make(store, cost_estimate_usd=None)
    assert store.spent_since(since) == pytest.approx(3.25)
    assert store.spent_since(0) == pytest.approx(3.75)


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    settings = Settings(TALKING_VIDEO_HOME=tmp_path)
    store = open_store(settings)
    try:
        assert isinstance(store, JobStore) and settings.ledger_path.exists()
    finally:
        store.close()
    assert Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_DATABASE_URL="").database_url is None
    with pytest.raises(ValueError, match="postgresql://"):
        Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_DATABASE_URL="mysql://x")
    pg = Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_DATABASE_URL=SecretStr("postgresql://u:s3cret@h/db"))
    assert "s3cret" in pg.secrets() and "s3cret" not in repr(pg)


def test_postgres_migrations_are_recorded_once(pg_url: str, tmp_path: Path) -> None:
    import psycopg

    from talking_video_mcp.jobs.pg_store import PgJobStore, migrations

    settings = Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_DATABASE_URL=pg_url)
    first = open_store(settings)
    assert isinstance(first, PgJobStore) and not settings.ledger_path.exists()
    job = make(first)
    first.close()
    again = PgJobStore(pg_url)  # re-opening applies nothing twice and keeps the data
    assert again.get(job.id) == job
    again.close()
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(v, n) for v, n, _ in migrations()] and rows[0] == (1, "0001_init.sql")


def test_postgres_unreachable_is_a_clear_ledger_error(tmp_path: Path) -> None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        skip_or_fail("psycopg is not installed (pip install -e '.[postgres]'): the PostgreSQL ledger tests cannot run")
    from tests.servers import free_port

    url = f"postgresql://someone:pw-not-shown@127.0.0.1:{free_port()}/ledger"
    settings = Settings(TALKING_VIDEO_HOME=tmp_path, TALKING_VIDEO_DATABASE_URL=url)
    with pytest.raises(LedgerError) as caught:
        open_store(settings)
    message = str(caught.value)
    assert "127.0.0.1" in message and "/ledger" in message and "TALKING_VIDEO_DATABASE_URL" in message
    assert "pw-not-shown" not in message


class _Slept(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


async def _fake_sleep(seconds: float) -> None:
    raise _Slept(seconds)


@pytest.mark.anyio
async def test_the_request_budget_is_shared_through_postgres(pg_url: str) -> None:
    """Two processes (two ledgers on one database) that use one key share its per-minute budget and
    its 429 pause; another key has its own."""
    from talking_video_mcp.jobs.pg_budget import PgRequestBudget
    from talking_video_mcp.jobs.pg_store import PgJobStore

    a, b = PgJobStore(pg_url), PgJobStore(pg_url)
    try:
        one, two = a.request_budget("segmind:k1", 3), b.request_budget("segmind:k1", 3)
        assert isinstance(one, PgRequestBudget)
        one._sleep = two._sleep = _fake_sleep
        await one.acquire()
        await two.acquire()
        await one.acquire()
        with pytest.raises(_Slept) as waited:
            await two.acquire()
        assert 55 < waited.value.seconds <= 61
        # Each process knows, without asking the database, how soon a read could go (providers/reads.py).
        assert 55 < one.free_in() <= 61  # it took the last free slot
        assert 55 < two.free_in() <= 61  # it was just told to wait
        with pytest.raises(_Slept):
            await two.acquire(urgent=True)  # urgent requests go first in this process, not past the window
        other = b.request_budget("segmind:k2", 3)
        other._sleep = _fake_sleep  # type: ignore[attr-defined]
        await other.acquire()

        three, four = a.request_budget("unifically:k3", 100), b.request_budget("unifically:k3", 100)
        three._sleep = four._sleep = _fake_sleep  # type: ignore[attr-defined]
        await three.acquire()
        three.block_for(30)
        with pytest.raises(_Slept) as blocked:
            await three.acquire()
        assert 28 < blocked.value.seconds <= 30
        with pytest.raises(_Slept) as blocked_too:
            await four.acquire()  # the other process saw the 429 pause
        assert 28 < blocked_too.value.seconds <= 30
    finally:
        a.close()
        b.close()


def test_sqlite_budgets_are_per_process(tmp_path: Path) -> None:
    from talking_video_mcp.provider_http import RequestBudget

    store = JobStore(tmp_path / "jobs.sqlite")
    try:
        assert isinstance(store.request_budget("segmind:k", 5), RequestBudget)
    finally:
        store.close()


def test_the_table_matches_the_record_declarations(store: Any) -> None:
    """Columns are declared once (domain/records.py): the SQLite DDL is made from them and the PostgreSQL
    migrations must arrive at the same columns and types."""
    from talking_video_mcp.jobs.sql_ledger import column_types

    with store._cursor() as cur:
        if isinstance(store, JobStore):
            rows = cur.execute("PRAGMA table_info(jobs)").fetchall()
            found = {row["name"]: row["type"] for row in rows}
            dialect = "sqlite"
        else:
            rows = cur.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'jobs'"
            ).fetchall()
            found = {row["column_name"]: row["data_type"].upper() for row in rows}
            dialect = "postgresql"
    assert found == column_types(dialect)


def test_rows_written_before_requests_were_typed_are_still_read(store: Any) -> None:
    """A ledger from the previous version keeps its jobs: the old request JSON loads as the typed request."""
    job = make(store)
    legacy = {
        "payload": {"image_url": "https://x.invalid/a.png", "prompt": "hi", "quality": "high", "enhance_prompt": True},
        "tts": {"voice_id": "v1", "prompt": "Hello there", "sound_id": "", "similarity_boost": 90, "style": 60,
                "speed": 1.1, "stability": 30},
        "endpoint": "speak", "display": {"script": "Hello there", "voice_id": "v1"},
    }
    with store._cursor(write=True) as cur:
        encoded = store._encode_json(legacy)
        cur.execute("UPDATE jobs SET model = ?, request = ? WHERE id = ?",
                    ("unifically/higgsfield-speak", encoded, job.id))
    loaded = store.get(job.id).request
    assert type(loaded).__name__ == "SpeakRequest" and loaded.endpoint == "speak"
    assert loaded.speech is not None and loaded.speech.prompt == "Hello there"
    assert loaded.display.script == "Hello there" and loaded.payload.quality == "high"


def test_the_jobs_command_shows_and_filters_owners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from talking_video_mcp import cli

    monkeypatch.delenv("TALKING_VIDEO_DATABASE_URL", raising=False)
    monkeypatch.setenv("TALKING_VIDEO_HOME", str(tmp_path))
    store = JobStore(tmp_path / "jobs.sqlite")
    try:
        alices = make(store, owner=Owner.of_token("alice", "app"))
        local = make(store)
    finally:
        store.close()
    assert cli.main(["jobs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(alices.id in line and line.endswith("[alice]") for line in lines)
    assert any(local.id in line and "[" not in line for line in lines)
    assert cli.main(["jobs", "--owner", "alice"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()] == [alices.id]
