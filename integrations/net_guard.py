"""Outbound destination guard: workflow-supplied URLs may not reach private networks.

``http_request`` actions and ``send_webhook`` steps take URLs from workflow files and
templates. Without a guard they could read cloud metadata endpoints, admin panels on
localhost or anything else on the internal network (server-side request forgery).

Rules: only ``http`` and ``https``; the host must resolve only to public addresses,
unless the host name, the address, or a network containing the address is listed in
``RELAYBOT_WEBHOOK_ALLOWED_HOSTS``. Redirects are never followed by the callers, so a
public host cannot bounce a request inward. :class:`GuardedResolver` applies the same
rule at connect time for sessions that want protection against DNS rebinding.
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

from bot.errors import RelaybotError

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


def is_public(address: IPAddress) -> bool:
    """True for globally routable unicast addresses."""
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


async def check_url(url: str, allowed_hosts: Sequence[str]) -> None:
    """Raise :class:`DestinationRefused` unless ``url`` is an http(s) URL to an allowed host."""
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
    for address in await _resolve(host, parts.port or (443 if parts.scheme == "https" else 80)):
        check_address(host, address, allowed_hosts)


async def _resolve(host: str, port: int) -> list[IPAddress]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise DestinationRefused(f"cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses = [_as_ip(str(info[4][0])) for info in infos]
    return [a for a in addresses if a is not None]


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that drops private answers (DNS-rebinding safe connect step).

    Use it for a session dedicated to workflow-supplied URLs::

        connector = aiohttp.TCPConnector(resolver=GuardedResolver(settings.webhook_allowed_hosts))
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
