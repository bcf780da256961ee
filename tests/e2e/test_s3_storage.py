"""S3 storage with a real SeaweedFS and no shared directory: a replica (no render slot) and a worker, each with
its own TALKING_VIDEO_HOME, on one PostgreSQL ledger. The worker renders and uploads; the replica hands out a
presigned URL of the stored object, and its gallery and signed links redirect there. With the store frozen and
then killed while a job finishes, the job waits at the `store` step (never `completed` without the object) and
completes, with the same bytes, once the store is back."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client

from talking_video_mcp.downloads import Signer
from tests.conftest import env_for, make_settings
from tests.helpers import structured, wait_for_job
from tests.s3 import BUCKET, SeaweedFS
from tests.servers import ServerProcess, WorkerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SECRET = "s3-team-download-secret-7c1d93e0ab"


@dataclass
class Deployment:
    replica: ServerProcess
    worker: WorkerProcess
    homes: dict[str, Path]
    store: SeaweedFS
    prefix: str
    pg_url: str

    def job(self, job_id: str) -> Any:
        from talking_video_mcp.jobs.pg_store import PgJobStore

        ledger = PgJobStore(self.pg_url)
        try:
            return ledger.get(job_id)
        finally:
            ledger.close()

    def stored(self, job_id: str) -> Any:
        return self.store.client().head_object(Bucket=BUCKET, Key=f"{self.prefix}/{job_id}.mp4")


@pytest.fixture
def deployment(tmp_path: Path, emulator: Any, pg_url: str, seaweedfs: SeaweedFS) -> Iterator[Deployment]:
    homes = {name: tmp_path / name for name in ("replica", "worker")}
    prefix = "team-videos"
    envs = {}
    for name, home in homes.items():
        home.mkdir()
        settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url,
                                 TALKING_VIDEO_TIME_SCALE=1.0, TALKING_VIDEO_HTTP_TIMEOUT=2.0)
        envs[name] = {**env_for(settings), **seaweedfs.env(prefix), "TALKING_VIDEO_URL_SECRET": SECRET,
                      "TALKING_VIDEO_REPLICA_ID": name}
    replica = ServerProcess({**envs["replica"], "TALKING_VIDEO_RENDER_SLOTS": "0"}, tmp_path / "replica.log",
                            wait=False, args=("--stateless",))
    worker = WorkerProcess({**envs["worker"], "TALKING_VIDEO_RENDER_SLOTS": "1"}, tmp_path / "worker.log")
    try:
        replica.wait_ready()
        yield Deployment(replica, worker, homes, seaweedfs, prefix, pg_url)
    finally:
        replica.stop()
        worker.stop()


def _local(script: str) -> dict[str, Any]:
    return {"model": "local", "avatar_preset_id": "local:grace_hopper", "script": script, "force_new": True}


async def _status(url: str, job_id: str) -> dict[str, Any]:
    async with Client(url) as client:
        return structured(await client.call_tool("check_video_status", {"job_id": job_id}))


async def test_a_render_on_the_worker_downloads_through_the_other_replica(deployment: Deployment) -> None:
    d = deployment
    async with Client(d.replica.url) as client:
        job = structured(await client.call_tool("generate_talking_video", _local("Stored in S3, fetched anywhere.")))
        view = await wait_for_job(client, job, limit_s=180, wait_s=10)
        assert view["status"] == "completed", view
        # The MCP App player on the replica reads the video from the store.
        details = structured(await client.call_tool("get_video_details", {"job_id": view["job_id"]}))
        size = Path(view["video_path"]).stat().st_size
        assert details["video_bytes"] == size and details["notice"] is None
        chunks = [structured(await client.call_tool("get_video_chunk", {"job_id": view["job_id"], "offset": offset,
                                                                        "length": 65536}))
                  for offset in range(0, size, 65536)]
        assert chunks[-1]["eof"] and {c["total_bytes"] for c in chunks} == {size}
    made = Path(view["video_path"])
    assert made.is_relative_to(d.homes["worker"]) and made.is_file()  # rendered by the worker, on its disk
    assert not (d.homes["replica"] / "videos" / made.name).exists()
    row = d.job(view["job_id"])
    assert row.lease_owner.endswith(":worker") and row.state["storage_key"] == f"{d.prefix}/{made.name}"
    assert d.stored(view["job_id"])["ContentLength"] == made.stat().st_size

    url = view["download_url"]  # presigned by the replica, which never had the file
    assert url.startswith(f"{d.store.endpoint}/{BUCKET}/{d.prefix}/{made.name}?") and "X-Amz-Signature=" in url
    local = made.read_bytes()
    assert b"".join(base64.b64decode(c["data_base64"]) for c in chunks) == local
    got = httpx.get(url, timeout=30)
    assert got.status_code == 200 and got.content == local and got.headers["content-type"] == "video/mp4"
    part = httpx.get(url, headers={"range": "bytes=10-109"}, timeout=30)
    assert part.status_code == 206 and part.content == local[10:110]
    assert httpx.get(url.replace(made.name, made.name.replace("job_", "job-")), timeout=30).status_code == 403

    base = f"http://127.0.0.1:{d.replica.port}"
    for path in (f"/videos/{made.name}",
                 Signer(SECRET.encode()).url("", view["job_id"], None, int(time.time()) + 60)):
        redirect = httpx.get(base + path, timeout=30)
        assert redirect.status_code == 307 and redirect.headers["location"].startswith(d.store.endpoint), path
        assert httpx.get(base + path, follow_redirects=True, timeout=30).content == local


async def test_a_store_outage_leaves_the_job_retrying_and_loses_nothing(deployment: Deployment) -> None:
    d = deployment
    async with Client(d.replica.url) as client:
        job = structured(await client.call_tool("generate_talking_video", _local("The store goes away meanwhile.")))
    job_id = job["job_id"]
    seen: list[tuple[float, str, str | None]] = []

    def watch(until: Any, limit_s: float) -> Any:
        deadline = time.monotonic() + limit_s
        while time.monotonic() < deadline:
            row = d.job(job_id)
            seen.append((time.monotonic(), row.status, row.step))
            if until(row):
                return row
            time.sleep(0.1)
        raise AssertionError(f"job {job_id} did not get there in {limit_s} s: {seen[-5:]}")

    watch(lambda r: r.step in ("tts", "render"), 60)
    d.store.freeze()  # the upload that follows the render hangs, then times out
    frozen_at = time.monotonic()
    row = watch(lambda r: r.step == "store" and r.error, 120)
    assert row.status == "processing" and "video store" in row.error and "nothing is lost" in row.error
    d.store.kill()
    retrying = await _status(d.replica.url, job_id)
    assert retrying["status"] == "processing" and retrying["step"] == "store" and retrying["download_url"] is None
    time.sleep(3)
    assert d.job(job_id).status == "processing"
    back_at = time.monotonic()
    d.store.start()  # the same data directory and ports
    done = watch(lambda r: r.status != "processing", 90)
    assert done.status == "completed" and done.error is None, done
    completed = [t for t, status, _ in seen if status == "completed"]
    assert min(completed) > back_at > frozen_at  # never completed while the store was away
    assert {status for _, status, _ in seen} <= {"queued", "processing", "completed"}

    made = Path(done.video_path)
    assert d.stored(job_id)["ContentLength"] == made.stat().st_size
    view = await _status(d.replica.url, job_id)
    assert httpx.get(view["download_url"], timeout=30).content == made.read_bytes()
    assert "upload 1 failed, retrying" in d.worker.log.read_text()


def test_doctor_checks_the_video_store(seaweedfs: SeaweedFS, tmp_path: Path) -> None:
    from talking_video_mcp import doctor
    from talking_video_mcp.settings import Settings

    def check(**env: str) -> Any:
        return doctor.check_video_store(Settings(**{"TALKING_VIDEO_HOME": str(tmp_path), **env}))  # type: ignore[arg-type]

    assert check().status == "ok" and "videos" in check().detail
    good = check(**seaweedfs.env())
    assert good.status == "ok" and "answers" in good.detail, good
    missing = check(**{**seaweedfs.env(), "TALKING_VIDEO_STORAGE_URL": "s3://no-such-bucket/x"})
    assert missing.status == "fail" and "no-such-bucket" in missing.detail and "bucket" in missing.fix
    wrong_key = check(**{**seaweedfs.env(), "AWS_SECRET_ACCESS_KEY": "not-the-secret-key"})
    assert wrong_key.status == "fail" and "not-the-secret-key" not in wrong_key.line()
    seaweedfs.kill()
    down = check(**seaweedfs.env())
    assert down.status == "fail" and seaweedfs.endpoint in down.detail, down


async def test_a_video_lost_before_its_upload_is_made_again(seaweedfs: SeaweedFS, tmp_path: Path,
                                                             emulator: Any) -> None:
    """The process that made a video stopped before storing it, and its disk is not this one: the job goes back
    to the step that made it (here the render), and is then stored and completed."""
    from talking_video_mcp.jobs.ledger import open_store
    from talking_video_mcp.server import build_server

    home = tmp_path / "home"
    home.mkdir()
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_TIME_SCALE=1.0, **seaweedfs.env("lost"))
    async with Client(build_server(settings)) as client:
        job = structured(await client.call_tool("generate_talking_video", _local("Made twice, stored once.")))
        first = await wait_for_job(client, job, limit_s=120, wait_s=10)
    assert first["status"] == "completed"
    key = f"lost/{first['job_id']}.mp4"
    seaweedfs.client().delete_object(Bucket=BUCKET, Key=key)
    Path(first["video_path"]).unlink()
    ledger = open_store(settings)
    try:  # as the ledger looks when the maker died between the render and the upload
        row = ledger.get(first["job_id"])
        state = {k: v for k, v in row.state.items() if k != "storage_key"}
        ledger.update(row.id, status="processing", step="store", error=None, finished_at=None,
                      video_path="/elsewhere/videos/" + Path(first["video_path"]).name, state=state)
    finally:
        ledger.close()
    async with Client(build_server(settings)) as client:
        again = await wait_for_job(client, first["job_id"], limit_s=120, wait_s=10)
    assert again["status"] == "completed" and Path(again["video_path"]) == Path(first["video_path"])
    stored = seaweedfs.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
    assert stored == Path(again["video_path"]).read_bytes() and stored[4:8] == b"ftyp"
