"""Outbound shaping for Telegram: text limits and inline keyboards."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from workflows.message_parts import Choice

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split ``text`` into chunks of at most ``limit`` characters, on word boundaries.

    Prefers a paragraph or line break in the second half of a chunk, then a space; a single word longer than
    ``limit`` is cut hard. Whitespace at a cut is dropped.
    """
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = _cut_point(rest[: limit + 1], limit)
        if cut <= 0:
            chunks.append(rest[:limit])
            rest = rest[limit:]
            continue
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not chunks:
        chunks.append(rest)
    return chunks


def _cut_point(window: str, limit: int) -> int:
    """Where to cut: a paragraph or line break in the second half, else the last space."""
    for separator in ("\n\n", "\n"):
        cut = window.rfind(separator)
        if cut >= limit // 2:
            return cut
    return max(window.rfind(" "), window.rfind("\n"))


def callback_data(choice: Choice, position: int) -> str:
    """The choice's value, or its 1-based position when the value exceeds 64 bytes.

    The pressed button's label also comes back as the message text, so a
    workflow can always match the label.
    """
    if len(choice.value.encode("utf-8")) <= MAX_CALLBACK_DATA:
        return choice.value
    return str(position)


def inline_keyboard(choices: list[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row, in the given order; ``None`` when there are no choices."""
    if not choices:
        return None
    rows = [
        [InlineKeyboardButton(text=choice.label, callback_data=callback_data(choice, number))]
        for number, choice in enumerate(choices, start=1)
    ]
    return InlineKeyboardMarkup(rows)


def is_photo(url: str) -> bool:
    path = url.split("?", 1)[0].split("#", 1)[0].lower()
    return path.endswith(PHOTO_SUFFIXES)
