"""What a visitor's frames do, whatever transport carried them."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.core.clean import TooDeep, clean_inbound, clean_json, clean_text
from bot.core.clock import Clock
from bot.core.errors import StorageTimeout
from bot.core.messages import InboundMessage
from channels.widget.errors import BadFrame, MessageTooLong, ReceiveFailed, WidgetError
from channels.widget.limits import Cooldown, RateLimiter
from channels.widget.protocol import (
    BEHAVIOR_EVENTS,
    ChoiceFrame,
    ClientFrame,
    EventFrame,
    Hello,
    PingFrame,
    TextFrame,
    error_frame,
)
from channels.widget.session import VisitorSession

logger = logging.getLogger(__name__)

CHANNEL = "widget"
Receive = Callable[[InboundMessage], Awaitable[object]]
History = Callable[[str], Awaitable[list[dict[str, Any]]]]
VisitorEvent = Callable[[str, str, dict[str, Any]], Awaitable[None]]
Frame = dict[str, Any]


def external_message_id(visitor_id: str, client_id: str) -> str:
    """Client ids are scoped to their visitor, so no one can collide with another's."""
    return f"{visitor_id}:{client_id}"


class FrameHandler:
    """Turns visitor frames into inbox messages and visitor events; answers with frames."""

    def __init__(
        self,
        clock: Clock,
        receive: Receive,
        visitor_event: VisitorEvent,
        rate: RateLimiter,
        cooldown: Cooldown,
        max_text_length: int,
    ) -> None:
        self._clock = clock
        self._receive = receive
        self._visitor_event = visitor_event
        self._rate = rate
        self._cooldown = cooldown
        self._max_text = max_text_length

    async def handle(self, session: VisitorSession, frame: ClientFrame) -> list[Frame]:
        """The answer frames; a refused frame gives an ``error`` frame, never an exception."""
        client_id = getattr(frame, "client_id", None)
        try:
            return await self._dispatch(session, frame)
        except WidgetError as exc:
            extra: Frame = {"client_id": client_id} if client_id else {}
            retry_after = getattr(exc, "retry_after", None)
            if retry_after is not None:
                extra["retry_after"] = retry_after
            return [error_frame(exc.code, str(exc), **extra)]

    async def _dispatch(self, session: VisitorSession, frame: ClientFrame) -> list[Frame]:
        if isinstance(frame, PingFrame):
            return [{"type": "pong"}]
        if isinstance(frame, Hello):
            raise BadFrame("hello is only valid as the first frame")
        if isinstance(frame, EventFrame):
            return [await self._event(session, frame)]
        return [await self._message(session, frame)]

    async def _message(self, session: VisitorSession, frame: TextFrame | ChoiceFrame) -> Frame:
        if isinstance(frame, TextFrame):
            text = clean_text(frame.text).strip()
            if not text:
                raise BadFrame("text: the message is empty")
            if len(text) > self._max_text:
                raise MessageTooLong(f"Messages are limited to {self._max_text} characters.")
            kind, payload, page = "text", None, frame.page
        else:
            text, kind, payload, page = frame.label or frame.value, "button", frame.value, None
        self._rate.take(session.visitor_id)
        message = clean_inbound(
            InboundMessage(
                channel=CHANNEL,
                external_conversation_id=session.visitor_id,
                external_message_id=external_message_id(session.visitor_id, frame.client_id),
                sender=session.profile(),
                kind=kind,
                text=text,
                payload=payload,
                received_at=self._clock.now(),
                metadata=_metadata(session, page),
            ),
            self._max_text,
        )
        try:
            await self._receive(message)
        except StorageTimeout as exc:
            logger.warning(
                "widget message not stored in time", extra={"visitor_id": session.visitor_id}
            )
            raise ReceiveFailed(exc.retry_after) from exc
        except Exception as exc:
            logger.exception("widget message not stored", extra={"visitor_id": session.visitor_id})
            raise ReceiveFailed from exc
        return {"type": "ack", "client_id": frame.client_id}

    async def _event(self, session: VisitorSession, frame: EventFrame) -> Frame:
        event_type = BEHAVIOR_EVENTS[frame.event]
        try:
            data, _ = clean_json(
                {"url": frame.url, "selector": frame.selector, "details": frame.details}
            )
        except TooDeep as exc:
            raise BadFrame("details: nested too deeply") from exc
        if len(json.dumps(data["details"], default=str)) > 2000:
            raise BadFrame("details: too large")
        answer: Frame = {"type": "event_ack", "event": frame.event}
        if not self._cooldown.ready(f"{session.visitor_id}|{event_type}"):
            return {**answer, "accepted": False, "reason": "cooldown"}
        try:
            await self._visitor_event(session.visitor_id, event_type, data)
        except StorageTimeout as exc:
            logger.warning(
                "visitor event not recorded in time", extra={"visitor_id": session.visitor_id}
            )
            raise ReceiveFailed(exc.retry_after) from exc
        except Exception as exc:
            logger.exception("visitor event not recorded", extra={"visitor_id": session.visitor_id})
            raise ReceiveFailed from exc
        return {**answer, "accepted": True}


def _metadata(session: VisitorSession, page: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"visitor_id": session.visitor_id}
    if session.user_id is not None:
        meta["user_id"] = session.user_id
        meta["identity_verified"] = True
    if page:
        meta["page_url"] = page
    return meta


def public_message(item: dict[str, Any], visitor_id: str) -> Frame:
    """A stored message as the browser renders it (what ``history`` returned, cleaned)."""
    created = item.get("created_at")
    if isinstance(created, datetime):
        created = created.isoformat()
    external = str(item.get("external_message_id") or "")
    prefix = visitor_id + ":"
    return {
        "id": str(item.get("id")),
        "direction": "in" if item.get("direction") == "in" else "out",
        "sender_kind": str(item.get("sender_kind") or "bot"),
        "sender_name": item.get("sender_name"),
        "text": str(item.get("text") or ""),
        "choices": [_choice(c) for c in item.get("choices") or []],
        "input_type": item.get("input_type"),
        "media_url": item.get("media_url"),
        "created_at": created,
        "client_id": external[len(prefix) :] if external.startswith(prefix) else None,
    }


def _choice(choice: Any) -> dict[str, str]:
    if isinstance(choice, dict):
        value = str(choice.get("value", choice.get("label", "")))
        return {"label": str(choice.get("label", value)), "value": value}
    if isinstance(choice, str):
        return {"label": choice, "value": choice}
    return {"label": str(choice.label), "value": str(choice.value)}
