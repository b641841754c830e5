"""The HTTP session for URLs that come from workflows and settings (webhooks, http_request, AI).

Each request, and each redirect hop aiohttp follows, is checked by
:func:`integrations.net_guard.check_url` before it is sent; the connector resolves
through :class:`integrations.net_guard.GuardedResolver` with no DNS cache, so the
connection goes only to an address judged at connect time. A host that answers a
public address to the check and a private one to the connect (DNS rebinding) gets
no connection. Platform clients (Slack, Telegram, Twilio, Shopify, Stripe) keep the
shared ``services.http`` session: their base URLs are the operator's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver
from aiohttp.client import _RequestContextManager
from aiohttp.resolver import DefaultResolver

from integrations.net_guard import GuardedResolver, check_url

DEFAULT_CONNECTIONS = 100


class OutboundHttp:
    """A guarded aiohttp session, opened on first use inside the event loop.

    ``resolver`` answers the host-name look-ups (the system resolver by default); the
    check and the connect both ask it, and both answers must pass.
    """

    def __init__(
        self,
        allowed_hosts: Sequence[str],
        *,
        resolver: AbstractResolver | None = None,
        limit: int = DEFAULT_CONNECTIONS,
    ) -> None:
        self.allowed_hosts = tuple(allowed_hosts)
        self._resolver = resolver
        self._owns_resolver = resolver is None
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The underlying session; every request on it goes through the guard."""
        if self._session is None or self._session.closed:
            if self._resolver is None:
                self._resolver = DefaultResolver()
            resolver = self._resolver
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.allowed_hosts, inner=resolver),
                use_dns_cache=False,
                limit=self._limit,
            )

            async def guard(
                request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
            ) -> aiohttp.ClientResponse:
                await check_url(str(request.url), self.allowed_hosts, resolver)
                return await handler(request)

            self._session = aiohttp.ClientSession(
                connector=connector, middlewares=(guard,), trust_env=False
            )
        return self._session

    def request(self, method: str, url: str, **kwargs: Any) -> _RequestContextManager:
        """``session.request``; raises :class:`DestinationRefused` for a refused hop."""
        return self.session.request(method, url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> _RequestContextManager:
        """``session.post`` through the guard."""
        return self.request("POST", url, **kwargs)

    async def __aenter__(self) -> OutboundHttp:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session (and the resolver, unless the caller gave it)."""
        if self._session is not None:
            await self._session.close()
        if self._owns_resolver and self._resolver is not None:
            await self._resolver.close()
            self._resolver = None
