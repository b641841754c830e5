"""A terminal chat session for tests: its printed lines recorded, lines typed from a queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

QUESTION = "What is your order number?"
TIMED_OUT = "No answer in time, bye."
ASKING = f"""
name: ask-with-timeout
trigger: {{event: conversation.created}}
steps:
  - type: ask_question
    question: "{QUESTION}"
    timeout: 20s
    exits: {{timeout: late}}
  - {{type: close_conversation}}
  - {{id: late, type: send_message, text: "{TIMED_OUT}"}}
"""
"""A question that times out after 20 seconds and says so."""


def workflows(tmp_path: Path) -> Path:
    """A workflow folder holding :data:`ASKING`."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "ask.yaml").write_text(ASKING)
    return folder


class Terminal:
    """What the chat printed, and lines for it to read."""

    def __init__(self) -> None:
        self.printed: list[str] = []
        self.typed: asyncio.Queue[str | None] = asyncio.Queue()
        self._changed = asyncio.Event()

    def write(self, line: str) -> None:
        self.printed.append(line)
        self._changed.set()

    async def read(self) -> str | None:
        return await self.typed.get()

    async def seen(self, text: str, bound: float = 10.0) -> None:
        """Wait until a printed line contains ``text`` (``bound``: a safety limit only)."""
        async with asyncio.timeout(bound):
            while not any(text in line for line in self.printed):
                self._changed.clear()
                await self._changed.wait()
