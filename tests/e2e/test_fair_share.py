"""Fair shares on a team's server (HTTP, OAuth sign-in, one render slot). With the default cap alpha's fourth
active job is refused, saying when to try again, and so is a call past the per-user rate. With a cap of 20,
alpha asks for 20 local videos and then beta for one: beta's job is rendered after at most one of alpha's, not
after all of them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp.settings import Settings
from tests.helpers import structured
from tests.oauth_support import client_credentials, oauth_env, oauth_server, signed_in
from tests.oidc import auth_server
from tests.servers import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def video(n: int) -> dict[str, Any]:
    return {"model": "local", "avatar_preset_id": "local:astronaut", "script": f"Hello, this is video {n}."}


async def finished_at(client: Any, job_id: str, deadline: float) -> float:
    """When the job completed (this test's clock), waiting for it."""
    while time.monotonic() < deadline:
        view = structured(await client.call_tool("check_video_status", {"job_id": job_id, "wait_seconds": 2}))
        if view["status"] == "completed":
            return time.monotonic()
        assert view["status"] in ("queued", "processing"), view
    raise AssertionError(f"job {job_id} did not finish in time")


async def completed(client: Any, batch: list[str]) -> set[str]:
    listed = structured(await client.call_tool("list_jobs", {"limit": 50}))["jobs"]
    return {j["job_id"] for j in listed if j["job_id"] in batch and j["status"] == "completed"}


@asynccontextmanager
async def two_users(settings: Settings, tmp_path: Path, **env: Any) -> AsyncIterator[tuple[Any, Any]]:
    """alpha's and beta's sessions with one server (one render slot, `env` added), signed in through OAuth."""
    port = free_port()
    with auth_server(f"http://127.0.0.1:{port}/mcp", tmp_path / "oidc") as auth, \
            oauth_server(oauth_env(settings, port, auth.issuer, TALKING_VIDEO_RENDER_SLOTS=1, **env),
                         tmp_path / "server.log", port) as server:
        async with signed_in(server.url, client_credentials(server.url, "alpha", auth.issuer)) as alpha, \
                signed_in(server.url, client_credentials(server.url, "beta", auth.issuer)) as beta:
            yield alpha, beta


async def test_a_fourth_active_job_is_refused_saying_when_to_try_again(settings: Settings, tmp_path: Path) -> None:
    async with two_users(settings, tmp_path, TALKING_VIDEO_USER_CALLS_PER_MINUTE=12) as (alpha, beta):
        accepted = [structured(await alpha.call_tool("generate_talking_video", video(n)))["job_id"]
                    for n in range(3)]
        fourth = await alpha.call_tool("generate_talking_video", video(3))
        assert fourth.is_error
        said = fourth.content[0].text
        assert said.startswith("You already have 3 jobs in progress, the most one user may have at once"), said
        assert "try again" in said and said.endswith("Nothing was submitted."), said
        # A dry run is still answered, and another user is not held back by alpha's jobs.
        assert not (await alpha.call_tool("generate_talking_video", {**video(3), "dry_run": True})).is_error
        structured(await beta.call_tool("generate_talking_video", video(100)))
        # Once one of alpha's jobs is over, alpha may submit again.
        structured(await alpha.call_tool("cancel_job", {"job_id": accepted[0]}))
        structured(await alpha.call_tool("generate_talking_video", video(4)))
        # Twelve calls a minute each: alpha's next ones are refused, saying when to retry; beta's are not.
        said = ""
        for _ in range(12):
            result = await alpha.call_tool("list_jobs", {})
            if result.is_error:
                said = result.content[0].text
                break
        assert said.startswith("Too many calls: each user may make 12 a minute on this server; try again in "), said
        assert not (await beta.call_tool("list_jobs", {})).is_error


async def test_a_batch_does_not_starve_another_users_job(settings: Settings, tmp_path: Path) -> None:
    async with two_users(settings, tmp_path, TALKING_VIDEO_USER_MAX_ACTIVE_JOBS=20) as (alpha, beta):
        batch = [structured(await alpha.call_tool("generate_talking_video", video(n)))["job_id"]
                 for n in range(20)]
        # On a busy machine alpha's first videos may be done before beta asks: only what finishes after counts.
        before = await completed(alpha, batch)
        theirs = structured(await beta.call_tool("generate_talking_video", video(100)))["job_id"]
        await finished_at(beta, theirs, time.monotonic() + 180)
        done = await completed(alpha, batch) - before
        # One slot: at most the one of alpha's jobs already under way when beta asked finished before beta's.
        assert len(done) <= 1, done
        for job_id in batch:
            await alpha.call_tool("cancel_job", {"job_id": job_id})
