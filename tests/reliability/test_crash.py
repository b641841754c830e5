"""The real server, SIGKILLed at random moments under a steady load of signed Telegram updates.

What is checked, after the load and a settle (see :mod:`tests.reliability.crashkit`):

- every acknowledged (200) update's message is in the messages table exactly once;
- no run is left ``running`` or ``calling``; each waiting run waits at a step of the
  kind it waits for (an answer at an ``ask_question``, ...) and has its pending timer;
  each conversation has a support run, and no event started two;
- every outbox item is done and each queued message reached the fake Telegram API
  (matched by chat and text);
- duplicate sends, i.e. sends of one outbox item beyond the first (counted per chat
  and text), are no more than the number of kills.
"""

from __future__ import annotations

from pathlib import Path

from tests.reliability.crashkit import CrashPlan, run_crash


async def test_nothing_acknowledged_is_lost_across_kills(tmp_path: Path) -> None:
    plan = CrashPlan(messages=250, kills=10, chats=50, rate=60.0, seed=8)
    result = await run_crash(plan, tmp_path)
    assert not result.problems, "\n".join(result.problems)
    assert result.kills == plan.kills
    assert result.acknowledged == plan.messages
    assert result.stored_messages == plan.messages
    assert result.duplicate_sends <= result.kills
    assert result.sends >= result.outbox_items > 0
