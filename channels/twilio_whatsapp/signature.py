"""``X-Twilio-Signature`` checks over the public URL Twilio called.

Twilio signs the exact URL configured in its console, which relaybot only
knows from settings: ``RELAYBOT_PUBLIC_URL`` plus the path and query string
received, and, behind a trusted proxy, the scheme, host and port the proxy
reports. Every candidate is tried with and without the port (twilio's
``RequestValidator`` does that), so a real setup is never locked out by how a
URL was spelled, while a request signed without the auth token never passes.
The signature does not depend on which number received the message, so
senders in a Messaging Service pool verify like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from aiohttp import web
from twilio.request_validator import RequestValidator

from bot.core.config import Settings

SIGNATURE_HEADER = "X-Twilio-Signature"
SHARED_KEY_HEADER = "X-Twilio-Webhooks-Signature-Settings"
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def candidate_urls(request: web.BaseRequest, settings: Settings) -> list[str]:
    """The URLs Twilio may have signed for this request, most likely first."""
    public = settings.public_url.rstrip("/")
    bases = [public]
    if settings.trust_proxy:
        proto = _first(request.headers.get("X-Forwarded-Proto")) or request.scheme
        host = _first(request.headers.get("X-Forwarded-Host")) or request.host
        port = _first(request.headers.get("X-Forwarded-Port"))
        if port and ":" not in host and port != _DEFAULT_PORTS.get(proto):
            host = f"{host}:{port}"
        bases += [f"{proto}://{host}{urlsplit(public).path}", f"{proto}://{host}"]
    urls: list[str] = []
    for base in bases:
        for path_qs in _paths(request.raw_path):
            if base + path_qs not in urls:
                urls.append(base + path_qs)
    return urls


def _paths(raw_path: str) -> list[str]:
    """The path and query as received and, when it differs, with the query unescaped.

    Twilio signs the URL as entered in its console, and some characters there
    (``'``, ``@``, ``:``) reach us percent-encoded.
    """
    path, separator, query = raw_path.partition("?")
    decoded = f"{path}?{unquote(query)}" if separator else raw_path
    return [raw_path] if decoded == raw_path else [raw_path, decoded]


def is_signed(
    validator: RequestValidator, urls: list[str], params: Mapping[str, str], signature: str
) -> bool:
    """Whether ``signature`` signs ``params`` for any of ``urls``."""
    if not signature:
        return False
    return any(validator.validate(url, params, signature) for url in urls)


def _first(value: str | None) -> str:
    """The client-most entry of a comma-separated forwarded header."""
    if not value:
        return ""
    return value.split(",", 1)[0].strip()
