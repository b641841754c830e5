"""Twilio WhatsApp webhook form -> :class:`InboundMessage`. Payload shapes stay here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.core.clean import clean_inbound
from bot.core.messages import InboundMessage, Location, Media, MessageKind, SenderProfile

CHANNEL = "whatsapp"
PREFIX = "whatsapp:"
_MEDIA_KINDS: dict[str, Any] = {"image": "image", "audio": "audio", "video": "video"}
MAX_TEXT = 4096
"""WhatsApp's limit on a text message's body; longer bodies are cut."""


def form_to_inbound(form: Mapping[str, str], now: datetime) -> InboundMessage | None:
    """Normalize one incoming-message webhook, its text cleaned and cut at :data:`MAX_TEXT`;
    ``None`` when it carries no message."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid")
    sender = form.get("From", "")
    if not sid or not sender:
        return None
    text = form.get("Body") or None
    media = _media(form)
    location = _location(form)
    payload = form.get("ButtonPayload") or form.get("ListId") or None
    kind: MessageKind = "text"
    if payload is not None:
        kind = "button"
        text = form.get("ButtonText") or form.get("ListTitle") or text
    elif location is not None:
        kind = "location"
    elif media:
        kind = "media"
    phone = _phone(sender, form.get("WaId"))
    message = InboundMessage(
        channel=CHANNEL,
        external_conversation_id=sender,
        external_message_id=sid,
        sender=SenderProfile(external_id=sender, name=form.get("ProfileName") or None, phone=phone),
        kind=kind,
        text=text,
        payload=payload,
        media=media,
        location=location,
        received_at=now,
        metadata=_metadata(form),
    )
    return clean_inbound(message, MAX_TEXT)


def _phone(sender: str, wa_id: str | None) -> str | None:
    if wa_id:
        return "+" + wa_id.lstrip("+")
    number = sender.removeprefix(PREFIX)
    return number if number.startswith("+") else None


def _media(form: Mapping[str, str]) -> list[Media]:
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        count = 0
    items = []
    for index in range(count):
        url = form.get(f"MediaUrl{index}")
        if not url:
            continue
        content_type = form.get(f"MediaContentType{index}") or None
        major = (content_type or "").split("/", 1)[0]
        kind = _MEDIA_KINDS.get(major, "document" if content_type else "file")
        items.append(Media(kind=kind, url=url, content_type=content_type))
    return items


def _location(form: Mapping[str, str]) -> Location | None:
    latitude, longitude = form.get("Latitude"), form.get("Longitude")
    if not latitude or not longitude:
        return None
    try:
        return Location(
            latitude=float(latitude),
            longitude=float(longitude),
            label=form.get("Label") or form.get("Address") or None,
        )
    except ValueError:
        return None


def _metadata(form: Mapping[str, str]) -> dict[str, Any]:
    keys = ("To", "WaId", "MessagingServiceSid", "MessageType", "OriginalRepliedMessageSid")
    return {key: form[key] for key in keys if form.get(key)}
