"""The outbound guard for fetches made on a user's behalf (input checks and downloads of `image`/`audio` URLs).

A server shared by a team must not let a user reach what only the server can reach: its loopback, the
private network around it, the cloud metadata address. So before a connection is opened the host is resolved
once, every address it names is checked, and the connection goes to the checked address (no second lookup
that a rebinding name could answer differently); TLS still names the host. Redirects connect through the same
check, at most `MAX_REDIRECTS` of them. Address classes come from the standard library's `ipaddress`, and
odd spellings (decimal, octal, hex, short IPv4 forms) are read by `socket.inet_aton` and the resolver, as a
connecting client would read them; nothing here parses them by hand.

The refusal is one sentence that names nothing about the target, so the guard cannot be used as a probe."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpcore
import httpx

MAX_REDIRECTS = 5
REFUSAL = "this server does not fetch addresses on private networks; pass a public URL or upload the file."

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses it names, from one lookup. Tests pass a stub that records what was asked.
Resolver = Callable[[str, int], Awaitable[list[str]]]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def network_backend() -> httpcore.AsyncNetworkBackend:
    """What opens the checked connections (a test swaps in one that records them instead)."""
    return httpcore.AnyIOBackend()


class FetchRefused(Exception):
    """The guard refused a target: no request was sent to it. `str()` is `REFUSAL`, which names nothing."""

    def __init__(self) -> None:
        super().__init__(REFUSAL)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses `host` names, from one getaddrinfo call (which also reads the odd IPv4 spellings)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def literal_address(host: str) -> IPAddress | None:
    """The address a host written as an address means (`[::1]`, `2130706433`, `0x7f.1`, `0177.0.0.1`), or None
    for a name. `socket.inet_aton` reads the IPv4 forms exactly as the C resolver does."""
    text = host.strip().strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


def _embedded(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, Teredo, NAT64), which is where a packet ends up."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def is_public(ip: IPAddress) -> bool:
    """True for an address on the public internet: not loopback, private (RFC 1918, unique-local), link-local
    (metadata addresses included), shared (100.64/10), multicast, unspecified or reserved."""
    for candidate in {ip, _embedded(ip)}:
        if (not candidate.is_global or candidate.is_private or candidate.is_loopback or candidate.is_link_local
                or candidate.is_multicast or candidate.is_unspecified or candidate.is_reserved):
            return False
    return True


def parse_allow(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """TALKING_VIDEO_FETCH_ALLOW's entries: host names (matched as written in URLs) and CIDR blocks (matched on
    resolved addresses). Raises ValueError for an entry that is neither."""
    hosts: set[str] = set()
    nets: list[IPNetwork] = []
    for entry in (e.strip().lower() for e in entries):
        if not entry:
            continue
        try:
            nets.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        if any(c in entry for c in "/:@ ") or entry.startswith("."):
            raise ValueError(f"TALKING_VIDEO_FETCH_ALLOW: {entry!r} is neither a host name nor a CIDR block")
        hosts.add(entry.rstrip("."))
    return frozenset(hosts), tuple(nets)


@dataclass(frozen=True)
class FetchPolicy:
    """Which targets a user's URL may reach. `private_ok`: every address (one local user on their own machine);
    otherwise public addresses, plus the allowed host names and CIDR blocks."""

    private_ok: bool
    allow_hosts: frozenset[str] = frozenset()
    allow_nets: tuple[IPNetwork, ...] = ()
    resolver: Resolver | None = None  # None: the system's (looked up when used, so a test can stub it)
    _ssl: list[ssl.SSLContext] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def build(cls, *, private_ok: bool, allow: Sequence[str] = (), resolver: Resolver | None = None) -> FetchPolicy:
        hosts, nets = parse_allow(allow)
        return cls(private_ok=private_ok, allow_hosts=hosts, allow_nets=nets, resolver=resolver)

    def _host_allowed(self, host: str) -> bool:
        return host.strip("[]").lower().rstrip(".") in self.allow_hosts

    def address_ok(self, ip: IPAddress) -> bool:
        # An allowed block names where the connection goes: the address itself, or the IPv4 one it maps (a 6to4 or
        # NAT64 address goes to a relay, not to the allowed host).
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        return self.private_ok or is_public(ip) or any(ip in net or (mapped and mapped in net)
                                                       for net in self.allow_nets)

    def check_literal(self, host: str) -> None:
        """Refuse, without any lookup, a host written as an address the policy does not allow."""
        ip = literal_address(host)
        if ip is not None and not self._host_allowed(host) and not self.address_ok(ip):
            raise FetchRefused()

    async def vet(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`: one lookup, every answer checked (one refused address
        refuses the host, so a name cannot mix a public address with a private one)."""
        if self.private_ok:
            return [host]
        self.check_literal(host)
        try:
            addresses = await (self.resolver or system_resolver)(host, port)
        except OSError:
            raise httpcore.ConnectError(f"could not resolve {host}") from None  # worded by the caller, as a dead link
        if not addresses:
            raise httpcore.ConnectError(f"could not resolve {host}")
        if self._host_allowed(host):
            return addresses
        checked = [literal_address(text) for text in addresses]
        if any(ip is None or not self.address_ok(ip) for ip in checked):
            raise FetchRefused()
        return [str(ip) for ip in checked]

    def client(self, *, timeout_s: float, backend: httpcore.AsyncNetworkBackend | None = None) -> httpx.AsyncClient:
        """An httpx client whose every connection (redirects included) goes through `vet`, to the checked address.
        Environment proxies are not used: a proxy would do the lookup the guard must do itself."""
        if not self._ssl:
            self._ssl.append(httpx.create_ssl_context())
        transport = _PinnedTransport(self._ssl[0], _PinnedBackend(self, backend or network_backend()))
        return httpx.AsyncClient(transport=transport, timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
                                 follow_redirects=True, max_redirects=MAX_REDIRECTS, trust_env=False,
                                 event_hooks={"response": [self._check_redirect]})

    async def _check_redirect(self, response: httpx.Response) -> None:
        """A redirect to an address spelled so that httpx cannot parse it (0177.0.0.1) is refused as such, in the
        same words, rather than reported as a broken Location header."""
        location = response.headers.get("location") if response.is_redirect else None
        if location:
            host = urllib.parse.urlsplit(urllib.parse.urljoin(str(response.request.url), location)).hostname
            if host:
                self.check_literal(host)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to the addresses `FetchPolicy.vet` checked, never to a name (no second lookup)."""

    def __init__(self, policy: FetchPolicy, inner: httpcore.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._inner = inner

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 (httpcore's)
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        addresses = await self._policy.vet(host, port)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,  # noqa: ASYNC109
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise FetchRefused()

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over a connection pool that connects through `_PinnedBackend`; TLS (SNI and the
    certificate check) still uses the URL's host, because httpcore starts TLS with the origin's name."""

    def __init__(self, context: ssl.SSLContext, backend: _PinnedBackend) -> None:
        super().__init__(verify=context, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(ssl_context=context, network_backend=backend)
