"""The generic ``http_request`` run_action: call an HTTP API from a workflow.

Inputs: ``url`` (required), ``method`` (GET), ``headers``, ``json`` or ``body``,
``timeout`` (seconds, capped). Result data: ``status``, ``json`` (when the answer is
JSON) or ``text``. 2xx -> success; 3xx/4xx -> declined (redirects are not followed);
5xx, timeouts, unreachable hosts, refused destinations and bad inputs -> failure.
Calls go through :class:`OutboundHttp`, which refuses private destinations before the
call and again at connect time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from integrations.net_guard import DestinationRefused, describe
from integrations.outbound_http import OutboundHttp
from workflows.actions import Action, ActionContext, ActionResult

logger = logging.getLogger(__name__)

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
MAX_TIMEOUT_S = 30.0
MAX_BODY_BYTES = 1_000_000


def _inputs_error(inputs: Mapping[str, Any]) -> str | None:
    if not isinstance(inputs.get("url"), str) or not inputs["url"]:
        return "http_request needs a url"
    if str(inputs.get("method", "GET")).upper() not in METHODS:
        return f"unsupported method {inputs.get('method')!r}"
    if "json" in inputs and "body" in inputs:
        return "give either json or body, not both"
    headers = inputs.get("headers", {})
    if not isinstance(headers, Mapping):
        return "headers must be a mapping"
    return None


def _timeout(inputs: Mapping[str, Any], default_s: float) -> float:
    try:
        value = float(inputs.get("timeout", default_s))
    except (TypeError, ValueError):
        value = default_s
    return min(max(value, 0.1), MAX_TIMEOUT_S)


async def _read(resp: aiohttp.ClientResponse) -> dict[str, Any]:
    raw = await resp.content.read(MAX_BODY_BYTES)
    try:
        text = raw.decode(resp.charset or "utf-8", errors="replace")
    except LookupError:
        text = raw.decode("utf-8", errors="replace")
    if "json" in resp.content_type:
        try:
            return {"json": json.loads(text)}
        except ValueError:
            pass
    return {"text": text}


def make_http_request_action(http: OutboundHttp, *, default_timeout_s: float = 10.0) -> Action:
    """Build the ``http_request`` action bound to the guarded outbound session."""

    async def http_request(inputs: dict[str, Any], ctx: ActionContext) -> ActionResult:
        problem = _inputs_error(inputs)
        if problem:
            return ActionResult(outcome="failure", reason=problem)
        url = str(inputs["url"])
        target = describe(url)
        method = str(inputs.get("method", "GET")).upper()
        kwargs: dict[str, Any] = {
            "headers": {str(k): str(v) for k, v in inputs.get("headers", {}).items()},
            "timeout": aiohttp.ClientTimeout(total=_timeout(inputs, default_timeout_s)),
            "allow_redirects": False,
        }
        if "json" in inputs:
            kwargs["json"] = inputs["json"]
        elif "body" in inputs:
            kwargs["data"] = str(inputs["body"]).encode()
        try:
            async with http.request(method, url, **kwargs) as resp:
                data: dict[str, Any] = {"status": resp.status, **await _read(resp)}
        except DestinationRefused as exc:
            return ActionResult(outcome="failure", reason=str(exc))
        except TimeoutError:
            return ActionResult(outcome="failure", reason=f"{method} {target} timed out")
        except aiohttp.ClientError as exc:
            reason = f"{method} {target} failed: {type(exc).__name__}"
            return ActionResult(outcome="failure", reason=reason)
        status = int(data["status"])
        logger.info(
            "http_request %s %s -> %s",
            method,
            target,
            status,
            extra={"run_id": ctx.run_id, "step_id": ctx.step_id},
        )
        reason = f"{method} {target} answered HTTP {status}"
        if 200 <= status < 300:
            return ActionResult(outcome="success", data=data, reason=reason)
        if status >= 500:
            return ActionResult(outcome="failure", data=data, reason=reason)
        return ActionResult(outcome="declined", data=data, reason=reason)

    return http_request
