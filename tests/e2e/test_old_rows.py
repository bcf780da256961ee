"""Jobs written by the previous version (0.1.0, flat arguments, providers as single modules) still read and
finish: real ledger rows made by that version (tests/fixtures/ledger_rows_0.1.0.json: Speak v2, Avatar IV and
a local render, written before their first step ran) are put in a ledger and run to the end by this one."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from talking_video_mcp.jobs.home import open_ledger, prepare_home
from talking_video_mcp.server import build_server
from tests.helpers import png_bytes, structured, upload, wait_for_job, wav_bytes

pytestmark = pytest.mark.anyio
ROWS = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_rows_0.1.0.json"
PRESETS = Path(__file__).resolve().parents[2] / "src" / "talking_video_mcp" / "assets" / "presets"


def _rows(emulator: Any, home: Path) -> list[dict[str, Any]]:
    """The stored rows, pointed at this run's emulator (fresh uploads of the same kind), home and presets."""
    image, audio = upload(emulator.base_url, png_bytes(), "image/png"), upload(emulator.base_url, wav_bytes(4.0),
                                                                              "audio/wav")
    rows = json.loads(ROWS.read_text())
    for row in rows:
        text = re.sub(r"\{EMULATOR\}/files/uploads/[\w-]+\.png", image, row["request"])
        text = re.sub(r"\{EMULATOR\}/files/uploads/[\w-]+\.wav", audio, text)
        row["request"] = text.replace("{HOME}", str(home)).replace("{PRESETS}", str(PRESETS))
    return rows


async def test_rows_of_the_previous_version_read_and_finish(settings: Any, emulator: Any) -> None:
    prepare_home(settings)
    open_ledger(settings).close()  # today's schema
    rows = _rows(emulator, settings.home)
    with sqlite3.connect(settings.ledger_path) as db:
        for row in rows:
            db.execute(f"INSERT INTO jobs ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                       list(row.values()))
    async with Client(build_server(settings)) as client:
        listed = structured(await client.call_tool("list_jobs", {}))
        assert {j["job_id"] for j in listed["jobs"]} == {r["id"] for r in rows}
        for row in rows:
            job = await wait_for_job(client, row["id"], limit_s=180, wait_s=5)
            assert job["status"] == "completed", job
            assert Path(job["video_path"]).stat().st_size > 0
    sent = {j["model"]: j["input"] for j in emulator.stats()["jobs"].values()}
    # What the old rows asked for is what reached the provider.
    s2v = next(v for k, v in sent.items() if "speech2video" in k)
    assert (s2v["quality"], s2v["enhance_prompt"], s2v["seed"], s2v["duration"]) == ("mid", True, 7, 5)
    avatar = next(v for k, v in sent.items() if "avatar" in k)
    assert (avatar["video_orientation"], avatar["fit"], avatar["video_title"]) == ("portrait", "contain", "Old row")
