"""AI replies and the ai_agent turn against the fake OpenAI-compatible endpoint."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.core.config import Settings
from integrations.ai import OpenAICompatibleProvider, generate_reply
from integrations.ai_agent import ai_agent_turn
from integrations.outbound_http import OutboundHttp
from tests.fakes.openai import PATH, FakeOpenAI

KEY = "sk-fake-SECRET-42"
HISTORY = [
    {"role": "customer", "text": "Hi, where is my order #1001?"},
    {"role": "bot", "text": "Let me check."},
    {"role": "note", "text": "internal: VIP customer"},
    {"role": "customer", "text": "It was due yesterday"},
]
FALLBACK = "Sorry, one moment please, a colleague will answer."


@pytest.fixture
async def ai() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI(KEY)
    async with fake:
        yield fake


@pytest.fixture
def provider(
    ai: FakeOpenAI, outbound: OutboundHttp, make_settings: Callable[..., Settings]
) -> Callable[..., OpenAICompatibleProvider]:
    def make(timeout: float | None = None, **values: Any) -> OpenAICompatibleProvider:
        base = {"AI_API_BASE_URL": ai.base_url, "AI_API_KEY": KEY, "AI_MODEL": "test-model"}
        return OpenAICompatibleProvider(
            outbound, make_settings(**{**base, **values}), timeout_s=timeout
        )

    return make


async def test_reply_uses_instructions_and_history(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.reply_with("  Your order ships today.  ")
    reply = await generate_reply(provider(), "You are a helpful support bot.", HISTORY, FALLBACK)
    assert reply == ("Your order ships today.", False, None)
    (sent,) = ai.received(PATH)
    assert sent.headers["Authorization"] == f"Bearer {KEY}"
    body = sent.json()
    assert body["model"] == "test-model"
    assert body["messages"] == [
        {"role": "system", "content": "You are a helpful support bot."},
        {"role": "user", "content": "Hi, where is my order #1001?"},
        {"role": "assistant", "content": "Let me check."},
        {"role": "user", "content": "It was due yesterday"},
    ]


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (500, "the AI provider answered HTTP 500"),
        (429, "the AI provider is rate limiting (HTTP 429)"),
    ],
)
async def test_error_falls_back(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider], status: int, reason: str
) -> None:
    ai.fail_next(status)
    reply = await generate_reply(provider(), "Be brief.", HISTORY, FALLBACK)
    assert reply == (FALLBACK, True, reason)


async def test_timeout_falls_back(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.slow_next(1.0)
    reply = await generate_reply(provider(timeout=0.1), "Be brief.", HISTORY, FALLBACK)
    assert reply == (FALLBACK, True, "the AI provider timed out")


async def test_empty_answer_falls_back(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.reply_with("   ")
    reply = await generate_reply(provider(), "Be brief.", HISTORY, FALLBACK)
    assert reply == (FALLBACK, True, "the AI answer was empty")


async def test_malformed_answer_falls_back(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.fail_next(200, body={"choices": []})
    reply = await generate_reply(provider(), "Be brief.", HISTORY, FALLBACK)
    assert reply == (FALLBACK, True, "the AI answer has no message")


async def test_unreachable_and_unconfigured_fall_back(
    outbound: OutboundHttp, make_settings: Callable[..., Settings]
) -> None:
    gone = FakeOpenAI()
    async with gone:
        url = gone.base_url
    down = OpenAICompatibleProvider(outbound, make_settings(AI_API_BASE_URL=url))
    assert (
        await generate_reply(down, "x", HISTORY, FALLBACK)
    ).reason == "the AI request failed: ClientConnectorError"
    off = OpenAICompatibleProvider(outbound, make_settings())
    assert not off.configured
    assert (await generate_reply(off, "x", HISTORY, FALLBACK)).used_fallback


async def test_bad_key_falls_back_and_key_never_logged(
    provider: Callable[..., OpenAICompatibleProvider], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        reply = await generate_reply(provider(AI_API_KEY="sk-WRONG-secret"), "x", HISTORY, FALLBACK)
        await generate_reply(provider(), "x", HISTORY, FALLBACK)
    assert reply.reason == "the AI provider refused the API key (HTTP 401)"
    assert "fell back" in caplog.text
    assert "sk-WRONG-secret" not in caplog.text
    assert KEY not in caplog.text


async def test_ai_agent_replies_then_hands_over_on_request(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.reply_with("It arrives Friday.")
    turn = await ai_agent_turn(
        provider(), "Help.", HISTORY, fallback=FALLBACK, handover_text="Connecting you."
    )
    assert (turn.action, turn.text) == ("reply", "It arrives Friday.")
    asks = [*HISTORY, {"role": "customer", "text": "Can I talk to a real person please"}]
    turn = await ai_agent_turn(
        provider(), "Help.", asks, fallback=FALLBACK, handover_text="Connecting you."
    )
    assert (turn.action, turn.text) == ("hand_over", "Connecting you.")
    assert len(ai.received(PATH)) == 1


async def test_ai_agent_hands_over_after_repeated_failures(
    ai: FakeOpenAI, provider: Callable[..., OpenAICompatibleProvider]
) -> None:
    ai.fail_next(503, times=2)
    first = await ai_agent_turn(
        provider(), "Help.", HISTORY, fallback=FALLBACK, handover_text="Human now."
    )
    assert (first.action, first.text, first.used_fallback) == ("reply", FALLBACK, True)
    second = await ai_agent_turn(
        provider(),
        "Help.",
        HISTORY,
        fallback=FALLBACK,
        handover_text="Human now.",
        failures_in_row=1,
    )
    assert (second.action, second.text) == ("hand_over", "Human now.")
    assert "HTTP 503" in (second.reason or "")
