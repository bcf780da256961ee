"""One user's jobs are kept from another's: two users (two OAuth clients of node-oidc-provider, signed in through
the SDK's client-credentials provider) on one server, and on two stateless replicas over PostgreSQL. Neither
sees, reads, cancels or fetches the other's jobs through any tool, resource, gallery page or video URL
(another user's job answers exactly like an unknown id), idempotency keys and repeated requests are per user,
and each user's daily budget (TALKING_VIDEO_USER_DAILY_BUDGET_USD) holds on its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.settings import Settings
from tests.conftest import make_settings
from tests.e2e.test_segmind import s2v_args
from tests.helpers import error_text, png_bytes, structured, upload, wait_for_job, wav_bytes
from tests.oauth_support import as_user, client_credentials, oauth_env, oauth_server, signed_in
from tests.oidc import AuthServer, auth_server
from tests.servers import ServerProcess, free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

JOB_PRICE = 0.86  # segmind speech2video, quality=mid, 5 s (s2v_args)
USER_BUDGET = 1.5  # one such job per user and day, not two


@dataclass
class Site:
    """One or more replicas of one deployment, and its authorization server."""

    servers: list[ServerProcess]
    auth: AuthServer

    def base(self, i: int = 0) -> str:
        return f"http://127.0.0.1:{self.servers[i].port}"


def _start(settings: Settings, tmp_path: Path, replicas: int, stack: ExitStack, *args: str,
           **env: Any) -> Site:
    # Every replica is one deployment with one public URL; tests reach each on its own port, which the
    # tokens' audience does not name, so all replicas share the first one's public URL.
    ports = [free_port() for _ in range(replicas)]
    auth = stack.enter_context(auth_server(f"http://127.0.0.1:{ports[0]}/mcp", tmp_path / "oidc"))
    base_env = oauth_env(settings, ports[0], auth.issuer, TALKING_VIDEO_USER_DAILY_BUDGET_USD=USER_BUDGET, **env)
    servers = []
    for i, port in enumerate(ports):
        servers.append(stack.enter_context(oauth_server(
            {**base_env, "TALKING_VIDEO_REPLICA_ID": f"replica-{i}"},
            tmp_path / f"server-{i}.log", port, *args)))
    return Site(servers, auth)


@pytest.fixture
def one_server(settings: Settings, tmp_path: Path) -> Iterator[Site]:
    with ExitStack() as stack:
        yield _start(settings, tmp_path, 1, stack)


@pytest.fixture
def two_replicas(home: Path, tmp_path: Path, emulator: Any, pg_url: str) -> Iterator[Site]:
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_DATABASE_URL=pg_url)
    with ExitStack() as stack:
        yield _start(settings, tmp_path, 2, stack, "--stateless")


class Users:
    """alpha and beta, each with an MCP session on a replica of `site` (alpha on the first, beta on the last)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.alpha: Any = None
        self.beta: Any = None

    async def __aenter__(self) -> Users:
        self._stack = AsyncExitStack()
        urls = [s.url for s in self.site.servers]
        self.alpha = await self._stack.enter_async_context(
            _session(urls[0], urls[0], "alpha", self.site.auth))
        self.beta = await self._stack.enter_async_context(
            _session(urls[-1], urls[0], "beta", self.site.auth))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()


def _session(url: str, public: str, client_id: str, auth: AuthServer) -> Any:
    """A session with the replica at `url`, for the deployment whose public /mcp URL is `public` (the resource
    the provider asks tokens for; a load balancer would hide the difference)."""
    return signed_in(url, client_credentials(public, client_id, auth.issuer))


def _media(emulator: Any) -> dict[str, str]:
    return {"image": upload(emulator.base_url, png_bytes(), "image/png"),
            "audio": upload(emulator.base_url, wav_bytes(4.0), "audio/wav")}


def _unknown(text: str, job_id: str) -> str:
    """An error message with the job id taken out, to compare another user's job with an unknown one."""
    return re.sub(re.escape(job_id), "<id>", text)


async def _kept_apart(users: Users, site: Site, job: dict[str, Any], *, beta_base: str) -> None:
    """beta cannot see, read, cancel or fetch alpha's finished `job`, and learns nothing it would not learn
    about an unknown id; alpha can."""
    job_id, ghost = job["job_id"], "job_0123456789abcdef"
    listed = structured(await users.beta.call_tool("list_jobs", {}))
    assert job_id not in {j["job_id"] for j in listed["jobs"]}
    for tool, args in (("check_video_status", {}), ("cancel_job", {}), ("get_video_details", {}),
                       ("get_video_chunk", {"offset": 0, "length": 1024})):
        theirs = await users.beta.call_tool(tool, {"job_id": job_id, **args})
        unknown = await users.beta.call_tool(tool, {"job_id": ghost, **args})
        assert theirs.is_error and unknown.is_error, tool
        assert _unknown(error_text(theirs), job_id) == _unknown(error_text(unknown), ghost), tool
    refusals = []
    for some_id in (job_id, ghost):
        with pytest.raises(Exception, match="not in the ledger") as refused:
            await users.beta.read_resource(f"video://jobs/{some_id}")
        refusals.append(_unknown(str(refused.value), some_id))
    assert refusals[0] == refusals[1]
    mine = await users.alpha.read_resource(f"video://jobs/{job_id}")
    assert job_id in mine.contents[0].text

    beta, alpha = as_user(site.auth, "beta"), as_user(site.auth, "alpha")
    gallery = httpx.get(f"{beta_base}/api/jobs", headers=beta, timeout=10).json()
    assert job_id not in {j["job_id"] for j in gallery["jobs"]}
    theirs = httpx.get(f"{beta_base}/videos/{job_id}.mp4", headers=beta, timeout=10)
    unknown = httpx.get(f"{beta_base}/videos/{ghost}.mp4", headers=beta, timeout=10)
    assert theirs.status_code == unknown.status_code == 404
    assert _unknown(theirs.text, job_id) == _unknown(unknown.text, ghost)
    own = httpx.get(f"{beta_base}/videos/{job_id}.mp4", headers=alpha, timeout=10)
    assert own.status_code == 200 and own.headers["content-type"] == "video/mp4" and own.content
    assert job_id in {j["job_id"] for j in httpx.get(f"{beta_base}/api/jobs", headers=alpha, timeout=10).json()["jobs"]}
    # Not signed in, or without the scope: the gallery's data and files are refused outright, as /mcp is.
    narrow = {"authorization": f"Bearer {site.auth.token('narrow', scope='mcp:other')}"}
    for path in ("/api/jobs", f"/videos/{job_id}.mp4"):
        anonymous = httpx.get(f"{beta_base}{path}", timeout=10)
        assert anonymous.status_code == 401 and "resource_metadata=" in anonymous.headers["www-authenticate"]
        assert httpx.get(f"{beta_base}{path}", headers=narrow, timeout=10).status_code == 403
    still = structured(await users.alpha.call_tool("check_video_status", {"job_id": job_id}))
    assert still["status"] == "completed"


async def _budgets_and_keys(users: Users, media: dict[str, str]) -> dict[str, Any]:
    """alpha's first job; the same request and idempotency key from beta make beta's own job; each user's
    second paid job today is over their budget, while the other user's first still goes through."""
    args = s2v_args(media, idempotency_key="shared-key-1")
    first = structured(await users.alpha.call_tool("generate_talking_video", args))
    again = structured(await users.alpha.call_tool("generate_talking_video", args))
    assert again["job_id"] == first["job_id"] and again["reused_existing_job"]
    theirs = structured(await users.beta.call_tool("generate_talking_video", args))
    assert theirs["job_id"] != first["job_id"] and not theirs["reused_existing_job"]
    assert theirs["cost_estimate_usd"] == pytest.approx(JOB_PRICE)
    for user in (users.alpha, users.beta):
        over = await user.call_tool("generate_talking_video", s2v_args(media, force_new=True))
        assert over.is_error and "TALKING_VIDEO_USER_DAILY_BUDGET_USD" in error_text(over), error_text(over)
    account = structured(await users.alpha.call_tool("get_account", {}))
    assert account["user_daily_budget_usd"] == USER_BUDGET
    assert account["user_spent_today_usd"] == pytest.approx(JOB_PRICE)
    assert account["spent_today_usd"] == pytest.approx(2 * JOB_PRICE)  # the team's: alpha's and beta's
    assert account["budget_left_today_usd"] == pytest.approx(USER_BUDGET - JOB_PRICE)
    done = await wait_for_job(users.alpha, first)
    assert done["status"] == "completed", done
    return done


async def _no_server_files(users: Users, job: dict[str, Any]) -> None:
    """A signed-in user cannot have the server read its own files, nor learn whether one exists: a path that
    exists (the finished video) and one that does not get the same refusal, before anything is spent."""
    answers = []
    for field, path in (("image", job["video_path"]), ("image", "/no/such/photo.png"),
                        ("audio", job["video_path"]), ("audio", "~/.ssh/id_rsa")):
        args = {**s2v_args({"image": "https://example.com/face.png", "audio": "https://example.com/a.wav"}),
                field: path, "dry_run": True}
        result = await users.alpha.call_tool("generate_talking_video", args)
        assert result.is_error, result
        text = error_text(result)
        offered = "https URL, a data: URL or an upload:// id from create_upload"
        assert text.startswith(f"{field}: ") and offered in text, text
        answers.append(text)
    assert answers[0] == answers[1] and answers[2] == answers[3]


async def test_two_users_on_one_server(one_server: Site, emulator: Any) -> None:
    async with Users(one_server) as users:
        job = await _budgets_and_keys(users, _media(emulator))
        await _kept_apart(users, one_server, job, beta_base=one_server.base())
        await _no_server_files(users, job)


async def test_two_users_on_two_stateless_replicas(two_replicas: Site, emulator: Any) -> None:
    async with Users(two_replicas) as users:
        job = await _budgets_and_keys(users, _media(emulator))
        await _kept_apart(users, two_replicas, job, beta_base=two_replicas.base(1))
        # alpha reaches the same job through the other replica.
        async with _session(two_replicas.servers[1].url, two_replicas.servers[0].url, "alpha",
                            two_replicas.auth) as alpha_elsewhere:
            seen = structured(await alpha_elsewhere.call_tool("check_video_status", {"job_id": job["job_id"]}))
            assert seen["status"] == "completed"
