"""Condition definitions: nestable `all` / `any` groups of `{field, op, value}` rules."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from workflows.paths import CONTEXT_ROOTS

Operator = Literal[
    "eq", "ne", "gt", "gte", "lt", "lte", "contains", "not_contains",
    "in", "not_in", "starts_with", "ends_with", "matches", "exists",
]  # fmt: skip


class Rule(BaseModel):
    """One comparison: the value at ``field`` against ``value`` with ``op``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    op: Operator
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_root(cls, field: str) -> str:
        root, _, rest = field.partition(".")
        if root not in CONTEXT_ROOTS or not rest:
            roots = ", ".join(f"{r}." for r in CONTEXT_ROOTS)
            raise ValueError(f"unknown field {field!r}: fields start with one of {roots}")
        return field

    @model_validator(mode="after")
    def _value_fits_op(self) -> Rule:
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs a list value")
        if self.op == "matches":
            if not isinstance(self.value, str):
                raise ValueError("op 'matches' needs a regular expression string")
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"bad regular expression {self.value!r}: {exc}") from exc
        if self.op == "exists" and self.value is not None and not isinstance(self.value, bool):
            raise ValueError("op 'exists' takes true, false or no value")
        return self


def _member_kind(value: Any) -> str:
    if isinstance(value, Rule) or (isinstance(value, dict) and "field" in value):
        return "rule"
    return "group"


Member = Annotated[
    Annotated[Rule, Tag("rule")] | Annotated["Group", Tag("group")],
    Discriminator(_member_kind),
]


class Group(BaseModel):
    """All of (``all``) or any of (``any``) its members; members nest."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    all_: list[Member] | None = Field(default=None, alias="all")
    any_: list[Member] | None = Field(default=None, alias="any")

    @model_validator(mode="before")
    @classmethod
    def _list_means_all(cls, data: Any) -> Any:
        if isinstance(data, list):
            return {"all": data}
        if isinstance(data, dict) and "field" in data:
            return {"all": [data]}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> Group:
        if (self.all_ is None) == (self.any_ is None):
            raise ValueError("a condition group has exactly one of 'all' or 'any'")
        return self

    @property
    def mode(self) -> Literal["all", "any"]:
        return "all" if self.all_ is not None else "any"

    @property
    def members(self) -> list[Rule | Group]:
        return self.all_ if self.all_ is not None else (self.any_ or [])
