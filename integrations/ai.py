"""AI replies for send_message (``ai: {instructions, fallback}``) and the ``ai_agent`` assignee.

Any OpenAI-compatible chat-completions endpoint works (OpenAI, Azure OpenAI's
compatible route, OpenRouter, vLLM, Ollama, LiteLLM): ``POST {AI_API_BASE_URL}/chat/completions``
with ``Authorization: Bearer AI_API_KEY``, model ``AI_MODEL``, timeout ``AI_TIMEOUT``.
The step's instructions become the system message; the conversation's recent
messages follow as user / assistant turns. :func:`generate_reply` never raises: on
errors, timeouts or an empty answer it returns the step's fallback text and why.
Calls go through :class:`OutboundHttp`: a private endpoint (a local model server) must
be listed in ``RELAYBOT_WEBHOOK_ALLOWED_HOSTS``, and every redirect hop is checked too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import aiohttp

from bot.core.config import Settings
from bot.core.errors import RelaybotError
from integrations.net_guard import DestinationRefused
from integrations.outbound_http import OutboundHttp

logger = logging.getLogger(__name__)

USER_ROLES = frozenset({"user", "customer", "contact", "visitor"})
ASSISTANT_ROLES = frozenset({"assistant", "bot", "agent"})
DEFAULT_HISTORY = 20


class AIError(RelaybotError):
    """The AI provider gave no usable answer."""


class AIProvider(Protocol):
    """Turns instructions and recent messages ({role, text}) into a reply text."""

    async def complete(self, instructions: str, history: Sequence[Mapping[str, Any]]) -> str: ...


def chat_messages(
    instructions: str, history: Sequence[Mapping[str, Any]], limit: int = DEFAULT_HISTORY
) -> list[dict[str, str]]:
    """Chat-completions messages: system instructions, then the last ``limit`` turns.

    Customer messages become ``user``, bot and agent messages ``assistant``; anything
    else (internal notes, system events) and empty texts are left out.
    """
    turns: list[dict[str, str]] = []
    for message in history:
        role, text = str(message.get("role", "")).lower(), str(message.get("text") or "").strip()
        if not text:
            continue
        if role in USER_ROLES:
            turns.append({"role": "user", "content": text})
        elif role in ASSISTANT_ROLES:
            turns.append({"role": "assistant", "content": text})
    system = [{"role": "system", "content": instructions}] if instructions.strip() else []
    return system + turns[-limit:] if limit > 0 else system


def _content(payload: Any) -> str:
    try:
        content = payload["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise AIError("the AI answer has no message") from exc
    if isinstance(content, list):  # content parts
        content = "".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "").strip()


class OpenAICompatibleProvider:
    """An :class:`AIProvider` over the chat-completions API, on the guarded outbound session."""

    def __init__(
        self,
        http: OutboundHttp,
        settings: Settings,
        *,
        timeout_s: float | None = None,
        history_limit: int = DEFAULT_HISTORY,
        max_tokens: int | None = 500,
    ) -> None:
        self._http = http
        self._settings = settings
        self._timeout = aiohttp.ClientTimeout(total=timeout_s or settings.ai_timeout_s)
        self._history_limit = history_limit
        self._max_tokens = max_tokens

    @property
    def configured(self) -> bool:
        return bool(self._settings.ai_api_base_url)

    async def complete(self, instructions: str, history: Sequence[Mapping[str, Any]]) -> str:
        base = self._settings.ai_api_base_url
        if not base:
            raise AIError("AI is not configured (AI_API_BASE_URL)")
        body: dict[str, Any] = {
            "model": self._settings.ai_model,
            "messages": chat_messages(instructions, history, self._history_limit),
        }
        if self._max_tokens:
            body["max_tokens"] = self._max_tokens
        headers = {}
        if self._settings.ai_api_key is not None:
            headers["Authorization"] = f"Bearer {self._settings.ai_api_key.get_secret_value()}"
        url = f"{base.rstrip('/')}/chat/completions"
        try:
            async with self._http.post(
                url, json=body, headers=headers, timeout=self._timeout
            ) as resp:
                if resp.status >= 300:
                    raise AIError(_status_reason(resp.status))
                payload = await resp.json(content_type=None)
        except DestinationRefused as exc:
            raise AIError(f"the AI endpoint was refused: {exc}") from exc
        except TimeoutError as exc:
            raise AIError("the AI provider timed out") from exc
        except (aiohttp.ClientError, ValueError) as exc:
            raise AIError(f"the AI request failed: {type(exc).__name__}") from exc
        return _content(payload)


def _status_reason(status: int) -> str:
    if status == 429:
        return "the AI provider is rate limiting (HTTP 429)"
    if status in (401, 403):
        return f"the AI provider refused the API key (HTTP {status})"
    return f"the AI provider answered HTTP {status}"


class AIReply(NamedTuple):
    """The text to send; ``used_fallback`` with ``reason`` when the AI gave nothing usable."""

    text: str
    used_fallback: bool
    reason: str | None


async def generate_reply(
    provider: AIProvider,
    instructions: str,
    history: Sequence[Mapping[str, Any]],
    fallback: str,
) -> AIReply:
    """Ask the provider; fall back to ``fallback`` on any error, timeout or empty answer."""
    try:
        text = await provider.complete(instructions, history)
    except AIError as exc:
        logger.warning("AI reply fell back: %s", exc)
        return AIReply(fallback, True, str(exc))
    if not text.strip():
        logger.warning("AI reply fell back: empty answer")
        return AIReply(fallback, True, "the AI answer was empty")
    return AIReply(text.strip(), False, None)
