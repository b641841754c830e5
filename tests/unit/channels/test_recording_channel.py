"""The recording channel is a faithful Channel for tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core.channel import Channel
from bot.core.errors import RateLimitedError
from bot.core.messages import OutboundMessage
from channels.testing import RecordingChannel


def msg(text: str, conversation: str = "c1") -> OutboundMessage:
    return OutboundMessage(channel="test", external_conversation_id=conversation, text=text)


async def test_records_sends_and_scripted_failures() -> None:
    channel = RecordingChannel()
    assert isinstance(channel, Channel)
    channel.fail_next(RateLimitedError("slow down", retry_after=2))
    with pytest.raises(RateLimitedError):
        await channel.send(msg("one"))
    result = await channel.send(msg("one"))
    await channel.send(msg("two", "c2"))
    assert result.external_message_ids == ["test-1"]
    assert channel.texts() == ["one", "two"]
    assert channel.texts("c2") == ["two"]
    assert len(channel.attempts) == 3
    await channel.close()
    assert channel.closed


def test_window() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    assert RecordingChannel().can_send_freeform(None, now)
    whatsapp_like = RecordingChannel("whatsapp", window=timedelta(hours=24))
    assert not whatsapp_like.can_send_freeform(None, now)
    assert whatsapp_like.can_send_freeform(now - timedelta(hours=1), now)
    assert not whatsapp_like.can_send_freeform(now - timedelta(hours=24), now)
