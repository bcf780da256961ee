"""A Segmind job through the MCP server with the ledger on PostgreSQL (TALKING_VIDEO_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp.media.video import probe_video
from talking_video_mcp.settings import Settings
from tests.conftest import make_settings
from tests.e2e.test_segmind import s2v_args, wait_final
from tests.helpers import png_bytes, segmind_submits, structured, upload, wav_bytes

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(home: Path, tmp_path: Path, emulator: Any, pg_url: str) -> Settings:
    return make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url)


async def test_segmind_job_on_a_postgres_ledger(client: Any, emulator: Any, settings: Settings, pg_url: str):
    from talking_video_mcp.jobs.pg_store import PgJobStore

    media = {"image": upload(emulator.base_url, png_bytes(), "image/png"),
             "audio": upload(emulator.base_url, wav_bytes(4.0), "audio/wav")}
    args = s2v_args(media, idempotency_key="pg-e2e-1")
    job = structured(await client.call_tool("generate_talking_video", args))
    assert job["status"] in ("queued", "processing")
    done = await wait_final(client, job["job_id"])
    assert done["status"] == "completed", done
    info = probe_video(Path(done["video_path"]), decode_all=True)
    assert info.frames > 0

    again = structured(await client.call_tool("generate_talking_video", args))
    assert again["job_id"] == job["job_id"] and again["reused_existing_job"] is True
    assert segmind_submits(emulator.stats()) == 1
    listed = structured(await client.call_tool("list_jobs", {}))
    assert [j["job_id"] for j in listed["jobs"]] == [job["job_id"]]

    assert not settings.ledger_path.exists()  # no SQLite ledger was made
    store = PgJobStore(pg_url)
    try:
        row = store.get(job["job_id"])
        assert row is not None and row.status == "completed" and row.idempotency_key == "pg-e2e-1"
        assert row.submitted_at is not None and row.video_path == done["video_path"]
        assert store.spent_since(0) == pytest.approx(done["cost_estimate_usd"])
    finally:
        store.close()
