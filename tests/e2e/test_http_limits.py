"""Bounded requests on the HTTP transport: a body over TALKING_VIDEO_HTTP_MAX_BODY gets 413 and one sentence,
whether its length is announced or it comes chunked, and nothing of it is written (no job, no scratch file)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from talking_video_mcp.settings import Settings
from tests.conftest import env_for
from tests.helpers import png_bytes
from tests.servers import ServerProcess

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TOKEN = "limits-test-token-0123456789abcdef"
LIMIT = 2**20
HEADERS = {"content-type": "application/json", "accept": "application/json, text/event-stream",
           "authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {**env_for(settings), "TALKING_VIDEO_HTTP_TOKEN": TOKEN, "TALKING_VIDEO_HTTP_MAX_BODY": str(LIMIT),
           "TALKING_VIDEO_HTTP_STATELESS": "1"}
    process = ServerProcess(env, tmp_path / "server.log")
    try:
        yield process
    finally:
        process.stop()


def call(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


def rpc_result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC result of a plain JSON or a one-event SSE answer."""
    assert response.status_code == 200, response.text[:500]
    text = response.text
    if "data:" in text:
        text = next(line[5:] for line in text.splitlines() if line.startswith("data:"))
    result: dict[str, Any] = json.loads(text)["result"]
    return result


def big_job() -> dict[str, Any]:
    """A real (not dry-run) local job whose image, a data: URL, makes the body twice the limit."""
    padded = png_bytes() + b"\0" * (2 * LIMIT)
    image = "data:image/png;base64," + base64.b64encode(padded).decode()
    return call("generate_talking_video", {"model": "local", "image": image, "script": "Hello there."})


async def test_a_body_over_the_limit_gets_413_and_nothing_is_written(server: ServerProcess,
                                                                     settings: Settings) -> None:
    body = json.dumps(big_job()).encode()
    announced = httpx.post(server.url, content=body, headers=HEADERS, timeout=30)

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]

    chunked = httpx.post(server.url, content=chunks(), headers=HEADERS, timeout=30)
    for response in (announced, chunked):
        assert response.status_code == 413, response.text
        message = response.json()["error"]["message"]
        assert message == ("The request body is larger than this server's limit of 1 MB; send a smaller request "
                           "(pass large files as https URLs)."), message
        assert message.count(". ") == 0 and message.endswith(".")
    # Nothing was written: no job in the ledger, nothing in the scratch folder.
    listed = rpc_result(httpx.post(server.url, json=call("list_jobs", {}), headers=HEADERS, timeout=30))
    assert listed["structuredContent"]["jobs"] == [], listed
    scratch = settings.home / "scratch"
    assert not scratch.exists() or not any(scratch.iterdir())
    # A body under the limit is served as usual.
    small = httpx.post(server.url, json=call("list_voices", {"provider": "local"}), headers=HEADERS, timeout=30)
    assert small.status_code == 200
