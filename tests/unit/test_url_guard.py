"""The outbound guard (media/url_guard.py) on its own and under media.inputs: every refused address class and
spelling, one lookup per connection and the connection made to the checked address, redirects checked hop by
hop, the allow list, and the size and time limits of URL downloads.

Only loopback is ever connected to: other addresses go through a stub resolver and a network backend that
records the connections it is asked to open and never opens one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpcore
import pytest

from talking_video_mcp.errors import InvalidInput
from talking_video_mcp.media import url_guard
from talking_video_mcp.media.inputs import download_to, resolve_input
from talking_video_mcp.media.url_guard import REFUSAL, FetchPolicy, FetchRefused, literal_address
from tests.helpers import png_bytes
from tests.listeners import listening

pytestmark = pytest.mark.anyio

# The list: loopback, unspecified, RFC 1918, metadata (IPv4 and AWS's IPv6), shared, odd spellings of
# loopback (decimal, octal, hex, short), IPv4-mapped IPv6, and a few more classes.
REFUSED_HOSTS = [
    "127.0.0.1", "[::1]", "0.0.0.0", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "[fd00:ec2::254]",
    "100.64.0.1", "2130706433", "0177.0.0.1", "0x7f000001", "0x7f.0.0.1", "127.1", "[::ffff:127.0.0.1]",
    "[::ffff:a9fe:a9fe]", "[::]", "224.0.0.1", "240.0.0.1", "255.255.255.255", "[fe80::1]", "[64:ff9b::a9fe:a9fe]",
    "[2002:7f00:1::]", "[ff02::1]",
]
PUBLIC = ["93.184.216.34", "[2606:4700::1111]", "8.8.8.8"]


class Recorder(httpcore.AsyncMockBackend):
    """A network backend that records each connection asked of it and answers from `buffer`, never connecting."""

    def __init__(self, buffer: list[bytes]) -> None:
        super().__init__(buffer)
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        return await super().connect_tcp(host, port, *args, **kwargs)


class StubDNS:
    """Names -> address lists; records each lookup. A list of lists answers differently on each call."""

    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        answer = self.table[host]
        if answer and isinstance(answer[0], list):
            return list(answer.pop(0))
        return list(answer)


def ok_png() -> list[bytes]:
    body = png_bytes(8, 8)
    return [b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n", f"Content-Length: {len(body)}\r\n\r\n".encode(), body]


def redirect(to: str) -> list[bytes]:
    return [f"HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()]


async def check(url: str, policy: FetchPolicy, backend: httpcore.AsyncNetworkBackend, tmp_path: Path) -> Any:
    async with policy.client(timeout_s=5, backend=backend) as client:
        return await resolve_input(url, field="image", kind="image", allowed_roots=[tmp_path], client=client,
                                   scratch_dir=tmp_path, guard=policy)


@pytest.mark.parametrize("host", REFUSED_HOSTS)
async def test_every_refused_address_class_and_spelling_is_refused_without_a_connection(host: str,
                                                                                      tmp_path: Path) -> None:
    dns, backend = StubDNS({}), Recorder(ok_png())
    with pytest.raises(InvalidInput) as refused:
        await check(f"http://{host}/face.png", FetchPolicy.build(private_ok=False, resolver=dns), backend, tmp_path)
    assert str(refused.value) == f"image: {REFUSAL}"
    assert backend.connects == [] and dns.lookups == []


@pytest.mark.parametrize("address", [h.strip("[]") for h in REFUSED_HOSTS])
async def test_a_name_resolving_to_a_refused_address_is_refused_and_not_connected(address: str,
                                                                                 tmp_path: Path) -> None:
    dns, backend = StubDNS({"assets.example": [address]}), Recorder(ok_png())
    with pytest.raises(InvalidInput, match="does not fetch addresses on private networks"):
        await check("https://assets.example/face.png", FetchPolicy.build(private_ok=False, resolver=dns), backend,
                    tmp_path)
    assert backend.connects == [] and dns.lookups == ["assets.example"]


@pytest.mark.parametrize("target", [f"http://{h}/x.png" for h in REFUSED_HOSTS] + ["http://inside.example/x.png"])
async def test_a_redirect_to_a_refused_address_is_refused_after_the_first_hop(target: str, tmp_path: Path) -> None:
    dns = StubDNS({"cdn.example": ["93.184.216.34"], "inside.example": ["10.1.2.3"]})
    backend = Recorder(redirect(target))
    with pytest.raises(InvalidInput) as refused:
        await check("http://cdn.example/face.png", FetchPolicy.build(private_ok=False, resolver=dns), backend,
                    tmp_path)
    assert str(refused.value) == f"image: {REFUSAL}"
    assert backend.connects == [("93.184.216.34", 80)]  # the public first hop only


async def test_a_public_name_is_looked_up_once_and_the_checked_address_is_the_one_connected(tmp_path: Path) -> None:
    # A rebinding name: public on the first lookup, loopback on any later one. No later one is made.
    dns = StubDNS({"rebind.example": [["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]]})
    backend = Recorder(ok_png())
    found = await check("https://rebind.example/face.png", FetchPolicy.build(private_ok=False, resolver=dns),
                        backend, tmp_path)
    assert found.mime_type == "image/png"
    assert dns.lookups == ["rebind.example"] and backend.connects == [("93.184.216.34", 443)]


async def test_a_name_with_one_private_address_among_public_ones_is_refused(tmp_path: Path) -> None:
    dns, backend = StubDNS({"mixed.example": ["93.184.216.34", "10.0.0.5"]}), Recorder(ok_png())
    with pytest.raises(InvalidInput, match="private networks"):
        await check("http://mixed.example/face.png", FetchPolicy.build(private_ok=False, resolver=dns), backend,
                    tmp_path)
    assert backend.connects == []


async def test_more_than_five_redirects_are_refused(tmp_path: Path) -> None:
    dns, backend = StubDNS({"loop.example": ["93.184.216.34"]}), Recorder(redirect("http://loop.example/again"))
    with pytest.raises(InvalidInput, match="redirects too many times"):
        await check("http://loop.example/face.png", FetchPolicy.build(private_ok=False, resolver=dns), backend,
                    tmp_path)
    assert len(backend.connects) <= url_guard.MAX_REDIRECTS + 1


async def test_the_allow_list_lets_named_hosts_and_blocks_through_and_nothing_else(tmp_path: Path) -> None:
    dns = StubDNS({"assets.internal": ["10.9.8.7"], "wiki.internal": ["10.9.8.8"], "db.internal": ["172.20.0.4"]})
    policy = FetchPolicy.build(private_ok=False, allow=["assets.internal", "10.9.8.8/32"], resolver=dns)
    for host in ("assets.internal", "wiki.internal"):
        backend = Recorder(ok_png())
        await check(f"http://{host}/face.png", policy, backend, tmp_path)
        assert backend.connects == [(dns.table[host][0], 80)]
    backend = Recorder(ok_png())
    with pytest.raises(InvalidInput, match="private networks"):
        await check("http://db.internal/face.png", policy, backend, tmp_path)
    assert backend.connects == []


def test_odd_spellings_are_read_as_the_c_library_reads_them() -> None:
    for spelling in ("2130706433", "0177.0.0.1", "0x7f000001", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"):
        address = literal_address(spelling)
        assert address is not None and (address.is_loopback or getattr(address, "ipv4_mapped", None)), spelling
    assert literal_address("assets.example") is None
    with pytest.raises(FetchRefused):
        FetchPolicy.build(private_ok=False).check_literal("0x7f.1")
    FetchPolicy.build(private_ok=True).check_literal("0x7f.1")


def test_the_allow_list_refuses_entries_that_are_neither_hosts_nor_blocks() -> None:
    with pytest.raises(ValueError, match="TALKING_VIDEO_FETCH_ALLOW"):
        FetchPolicy.build(private_ok=False, allow=["http://x.example/"])


# --------------------------------------------------------------------------- real loopback listeners


async def test_a_loopback_listener_gets_no_request_by_any_spelling(tmp_path: Path) -> None:
    policy = FetchPolicy.build(private_ok=False)
    with listening("127.0.0.1") as server:
        for host in ("127.0.0.1", "localhost", "2130706433", "0x7f000001", "127.1", "0x7f.1", "0177.0.0.1"):
            with pytest.raises(InvalidInput) as refused:
                async with policy.client(timeout_s=5) as client:
                    await resolve_input(server.url(host=host), field="image", kind="image", allowed_roots=[tmp_path],
                                        client=client, scratch_dir=tmp_path, guard=policy)
            assert str(refused.value) == f"image: {REFUSAL}", host
        assert server.requests == []


async def test_an_allowed_host_is_fetched_and_its_redirect_to_a_refused_one_is_refused(tmp_path: Path) -> None:
    policy = FetchPolicy.build(private_ok=False, allow=["127.0.0.2"])
    with listening("127.0.0.3") as hidden, listening("127.0.0.2") as allowed:
        async with policy.client(timeout_s=5) as client:
            found = await resolve_input(allowed.url(), field="image", kind="image", allowed_roots=[tmp_path],
                                        client=client, scratch_dir=tmp_path, guard=policy)
            assert found.mime_type == "image/png" and allowed.requests == ["HEAD /face.png"]
            allowed.redirect_to = hidden.url()
            with pytest.raises(InvalidInput) as refused:
                await download_to(client, allowed.url(), tmp_path / "x.png", max_bytes=10_000, field="image")
        assert str(refused.value) == f"image: {REFUSAL}"
        assert hidden.requests == [] and not (tmp_path / "x.png").exists()


async def test_with_private_fetches_allowed_a_loopback_url_is_fetched(tmp_path: Path) -> None:
    policy = FetchPolicy.build(private_ok=True)
    with listening("127.0.0.1") as server:
        async with policy.client(timeout_s=5) as client:
            found = await resolve_input(server.url(), field="image", kind="image", allowed_roots=[tmp_path],
                                        client=client, scratch_dir=tmp_path, guard=policy)
    assert found.mime_type == "image/png" and server.requests == ["HEAD /face.png"]


async def test_url_downloads_are_bounded_in_size_and_time(tmp_path: Path) -> None:
    policy = FetchPolicy.build(private_ok=True)
    with listening("127.0.0.1", body=b"\x89PNG\r\n\x1a\n" + b"\0" * 5000) as big:
        async with policy.client(timeout_s=5) as client:
            with pytest.raises(InvalidInput, match="larger than the"):
                await download_to(client, big.url(), tmp_path / "big.png", max_bytes=1000, field="image")
    with listening("127.0.0.1", body=b"\x89PNG\r\n\x1a\n" + b"\0" * 200, drip_s=0.05) as slow:
        async with policy.client(timeout_s=5) as client:
            with pytest.raises(InvalidInput, match=r"took longer than 0\.5 s to download"):
                await download_to(client, slow.url(), tmp_path / "slow.png", max_bytes=10_000, field="image",
                                  time_limit_s=0.5)
    assert not list(tmp_path.glob("*.png")) and not list(tmp_path.glob(".*part"))
