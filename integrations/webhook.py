"""Signed webhook delivery for the ``send_webhook`` step (delivered through the outbox).

Every POST carries::

    Content-Type: application/json
    X-Relaybot-Delivery: <delivery id, the same on every retry of one delivery>
    X-Relaybot-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

Receivers verify with :func:`verify_signature` (or the few lines in docs/integrations.md)
and deduplicate on the delivery id. Requests go through :class:`OutboundHttp`, so
private destinations are refused before the call and again at connect time. Failures
raise the outbox's typed errors: 429 -> :class:`RateLimitedError` with the Retry-After,
5xx / timeouts / connection errors (an address refused at connect time among them) ->
:class:`UnavailableError`, other 4xx (and 3xx: redirects are not followed) ->
:class:`BadRequestError`, refused destinations -> :class:`PermanentDeliveryError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from bot.core.clock import Clock, SystemClock
from bot.core.errors import (
    BadRequestError,
    PermanentDeliveryError,
    RateLimitedError,
    UnavailableError,
)
from integrations.net_guard import DestinationRefused, describe
from integrations.outbound_http import OutboundHttp

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Relaybot-Signature"
DELIVERY_HEADER = "X-Relaybot-Delivery"
DEFAULT_TOLERANCE_S = 300
_RESERVED = {SIGNATURE_HEADER.lower(), DELIVERY_HEADER.lower(), "content-type", "host"}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    now: datetime,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """Receiver side: True when ``header`` signs ``body`` with ``secret`` and is fresh."""
    fields: dict[str, list[str]] = {}
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs(now.timestamp() - timestamp) > tolerance_s:
        return False
    expected = sign(secret, timestamp, body).rsplit("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def encode_body(body: Any) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: str


class WebhookSender:
    """POSTs signed JSON to workflow-supplied URLs through the guarded outbound session."""

    def __init__(
        self,
        http: OutboundHttp,
        *,
        timeout_s: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        self._http = http
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._clock = clock or SystemClock()

    async def deliver(
        self,
        url: str,
        body: Any,
        *,
        delivery_id: str,
        secret: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebhookResponse:
        """Send once; raise a typed delivery error the outbox retries or gives up on."""
        target = describe(url)
        raw = encode_body(body)
        sent_headers = {k: v for k, v in (headers or {}).items() if k.lower() not in _RESERVED}
        sent_headers["Content-Type"] = "application/json"
        sent_headers[DELIVERY_HEADER] = delivery_id
        if secret:
            timestamp = int(self._clock.now().timestamp())
            sent_headers[SIGNATURE_HEADER] = sign(secret, timestamp, raw)
        try:
            async with self._http.post(
                url, data=raw, headers=sent_headers, timeout=self._timeout, allow_redirects=False
            ) as resp:
                text = (await resp.content.read(4096)).decode(errors="replace")
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except DestinationRefused as exc:
            raise PermanentDeliveryError(str(exc)) from exc
        except TimeoutError as exc:
            raise UnavailableError(f"webhook {target} timed out") from exc
        except aiohttp.ClientError as exc:
            raise UnavailableError(f"webhook {target} unreachable: {type(exc).__name__}") from exc
        logger.info(
            "webhook %s answered %s",
            target,
            status,
            extra={"delivery_id": delivery_id, "status": status},
        )
        _raise_for_status(target, status, retry_after, self._clock.now())
        return WebhookResponse(status=status, body=text)


def _raise_for_status(target: str, status: int, retry_after: str | None, now: datetime) -> None:
    if 200 <= status < 300:
        return
    reason = f"webhook {target} answered HTTP {status}"
    if status == 429:
        raise RateLimitedError(reason, retry_after=parse_retry_after(retry_after, now))
    if status >= 500 or status == 408:
        raise UnavailableError(reason, retry_after=parse_retry_after(retry_after, now))
    raise BadRequestError(reason)
