"""The frames a browser sends (validated here) and the ones the server sends back."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from bot.core.messages import OutboundMessage
from channels.widget.errors import BadFrame

ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
BEHAVIOR_EVENTS = {
    "rage_click": "visitor.rage_click",
    "idle": "visitor.idle",
    "form_frustration": "visitor.form_frustration",
}


class _Frame(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UserIdentity(_Frame):
    id: Annotated[str, Field(min_length=1, max_length=200)]
    hash: Annotated[str, Field(max_length=200)] = ""
    name: Annotated[str | None, Field(max_length=200)] = None
    email: Annotated[str | None, Field(max_length=320)] = None


class Hello(_Frame):
    """First frame on a socket (and the body of ``POST /widget/session``)."""

    type: Literal["hello"] = "hello"
    token: Annotated[str | None, Field(max_length=1000)] = None
    user: UserIdentity | None = None
    page: Annotated[str | None, Field(max_length=2000)] = None


class TextFrame(_Frame):
    type: Literal["message"]
    client_id: ClientId
    text: str
    page: Annotated[str | None, Field(max_length=2000)] = None


class ChoiceFrame(_Frame):
    type: Literal["choice"]
    client_id: ClientId
    value: Annotated[str, Field(min_length=1, max_length=256)]
    label: Annotated[str, Field(max_length=256)] = ""


class EventFrame(_Frame):
    type: Literal["event"]
    event: Literal["rage_click", "idle", "form_frustration"]
    url: Annotated[str, Field(max_length=2000)] = ""
    selector: Annotated[str, Field(max_length=500)] = ""
    details: dict[str, Any] = Field(default_factory=dict)


class PingFrame(_Frame):
    type: Literal["ping"]


ClientFrame = Annotated[
    TextFrame | ChoiceFrame | EventFrame | PingFrame | Hello, Field(discriminator="type")
]
_frame_adapter: TypeAdapter[ClientFrame] = TypeAdapter(ClientFrame)


def parse_frame(raw: str | bytes | dict[str, Any]) -> ClientFrame:
    """One client frame, or :class:`BadFrame` saying what is wrong."""
    try:
        if isinstance(raw, dict):
            return _frame_adapter.validate_python(raw)
        return _frame_adapter.validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "frame"
        raise BadFrame(f"{where}: {first['msg']}") from exc


def parse_hello(raw: str | bytes | dict[str, Any]) -> Hello:
    frame = parse_frame(raw)
    if not isinstance(frame, Hello):
        raise BadFrame("the first frame must be a hello")
    return frame


def outbound_dict(message: OutboundMessage, message_id: str, created_at: str) -> dict[str, Any]:
    """An outbound message as the browser renders it (same shape as history entries)."""
    meta = message.metadata
    return {
        "id": message_id,
        "direction": "out",
        "sender_kind": str(meta.get("sender_kind", "bot")),
        "sender_name": meta.get("sender_name"),
        "text": message.text,
        "choices": [{"label": c.label, "value": c.value} for c in message.choices],
        "input_type": message.input_type,
        "media_url": message.media_url,
        "created_at": created_at,
        "proactive": bool(meta.get("proactive", False)),
    }


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message, **extra}
