"""The scale-out suite needs PostgreSQL: it is skipped, saying so, without it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.db_support import POSTGRES_URL_VAR, postgres_url
from tests.fakes.telegram import TelegramFake

ECHO = """\
name: echo
trigger: {event: message.received}
steps:
  - {type: send_message, text: "echo {{ message.text }}"}
"""

REMINDER = """\
name: reminder-{name}
trigger: {{event: conversation.created}}
steps:
  - {{type: wait, duration: 1h}}
  - {{type: send_message, text: "reminder {name}"}}
"""


@pytest.fixture
def base_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip(
            f"the scale-out suite runs several processes on PostgreSQL: set {POSTGRES_URL_VAR}"
        )
    return url


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """An echo for every message, and two reminders an hour after a chat starts."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "echo.yaml").write_text(ECHO)
    for name in ("a", "b"):
        (folder / f"reminder-{name}.yaml").write_text(REMINDER.format(name=name))
    return folder


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramFake]:
    fake = TelegramFake()
    await fake.start()
    yield fake
    await fake.stop()
