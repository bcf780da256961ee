"""make_client: the transports httpx would build, each made on its first request (no SSL context at start-up)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from talking_video_mcp import provider_http

pytestmark = pytest.mark.anyio

PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
              "no_proxy")


@pytest.fixture
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class _Recorder(httpx.AsyncBaseTransport):
    """Stands in for httpx.AsyncHTTPTransport: records how it was built and answers 200."""

    made: list[dict[str, Any]] = []  # noqa: RUF012
    closed = 0

    def __init__(self, **kwargs: Any) -> None:
        _Recorder.made.append(kwargs)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=str(request.url))

    async def aclose(self) -> None:
        _Recorder.closed += 1


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[_Recorder]:
    _Recorder.made, _Recorder.closed = [], 0
    monkeypatch.setattr(httpx, "AsyncHTTPTransport", _Recorder)
    return _Recorder


async def test_the_transport_is_made_on_the_first_request_only(no_proxies: Any, recorder: type[_Recorder]) -> None:
    async with provider_http.make_client(timeout_s=5.0) as client:
        assert recorder.made == []  # no SSL context, no httpcore, until a request is sent
        assert (await client.get("https://example.test/a")).status_code == 200
        await client.get("https://example.test/b")
        assert recorder.made == [{"proxy": None}]  # once, with httpx.AsyncClient's defaults
        assert client.headers["user-agent"].startswith("talking-video-mcp/")
        assert client.timeout == httpx.Timeout(5.0, connect=5.0)
        assert client.follow_redirects
    assert recorder.closed == 1


async def test_closing_an_unused_client_makes_no_transport(no_proxies: Any, recorder: type[_Recorder]) -> None:
    async with provider_http.make_client():
        pass
    assert recorder.made == [] and recorder.closed == 0


async def test_environment_proxies_are_mounted_as_httpx_would(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://user:pw@proxy.internal:3128")
    monkeypatch.setenv("HTTP_PROXY", "proxy.internal:3129")
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,.segmind.com")
    ours = provider_http.make_client()
    theirs = httpx.AsyncClient()  # builds its transports (and SSL contexts) at once
    try:
        assert [p.pattern for p in ours._mounts] == [p.pattern for p in theirs._mounts]
        for (pattern, mine), their in zip(ours._mounts.items(), theirs._mounts.values(), strict=True):
            assert (mine is None) == (their is None), pattern.pattern
        proxies = {p.pattern: t._proxy for p, t in ours._mounts.items() if isinstance(t, provider_http._LazyTransport)}
        assert proxies["https://"] is not None and str(proxies["https://"].url) == "http://proxy.internal:3128"
        assert proxies["https://"].auth == ("user", "pw")
        assert proxies["http://"] is not None and str(proxies["http://"].url) == "http://proxy.internal:3129"
    finally:
        await ours.aclose()
        await theirs.aclose()


async def test_an_explicit_transport_is_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    mock = httpx.MockTransport(lambda request: httpx.Response(204))
    async with provider_http.make_client(transport=mock) as client:
        assert client._transport is mock and client._mounts == {}  # like httpx: no environment proxies
        assert (await client.get("https://example.test/")).status_code == 204


async def test_a_proxied_transport_is_made_with_its_proxy(no_proxies: Any, recorder: type[_Recorder]) -> None:
    proxy = httpx.Proxy("http://proxy.internal:3128")
    lazy = provider_http._LazyTransport(proxy)
    await lazy.handle_async_request(httpx.Request("GET", "https://example.test/"))
    assert recorder.made == [{"proxy": proxy}]


async def test_timeouts_and_the_replica_header(no_proxies: Any) -> None:
    async with provider_http.make_client() as default, \
            provider_http.make_client(timeout_s=120.0, client_id="replica-2") as named:
        assert default.timeout == httpx.Timeout(30.0, connect=10.0)  # connecting never waits more than 10 s
        assert "x-client-id" not in default.headers
        assert named.timeout == httpx.Timeout(120.0, connect=10.0)
        assert named.headers["x-client-id"] == "replica-2"
