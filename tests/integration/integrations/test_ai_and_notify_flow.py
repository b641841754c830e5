"""AI replies, the ai_agent assignee, e-mail notifications and webhooks through the runner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bot.core.clock import FakeClock
from integrations.webhook import verify_signature
from tests.fakes.base import FakeServer, Recorded
from tests.fakes.openai import FakeOpenAI
from tests.fakes.smtp import FakeSMTP
from tests.harness import Harness
from tests.integration.runner.flows import add_agent

from .flows import start, tags

AI_FLOW = """
name: ai-hello
trigger: {event: conversation.created}
steps:
  - type: send_message
    text: "Hello! How can I help?"
    ai: {instructions: "Greet the customer warmly."}
"""
AGENT_FLOW = """
name: ai-desk
trigger: {event: conversation.created}
steps:
  - {type: assign_to, ai_agent: "You answer questions about our shop."}
"""
NOTIFY_FLOW = """
name: tell-the-team
trigger: {event: conversation.created}
steps:
  - type: send_notification
    to: {email: "team@example.com"}
    via: [email]
    text: "New chat from {{ contact.name }}"
  - type: send_webhook
    url: "{{ vars.hook }}"
    secret: hook-secret
    body: {conversation: "{{ conversation.id }}"}
"""


def write(tmp_path: Path, text: str, name: str = "flow.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
async def ai() -> AsyncIterator[FakeOpenAI]:
    server = FakeOpenAI(api_key="sk-flow")
    async with server:
        yield server


async def ai_bot(url: str, clock: FakeClock, ai: FakeOpenAI, flow: Path) -> Harness:
    return await start(url, clock, flow, AI_API_BASE_URL=ai.base_url, AI_API_KEY="sk-flow")


async def test_ai_reply_is_generated_once(
    database_url: str, clock: FakeClock, ai: FakeOpenAI, tmp_path: Path
) -> None:
    bot = await ai_bot(database_url, clock, ai, write(tmp_path, AI_FLOW))
    try:
        ai.reply_with("Hi Ada, welcome!")
        await bot.say("hello")
        assert bot.take() == ["Hi Ada, welcome!"]
        (request,) = ai.received()
        assert request.json()["messages"][0] == {
            "role": "system",
            "content": "Greet the customer warmly.",
        }
        await bot.settle()
        assert len(ai.received()) == 1
        assert any(log.message == "ai reply: generated" for log in await bot.logs())
    finally:
        await bot.services.close()


async def test_ai_failure_sends_the_fallback(
    database_url: str, clock: FakeClock, ai: FakeOpenAI, tmp_path: Path
) -> None:
    bot = await ai_bot(database_url, clock, ai, write(tmp_path, AI_FLOW))
    try:
        ai.fail_next(500)
        await bot.say("hello")
        assert bot.take() == ["Hello! How can I help?"]
        assert any(log.message.startswith("ai reply: fallback") for log in await bot.logs())
    finally:
        await bot.services.close()


async def test_without_ai_settings_the_fallback_goes_out(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start(database_url, clock, write(tmp_path, AI_FLOW))
    try:
        await bot.say("hello")
        assert bot.take() == ["Hello! How can I help?"]
    finally:
        await bot.services.close()


async def test_ai_agent_answers_until_a_human_is_asked_for(
    database_url: str, clock: FakeClock, ai: FakeOpenAI, tmp_path: Path
) -> None:
    bot = await ai_bot(database_url, clock, ai, write(tmp_path, AGENT_FLOW))
    try:
        ai.reply_with("We ship in 2 days.")
        await bot.say("how fast do you ship?")
        assert bot.take() == ["We ship in 2 days."]
        assert (
            ai.received()[0].json()["messages"][0]["content"]
            == "You answer questions about our shop."
        )
        await bot.say("can I talk to a human please")
        assert bot.take() == [
            "I'll bring in a colleague who can help you further. Someone will answer here soon."
        ]
        assert await tags(bot) == ["needs-human"]
        await bot.say("hello?")
        assert bot.take() == []
        assert len(ai.received()) == 1
    finally:
        await bot.services.close()


async def test_ai_agent_hands_over_after_failing_twice(
    database_url: str, clock: FakeClock, ai: FakeOpenAI, tmp_path: Path
) -> None:
    bot = await ai_bot(database_url, clock, ai, write(tmp_path, AGENT_FLOW))
    try:
        ai.fail_next(503, times=2)
        await bot.say("question one")
        assert bot.take() == ["Sorry, I couldn't answer that just now."]
        await bot.say("question two")
        assert bot.take() == [
            "I'll bring in a colleague who can help you further. Someone will answer here soon."
        ]
        assert await tags(bot) == ["needs-human"]
    finally:
        await bot.services.close()


class Receiver(FakeServer):
    def __init__(self) -> None:
        super().__init__()

        async def ok(request: web.Request, recorded: Recorded) -> web.Response:
            return web.Response(status=204)

        self.route("POST", "/hook", ok)


async def test_notification_email_and_signed_webhook(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with FakeSMTP() as smtp, Receiver() as hook:
        flow = NOTIFY_FLOW.replace("{{ vars.hook }}", f"{hook.url}/hook")
        bot = await start(
            database_url,
            clock,
            write(tmp_path, flow),
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp.port,
            SMTP_FROM="bot@example.com",
            SMTP_STARTTLS=False,
        )
        try:
            await bot.say("hello")
            (mail,) = smtp.messages
            assert mail.message["To"] == "team@example.com"
            assert mail.message["Subject"] == "New chat from Ada"
            (got,) = hook.received("/hook")
            assert verify_signature(
                "hook-secret", got.headers["X-Relaybot-Signature"], got.body, clock.now()
            )
            assert got.json()["conversation"]
        finally:
            await bot.services.close()


async def test_email_not_configured_is_reported(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    flow = NOTIFY_FLOW.replace("{{ vars.hook }}", "http://127.0.0.1:9/hook")
    bot = await start(database_url, clock, write(tmp_path, flow))
    try:
        await bot.say("hello")
        assert any(
            "e-mail notifications are not configured" in log.message for log in await bot.logs()
        )
    finally:
        await bot.services.close()


ROLE_FLOW = """
name: vip-alert
trigger: {event: conversation.created}
steps:
  - id: tell
    type: send_notification
    to: {role: sales_manager}
    via: [slack, email]
    text: "VIP chat from {{ contact.name }}"
"""


async def test_email_goes_out_when_slack_cannot_be_used(
    database_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    async with FakeSMTP() as smtp:
        bot = await start(
            database_url,
            clock,
            write(tmp_path, ROLE_FLOW),
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=smtp.port,
            SMTP_FROM="bot@example.com",
            SMTP_STARTTLS=False,
        )
        try:
            await add_agent(bot, "Mia", roles=["sales_manager"])
            await bot.say("hello")
            await bot.settle()
            (mail,) = smtp.messages
            assert mail.message["To"] == "mia@example.com"
            assert mail.message["Subject"] == "VIP chat from Ada"
            (run,) = await bot.runs()
            errors = [
                (log.step_id, log.message) for log in await bot.logs(run.id) if log.kind == "error"
            ]
            assert errors == [
                (
                    "tell",
                    "notification via slack not sent: Slack notifications are not configured "
                    "(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)",
                )
            ]
        finally:
            await bot.services.close()
