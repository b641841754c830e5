"""Telegram ``Update`` -> :class:`InboundMessage`. Payload shapes stay in this module."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Bot, CallbackQuery, Message, Update, User

from bot.core.messages import InboundMessage, Location, Media, SenderProfile

CHANNEL = "telegram"
MAX_INT = 2**63 - 1
"""Telegram's ids fit in 64 bits (52 in practice)."""
MAX_DATE = 253402300799
"""The last second of the year 9999, the latest a Unix time can be read as a date."""


def shape_problem(update: dict[str, Any]) -> str | None:
    """A cheap look at the fields we read, before the update is acknowledged.

    Catches wrong types where they matter (ids, texts, button data) without a full
    parse; anything subtler is caught when the journaled update is read, and kept
    there with its error.
    """
    problems = [
        _typed(update, "update_id", int, required=True),
        _typed(update, "message", dict),
        _typed(update, "callback_query", dict),
    ]
    message = update.get("message")
    if isinstance(message, dict):
        problems += _message_problems(message, "message")
    query = update.get("callback_query")
    if isinstance(query, dict):
        problems += [
            _typed(query, "id", str, required=True, where="callback_query"),
            _typed(query, "data", str, where="callback_query"),
            _typed(query, "message", dict, where="callback_query"),
            *_user_problems(query.get("from"), "callback_query.from", required=True),
        ]
        if isinstance(query.get("message"), dict):
            problems += _message_problems(query["message"], "callback_query.message")
    for problem in problems:
        if problem is not None:
            return problem
    return None


def _message_problems(message: dict[str, Any], where: str) -> list[str | None]:
    chat = message.get("chat")
    return [
        _typed(message, "message_id", int, required=True, where=where),
        _typed(message, "date", int, required=True, where=where),
        _date_problem(message.get("date"), f"{where}.date"),
        _typed(message, "text", str, where=where),
        _typed(message, "caption", str, where=where),
        _typed(message, "chat", dict, required=True, where=where),
        _typed(chat, "id", int, required=True, where=f"{where}.chat")
        if isinstance(chat, dict)
        else None,
        *_user_problems(message.get("from"), f"{where}.from"),
    ]


def _user_problems(user: object, where: str, required: bool = False) -> list[str | None]:
    if user is None:
        return [f"{where} is missing"] if required else []
    if not isinstance(user, dict):
        return [f"{where} must be an object"]
    return [
        _typed(user, "id", int, required=True, where=where),
        _typed(user, "first_name", str, required=True, where=where),
        _typed(user, "is_bot", bool, where=where),
    ]


def _typed(
    obj: dict[str, Any], key: str, kind: type, required: bool = False, where: str = ""
) -> str | None:
    name = f"{where}.{key}" if where else key
    if key not in obj or obj[key] is None:
        return f"{name} is missing" if required else None
    value = obj[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        return f"{name} must be of type {kind.__name__}"
    if isinstance(value, int) and not -MAX_INT <= value <= MAX_INT:
        return f"{name} is out of range"
    return None


def _date_problem(date: object, where: str) -> str | None:
    if isinstance(date, int) and not 0 <= date <= MAX_DATE:
        return f"{where} is out of range"
    return None


def update_to_inbound(update: Update, now: datetime) -> InboundMessage | None:
    """Normalize one update; ``None`` for updates the product does not use."""
    if update.callback_query is not None:
        return _from_callback(update.update_id, update.callback_query, now)
    if update.message is not None:
        return _from_message(update.update_id, update.message, now)
    return None


def sender_profile(user: User) -> SenderProfile:
    return SenderProfile(
        external_id=str(user.id),
        name=user.full_name or None,
        username=user.username,
        locale=user.language_code,
    )


PLAIN_TEXT_MESSAGE_KEYS = frozenset(
    {
        "message_id",
        "date",
        "chat",
        "from",
        "text",
        "entities",
        "link_preview_options",
        "message_thread_id",
    }
)
"""The keys of a message read as plain text without building the whole ``Message``."""


def plain_text_to_inbound(update: dict[str, Any], bot: Bot, now: datetime) -> InboundMessage | None:
    """A plain text message read without building python-telegram-bot's whole ``Update``.

    Building an ``Update`` sets every one of ``Message``'s hundred-odd fields and was
    the largest single cost of storing a message. A text message's reading needs only
    its sender (still parsed by the library's ``User``), its chat and its text. Returns
    None when the update is anything else; :func:`update_to_inbound` reads those.
    """
    if update.keys() != {"update_id", "message"}:
        return None
    message = update["message"]
    if not isinstance(message, dict) or not PLAIN_TEXT_MESSAGE_KEYS.issuperset(message):
        return None
    text, chat, sender = message.get("text"), message.get("chat"), message.get("from")
    if not isinstance(text, str) or not isinstance(chat, dict) or not isinstance(sender, dict):
        return None
    if not isinstance(chat.get("type"), str):
        return None
    user = User.de_json(sender, bot)
    if user is None or user.is_bot:
        return None
    return _text_message(
        int(update["update_id"]),
        int(message["message_id"]),
        int(chat["id"]),
        chat["type"],
        user,
        text,
        now,
    )


def _from_message(update_id: int, message: Message, now: datetime) -> InboundMessage | None:
    user = message.from_user
    if user is None or user.is_bot:
        return None
    text = message.text
    if text is not None:
        return _text_message(
            update_id, message.message_id, message.chat.id, message.chat.type, user, text, now
        )
    base = _base(update_id, message.message_id, message.chat.id, message.chat.type, user, now)
    if message.location is not None:
        return _location(base, message)
    if message.contact is not None:
        contact = message.contact
        if contact.user_id == user.id:
            base["sender"] = base["sender"].model_copy(update={"phone": contact.phone_number})
        base["metadata"]["contact"] = {
            "phone": contact.phone_number,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "user_id": contact.user_id,
            "own": contact.user_id == user.id,
        }
        return InboundMessage(**base, kind="contact", text=contact.phone_number)
    media = _media(message)
    if media is not None:
        return InboundMessage(**base, kind="media", text=message.caption, media=[media])
    return None


def _base(
    update_id: int, message_id: int, chat_id: int, chat_type: str, user: User, now: datetime
) -> dict[str, Any]:
    """What every message read from a Telegram ``message`` carries."""
    return {
        "channel": CHANNEL,
        "external_conversation_id": str(chat_id),
        "external_message_id": f"update:{update_id}",
        "sender": sender_profile(user),
        "received_at": now,
        "metadata": {"update_id": update_id, "message_id": message_id, "chat_type": str(chat_type)},
    }


def _text_message(
    update_id: int,
    message_id: int,
    chat_id: int,
    chat_type: str,
    user: User,
    text: str,
    now: datetime,
) -> InboundMessage:
    base = _base(update_id, message_id, chat_id, chat_type, user, now)
    start_param = _start_param(text)
    if start_param is not None:
        return InboundMessage(**base, kind="start", text=text, start_param=start_param or None)
    return InboundMessage(**base, kind="text", text=text)


def _start_param(text: str) -> str | None:
    """``"/start abc"`` -> ``"abc"``; ``"/start"`` -> ``""``; anything else -> ``None``."""
    command, _, rest = text.strip().partition(" ")
    if command.split("@", 1)[0] != "/start":
        return None
    return rest.strip()


def _location(base: dict[str, Any], message: Message) -> InboundMessage:
    assert message.location is not None
    label = message.venue.title if message.venue is not None else None
    location = Location(
        latitude=message.location.latitude, longitude=message.location.longitude, label=label
    )
    return InboundMessage(**base, kind="location", location=location)


def _media(message: Message) -> Media | None:
    if message.photo:
        biggest = max(message.photo, key=lambda size: size.width * size.height)
        return Media(kind="image", file_id=biggest.file_id, content_type="image/jpeg")
    if message.document is not None:
        doc = message.document
        return Media(
            kind="document",
            file_id=doc.file_id,
            content_type=doc.mime_type,
            filename=doc.file_name,
        )
    if message.voice is not None:
        return Media(
            kind="voice", file_id=message.voice.file_id, content_type=message.voice.mime_type
        )
    if message.audio is not None:
        audio = message.audio
        return Media(
            kind="audio",
            file_id=audio.file_id,
            content_type=audio.mime_type,
            filename=audio.file_name,
        )
    if message.video is not None:
        return Media(
            kind="video", file_id=message.video.file_id, content_type=message.video.mime_type
        )
    if message.video_note is not None:
        return Media(kind="video", file_id=message.video_note.file_id)
    if message.sticker is not None:
        return Media(kind="sticker", file_id=message.sticker.file_id)
    return None


def _from_callback(update_id: int, query: CallbackQuery, now: datetime) -> InboundMessage | None:
    if query.data is None:
        return None
    chat_id = query.message.chat.id if query.message is not None else query.from_user.id
    label = _button_label(query)
    return InboundMessage(
        channel=CHANNEL,
        external_conversation_id=str(chat_id),
        external_message_id=f"update:{update_id}",
        sender=sender_profile(query.from_user),
        kind="button",
        text=label if label is not None else query.data,
        payload=query.data,
        received_at=now,
        metadata={"update_id": update_id, "callback_query_id": query.id},
    )


def _button_label(query: CallbackQuery) -> str | None:
    """The text of the pressed button, read from the keyboard it was pressed on."""
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == query.data:
                return str(button.text)
    return None
