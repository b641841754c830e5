"""The parts of a customer message a workflow composes: quick-reply choices and platform
templates. Channels render them; the engine only names them."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Choice(BaseModel):
    """A quick-reply option: what the customer sees and what comes back when pressed."""

    model_config = ConfigDict(frozen=True)

    label: str
    value: str


class Template(BaseModel):
    """A pre-approved platform template (WhatsApp ``ContentSid`` and variables)."""

    content_sid: str
    variables: dict[str, str] = Field(default_factory=dict)
