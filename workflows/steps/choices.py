"""Quick-reply choices as workflow files write them: `"Billing"` or `{label, value}`."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from workflows.message_parts import Choice


class ChoiceDef(BaseModel):
    """A choice; the value defaults to the label."""

    model_config = ConfigDict(extra="forbid")

    label: str
    value: str

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str | int | float):
            return {"label": str(data), "value": str(data)}
        if isinstance(data, dict) and "label" in data and "value" not in data:
            return {**data, "value": str(data["label"])}
        return data

    def to_choice(self) -> Choice:
        return Choice(label=self.label, value=self.value)
