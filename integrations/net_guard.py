"""Outbound destination guard: URLs from workflows and settings may not reach private networks.

``http_request`` actions and ``send_webhook`` steps take URLs from workflow files and
templates; the AI endpoint comes from a setting. Without a guard they could read cloud
metadata endpoints, admin panels on localhost or anything else on the internal network
(server-side request forgery).

Rules: only ``http`` and ``https``; the host must resolve only to public addresses,
unless the host name, the address, or a network containing the address is listed in
``RELAYBOT_WEBHOOK_ALLOWED_HOSTS``. IPv6 transition addresses (IPv4-mapped,
IPv4-compatible, NAT64, 6to4, Teredo) are judged by the IPv4 addresses they carry.
:func:`check_url` checks a URL before a call; :class:`GuardedResolver` applies the same
rule to the addresses a connection is actually made to, so a host that answers a public
address first and a private one next (DNS rebinding) is still refused.
:class:`integrations.outbound_http.OutboundHttp` puts both together.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from bot.core.errors import RelaybotError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(RelaybotError):
    """The URL points at a scheme, host or address relaybot will not call."""


def _as_ip(value: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(value.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")
_NAT64_WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
# Where RFC 6052 puts the IPv4 address for each prefix length a /48 may be split into
# (octet 8 is always skipped); the local-use prefix's length is the operator's choice.
_RFC6052_OCTETS = ((6, 7, 9, 10), (7, 9, 10, 11), (9, 10, 11, 12), (12, 13, 14, 15))


def carried_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 transition address carries; None for plain IPv6.

    IPv4-mapped, IPv4-compatible, IPv4-translated and well-known NAT64 addresses carry
    their last 32 bits; 6to4 (``2002::/16``) bits 16..47; Teredo (``2001::/32``) both
    the server (bits 32..63) and the client (last 32 bits XOR 0xffffffff); local-use
    NAT64 (``64:ff9b:1::/48``) every placement RFC 6052 allows.
    """
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    last32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE or address in _IPV4_TRANSLATED or address in _NAT64_WELL_KNOWN:
        return [last32]
    if address in _NAT64_LOCAL:
        octets = address.packed
        return [ipaddress.IPv4Address(bytes(octets[i] for i in at)) for at in _RFC6052_OCTETS]
    return None


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses (transition forms: every IPv4 they carry)."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = carried_ipv4(address)
        if carried is not None:
            return all(is_public(inner) for inner in carried)
    return address.is_global and not address.is_multicast


def is_allowed(host: str, address: IPAddress | None, allowed_hosts: Iterable[str]) -> bool:
    """Whether ``host`` (or its resolved ``address``) is on the allow-list."""
    host = host.lower().rstrip(".")
    for entry in allowed_hosts:
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        if entry == host:
            return True
        if address is None:
            continue
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            continue
        if address in network:
            return True
    return False


def check_address(host: str, address: IPAddress, allowed_hosts: Sequence[str]) -> None:
    """Refuse a non-public ``address`` unless ``host`` or the address is allow-listed."""
    if is_public(address) or is_allowed(host, address, allowed_hosts):
        return
    raise DestinationRefused(
        f"{host} resolves to a private or reserved address; add it to "
        "RELAYBOT_WEBHOOK_ALLOWED_HOSTS to allow it"
    )


async def check_url(
    url: str, allowed_hosts: Sequence[str], resolver: AbstractResolver | None = None
) -> None:
    """Raise :class:`DestinationRefused` unless ``url`` is an http(s) URL to an allowed host.

    Host names are looked up with ``resolver`` (the system resolver when None).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused(f"only http and https URLs are allowed, not {parts.scheme!r}")
    host = parts.hostname
    if not host:
        raise DestinationRefused("the URL has no host")
    if parts.username or parts.password:
        raise DestinationRefused("credentials in the URL are not allowed; use headers")
    literal = _as_ip(host)
    if literal is not None:
        check_address(host, literal, allowed_hosts)
        return
    if is_allowed(host, None, allowed_hosts):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for address in await _resolve(host, port, resolver):
        check_address(host, address, allowed_hosts)


async def _resolve(host: str, port: int, resolver: AbstractResolver | None) -> list[IPAddress]:
    try:
        if resolver is None:
            loop = asyncio.get_running_loop()
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            hosts = [str(info[4][0]) for info in infos]
        else:
            results = await resolver.resolve(host, port, socket.AF_UNSPEC)
            hosts = [str(result["host"]) for result in results]
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses = [_as_ip(h) for h in hosts]
    return [a for a in addresses if a is not None]


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops private answers (the DNS-rebinding safe connect step).

    The connector connects only to the addresses it returns, so each one is judged here,
    at connect time. :class:`integrations.outbound_http.OutboundHttp` wires it in.
    """

    def __init__(self, allowed_hosts: Sequence[str], inner: AbstractResolver | None = None) -> None:
        self._allowed = list(allowed_hosts)
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept: list[ResolveResult] = []
        for result in results:
            address = _as_ip(str(result["host"]))
            if address is not None and (
                is_public(address) or is_allowed(host, address, self._allowed)
            ):
                kept.append(result)
        if not kept:
            raise OSError(f"{host} resolves only to private or reserved addresses")
        return kept

    async def close(self) -> None:
        await self._inner.close()


def describe(value: Any) -> str:
    """A short, log-safe description of a URL: scheme, host and path, no query string."""
    parts = urlsplit(str(value))
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
