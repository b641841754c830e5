"""send_message and every exit of ask_question, through the runner and a recording channel."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.core.errors import ForbiddenError
from bot.core.messages import OutboundMessage, SendResult
from bot.pipeline.services import Services
from bot.storage.models import Contact, Message, MessagePart
from channels.testing import RecordingChannel
from tests.integration.runner.flows import exits, start

QUESTION = """
name: ask
trigger: {event: conversation.created}
steps:
  - id: q
    type: ask_question
    question: "How many seats?"
    answer_type: number
    validation: {min: 1, max: 50}
    retry_message: "A number from 1 to 50, please."
    max_attempts: 2
    timeout: 10m
    save_to: vars.seats
    exits: {invalid: bad, timeout: late, delivery_failed: gone}
  - {type: send_message, text: "Seats: {{ vars.seats }}", next: end}
  - {id: bad, type: send_message, text: "Let me get a colleague.", next: end}
  - {id: late, type: send_message, text: "Still there?", next: end}
  - {id: gone, type: set_variable, name: unreachable, value: "1"}
"""


async def test_send_message_text_choices_media(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: hello
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: "Hi {{ contact.name }} on {{ conversation.channel }}"}
          - type: send_message
            text: "Pick one"
            choices: [{label: Sales, value: sales}, {label: Support, value: support}]
          - {type: send_message, text: "Our menu", media_url: "https://example.com/menu.png"}
        """,
    )
    await bot.say("hi", name="Ada")
    assert bot.take() == ["Hi Ada on test", "Pick one", "Our menu"]
    _, choices, media = bot.channel.sent
    assert [(c.label, c.value) for c in choices.choices] == [
        ("Sales", "sales"),
        ("Support", "support"),
    ]
    assert media.media_url == "https://example.com/menu.png"
    (run,) = await bot.runs()
    assert run.status == "completed"


async def test_missing_template_variable_renders_empty_and_is_logged(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: hello
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: "Order [{{ vars.order_id }}] for {{ contact.name | default: 'you' }}"}
        """,
    )
    await bot.say("hi")
    assert bot.take() == ["Order [] for Ada"]
    (run,) = await bot.runs()
    (missing,) = [log for log in await bot.logs(run.id) if "rendered empty" in log.message]
    assert missing.step_id == "step-1" and missing.data["missing"] == ["vars.order_id"]


async def test_ask_question_answered_saves_to_vars(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, QUESTION)
    await bot.say("hi")
    assert bot.take() == ["How many seats?"]
    await bot.say("12")
    assert bot.take() == ["Seats: 12"]
    (run,) = await bot.runs()
    assert run.status == "completed"
    assert run.state["engine"]["variables"]["seats"] == 12
    assert ("q", "answered") in exits(await bot.logs(run.id))


async def test_ask_question_invalid_after_max_attempts(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, QUESTION)
    await bot.say("hi")
    bot.take()
    await bot.say("lots")
    assert bot.take() == ["A number from 1 to 50, please."]
    await bot.say("99")
    assert bot.take() == ["Let me get a colleague."]
    (run,) = await bot.runs()
    assert ("q", "invalid") in exits(await bot.logs(run.id))
    assert "seats" not in run.state["engine"]["variables"]


async def test_ask_question_timeout(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, QUESTION)
    await bot.say("hi")
    bot.take()
    bot.clock.advance(timedelta(minutes=9))
    await bot.settle()
    assert bot.take() == []
    bot.clock.advance(timedelta(minutes=2))
    await bot.settle()
    assert bot.take() == ["Still there?"]
    (run,) = await bot.runs()
    assert run.status == "completed"
    assert ("q", "timeout") in exits(await bot.logs(run.id))
    await bot.say("5")  # a late answer starts nothing and answers nothing
    assert bot.take() == []


async def test_ask_question_delivery_failed(services: Services, tmp_path: Path) -> None:
    bot = await start(services, tmp_path, QUESTION)
    bot.channel.fail_next(ForbiddenError("bot was blocked by the user", recipient_unreachable=True))
    await bot.say("hi")
    assert bot.take() == []
    (run,) = await bot.runs()
    assert run.status == "completed"
    assert run.state["engine"]["variables"]["unreachable"] == "1"
    assert ("q", "delivery_failed") in exits(await bot.logs(run.id))


async def test_ask_question_saves_to_contact_field(services: Services, tmp_path: Path) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: email
        trigger: {event: conversation.created}
        steps:
          - {type: ask_question, question: "Your e-mail?", answer_type: email, save_to: contact.email}
          - {type: send_message, text: "Thanks, {{ contact.email }}"}
        """,
    )
    await bot.say("hi")
    await bot.say("ada@example.com")
    assert bot.take() == ["Your e-mail?", "Thanks, ada@example.com"]
    async with services.db.session() as session:
        contact = await session.scalar(select(Contact))
    assert contact is not None and contact.email == "ada@example.com"


async def test_each_sent_message_records_its_platform_ids_and_status(
    services: Services, tmp_path: Path
) -> None:
    bot = await start(
        services,
        tmp_path,
        """
        name: two
        trigger: {event: conversation.created}
        steps:
          - {type: send_message, text: "short"}
          - {type: send_message, text: "long enough to go in two parts"}
        """,
    )

    async def send_in_parts(message: OutboundMessage) -> SendResult:
        sent = await RecordingChannel.send(bot.channel, message)
        if (message.text or "").startswith("long"):
            return SendResult(external_message_ids=[*sent.external_message_ids, "part-2"])
        return sent

    bot.channel.send = send_in_parts  # type: ignore[method-assign]
    await bot.say("hi")
    async with services.db.read() as session:
        out = {
            m.text: (m.external_id, m.delivery_status)
            for m in await session.scalars(select(Message).where(Message.direction == "out"))
        }
        parts = sorted((await session.execute(select(MessagePart.external_id))).scalars())
    assert out == {
        "short": ("test-1", "sent"),
        "long enough to go in two parts": ("test-2,part-2", "sent"),
    }
    assert parts == ["part-2", "test-2"]
