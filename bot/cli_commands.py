"""Commands contributed by other parts (workflows, channels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.cli import Registrar

REGISTRARS: list[Registrar] = []
