"""completion/complete over MCP: the make_talking_video prompt's voice, preset and model, and the job_id of
`video://jobs/{job_id}`, which offers only the caller's own jobs (two signed-in users over streamable HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp.types import PromptReference, ResourceTemplateReference

from talking_video_mcp.settings import Settings
from tests.helpers import structured, wait_for_job
from tests.signed_in import ALICE, BOB, session, signed_in_server

pytestmark = pytest.mark.anyio
PROMPT = PromptReference(type="ref/prompt", name="make_talking_video")
JOBS = ResourceTemplateReference(type="ref/resource", uri="video://jobs/{job_id}")


async def _values(client: Any, ref: Any, name: str, value: str = "", **context: str) -> list[str]:
    result = await client.complete(ref, {"name": name, "value": value}, context or None)
    return list(result.completion.values)


async def test_the_prompt_arguments_complete(client: Any) -> None:
    assert client.server_capabilities.completions is not None
    models = await _values(client, PROMPT, "model")
    assert "local" in models and "segmind/heygen-avatar-iv" in models
    assert all(m.startswith("segmind") for m in await _values(client, PROMPT, "model", "seg"))
    nova = "71b0aa6499f6458e8b040818a017db1f"  # HeyGen's Nova, found by its name
    assert (await _values(client, PROMPT, "voice", "nov", model="segmind/heygen-avatar-iv"))[0] == nova
    local_voices = await _values(client, PROMPT, "voice", model="local")
    assert local_voices and nova not in local_voices  # a cloud model's voices are not the local model's
    presets = await _values(client, PROMPT, "preset", "grace")
    assert "local:grace_hopper" in presets and len(presets) < len(await _values(client, PROMPT, "preset"))
    assert await _values(client, PROMPT, "tone") == []  # free text: nothing to offer


async def test_job_ids_complete_with_the_callers_own_jobs_only(settings: Settings) -> None:
    with signed_in_server(settings) as base:
        async with session(base, ALICE) as alice, session(base, BOB) as bob:
            job = structured(await alice.call_tool("generate_talking_video", {
                "model": "local", "avatar_preset_id": "local:grace_hopper", "script": "Hi.", "force_new": True}))
            assert "job_id" in job, job
            mine = await _values(alice, JOBS, "job_id")
            assert mine == [job["job_id"]]
            assert await _values(alice, JOBS, "job_id", job["job_id"][:8]) == [job["job_id"]]
            assert await _values(bob, JOBS, "job_id") == []
            assert await _values(bob, JOBS, "job_id", job["job_id"][:8]) == []
            await alice.call_tool("cancel_job", {"job_id": job["job_id"]})
            await wait_for_job(alice, job, limit_s=30)
