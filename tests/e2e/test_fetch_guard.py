"""The outbound guard through the tools: a signed-in user of the HTTP transport cannot make the server fetch its
loopback or private network (each address and spelling gets the same sentence, and a loopback listener gets no
request, also through a redirect from an allowed host); on stdio a local user's own file server is fetched
unless TALKING_VIDEO_FETCH_PRIVATE=0 says otherwise.

Only loopback is ever connected to. Private, link-local and metadata addresses are tried through an in-process
server whose network backend and resolver are stubs that record what they are asked for and never connect."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from talking_video_mcp.media import url_guard
from talking_video_mcp.media.url_guard import REFUSAL
from talking_video_mcp.settings import Settings
from tests.conftest import env_for, make_settings
from tests.listeners import Listener, listening
from tests.oauth_support import client_credentials, oauth_env, oauth_server, signed_in
from tests.oidc import auth_server
from tests.servers import free_port
from tests.unit.test_url_guard import REFUSED_HOSTS, Recorder, StubDNS, ok_png

pytestmark = [pytest.mark.anyio]

SENTENCE = f"image: {REFUSAL}"
LOOPBACK_SPELLINGS = ["127.0.0.1", "localhost", "2130706433", "0177.0.0.1", "0x7f000001", "0x7f.0.0.1", "127.1",
                      "::ffff:127.0.0.1"]


def dry_run(image: str) -> dict[str, Any]:
    return {"model": "local", "image": image, "script": "Hello there.", "dry_run": True}


def refusal(result: Any) -> str:
    assert result.is_error, result
    return " ".join(getattr(c, "text", "") for c in result.content)


@pytest.fixture
def listeners() -> Iterator[dict[str, Listener]]:
    with listening("127.0.0.1") as v4, listening("::1") as v6, listening("127.0.0.3") as hidden, \
            listening("127.0.0.2") as allowed:
        yield {"v4": v4, "v6": v6, "hidden": hidden, "allowed": allowed}


@pytest.mark.slow
async def test_over_http_with_oauth_no_loopback_target_is_fetched(settings: Settings, tmp_path: Path,
                                                                  listeners: dict[str, Listener]) -> None:
    v4, v6, hidden, allowed = (listeners[k] for k in ("v4", "v6", "hidden", "allowed"))
    urls = [v4.url(host=host) for host in LOOPBACK_SPELLINGS]
    urls += [v6.url(), v4.url(host="0.0.0.0"), allowed.url("/to-v4"), allowed.url("/to-hidden"),
             allowed.url("/to-localhost"), allowed.url("/to-octal")]
    targets = {"/to-v4": v4.url(), "/to-hidden": hidden.url(), "/to-localhost": v4.url(host="localhost"),
               "/to-octal": v4.url(host="0177.0.0.1")}
    port = free_port()
    with auth_server(f"http://127.0.0.1:{port}/mcp", tmp_path / "oidc") as auth, \
            oauth_server(oauth_env(settings, port, auth.issuer, TALKING_VIDEO_FETCH_ALLOW="127.0.0.2"),
                         tmp_path / "server.log", port) as server:
        async with signed_in(server.url, client_credentials(server.url, "alpha", auth.issuer)) as client:
            for url in urls:
                redirect = next((t for path, t in targets.items() if url.endswith(path)), None)
                allowed.redirect_to = redirect
                said = refusal(await client.call_tool("generate_talking_video", dry_run(url)))
                assert said == SENTENCE, (url, said)
            # The allowed host itself is fetched: the guard is not simply refusing everything.
            allowed.redirect_to = None
            result = await client.call_tool("generate_talking_video", dry_run(allowed.url()))
            assert not result.is_error, refusal(result)
    assert v4.requests == [] and v6.requests == [] and hidden.requests == []
    assert len(allowed.requests) >= len(targets) + 1


async def test_the_address_list_is_refused_through_the_tools_without_a_connection(
        home: Path, tmp_path: Path, emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp import Client

    from talking_video_mcp.server import build_server

    backend = Recorder(ok_png())
    dns = StubDNS({"metadata.example": ["169.254.169.254"], "inside.example": ["10.0.0.1"],
                   "v6inside.example": ["fd00:ec2::254"]})
    monkeypatch.setattr(url_guard, "network_backend", lambda: backend)
    monkeypatch.setattr(url_guard, "system_resolver", dns)
    settings = make_settings(home, tmp_path, emulator.base_url, TALKING_VIDEO_FETCH_PRIVATE=False,
                             TALKING_VIDEO_FETCH_ALLOW=[])
    hosts = [f"[{h.strip('[]')}]" if ":" in h else h for h in REFUSED_HOSTS]
    hosts += ["metadata.example", "inside.example", "v6inside.example"]
    async with Client(build_server(settings)) as client:
        for host in hosts:
            for field in ("image", "audio"):
                args = dry_run(f"http://{host}/face.png") if field == "image" else {
                    "model": "local", "avatar_preset_id": "local:astronaut", "audio": f"http://{host}/a.wav",
                    "dry_run": True}
                said = refusal(await client.call_tool("generate_talking_video", args))
                assert said == f"{field}: {REFUSAL}", (host, said)
    assert backend.connects == []
    assert sorted(set(dns.lookups)) == ["inside.example", "metadata.example", "v6inside.example"]


@pytest.mark.slow
async def test_stdio_fetches_a_local_file_server_unless_told_not_to(settings: Settings,
                                                                    listeners: dict[str, Listener]) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    v4 = listeners["v4"]
    env = {**env_for(settings), "TALKING_VIDEO_FETCH_ALLOW": ""}
    for private, refused in (("", False), ("0", True)):
        params = StdioServerParameters(command=sys.executable, args=["-m", "talking_video_mcp", "serve"],
                                       env={**env, "TALKING_VIDEO_FETCH_PRIVATE": private})
        before = len(v4.requests)
        async with Client(params) as client:
            result = await client.call_tool("generate_talking_video", dry_run(v4.url()))
        if refused:
            assert refusal(result) == SENTENCE and len(v4.requests) == before
        else:
            assert not result.is_error, refusal(result)
            assert v4.requests[before:][:1] == ["HEAD /face.png"]
