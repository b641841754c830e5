"""Channel-neutral message shapes: what every channel turns traffic into, and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.message_parts import Choice, Template

MessageKind = Literal["text", "button", "media", "location", "contact", "start", "event"]


class SenderProfile(BaseModel):
    """Who wrote, as the platform describes them."""

    model_config = ConfigDict(frozen=True)

    external_id: str
    name: str | None = None
    username: str | None = None
    phone: str | None = None
    email: str | None = None
    locale: str | None = None


class Media(BaseModel):
    """A reference to an attachment kept on the platform (never downloaded eagerly)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["image", "document", "audio", "video", "voice", "sticker", "file"] = "file"
    url: str | None = None
    file_id: str | None = None
    content_type: str | None = None
    filename: str | None = None


class Location(BaseModel):
    model_config = ConfigDict(frozen=True)

    latitude: float
    longitude: float
    label: str | None = None


class InboundMessage(BaseModel):
    """One customer message, normalized. ``(channel, external_message_id)`` is unique."""

    channel: str
    external_conversation_id: str
    external_message_id: str
    sender: SenderProfile
    kind: MessageKind = "text"
    text: str | None = None
    payload: str | None = None
    media: list[Media] = Field(default_factory=list)
    location: Location | None = None
    start_param: str | None = None
    received_at: datetime | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class OutboundMessage(BaseModel):
    """One message to a customer on one channel."""

    channel: str
    external_conversation_id: str
    text: str = ""
    choices: list[Choice] = Field(default_factory=list)
    media_url: str | None = None
    template: Template | None = None
    input_type: str | None = None
    conversation_id: int | None = None
    message_id: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class SendResult(BaseModel):
    """What the platform said about a successful send."""

    external_message_ids: list[str] = Field(default_factory=list)
    status: str = "sent"
