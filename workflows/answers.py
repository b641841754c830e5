"""Checking a customer's answer against a question's type and validation rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from urllib.parse import urlparse

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator

from workflows.message_parts import Choice
from workflows.values import to_decimal

AnswerType = Literal[
    "text", "number", "email", "phone", "date", "choice", "yes_no", "url", "rating"
]
_YES = {"yes", "y", "1", "true", "si", "sí", "ja", "oui", "yeah", "yep", "ok"}
_NO = {"no", "n", "0", "false", "nope", "nein", "non"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %B %Y", "%d %b %Y",
                 "%B %d, %Y", "%b %d, %Y", "%B %d %Y")  # fmt: skip


class Validation(BaseModel):
    """Extra rules: number/rating/date bounds, text length, a regex, a phone region."""

    model_config = ConfigDict(extra="forbid")

    min: Decimal | date | None = None
    max: Decimal | date | None = None
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1)
    pattern: str | None = None
    region: str | None = Field(default=None, description="default phone region, e.g. US")

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regular expression {pattern!r}: {exc}") from exc
        return pattern


@dataclass(frozen=True)
class Checked:
    """An accepted answer's normalized value, or why it was refused."""

    ok: bool
    value: Any = None
    reason: str | None = None


def check_answer(
    answer_type: AnswerType,
    text: str | None,
    payload: str | None,
    choices: list[Choice],
    rules: Validation | None,
) -> Checked:
    rules = rules or Validation()
    raw = (text if text is not None else payload or "").strip()
    if not raw and not payload:
        return Checked(False, reason="empty answer")
    if rules.min_length is not None and len(raw) < rules.min_length:
        return Checked(False, reason=f"shorter than {rules.min_length} characters")
    if rules.max_length is not None and len(raw) > rules.max_length:
        return Checked(False, reason=f"longer than {rules.max_length} characters")
    if rules.pattern is not None and not re.fullmatch(rules.pattern, raw):
        return Checked(False, reason="does not match the expected pattern")
    return _CHECKERS[answer_type](raw, payload, choices, rules)


def _text(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    return Checked(True, raw)


def _number(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    cleaned = raw.replace(" ", "")
    if "," in cleaned and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    number = to_decimal(cleaned.replace(",", ""))
    if number is None:
        return Checked(False, reason="not a number")
    return _bounded(number, rules, _plain_number(number))


def _rating(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    stars = raw.count("⭐") + raw.count("★")
    number = Decimal(stars) if stars else to_decimal(payload or raw)
    if number is None or number != number.to_integral_value():
        return Checked(False, reason="not a whole-number rating")
    low = rules.min if isinstance(rules.min, Decimal) else Decimal(1)
    high = rules.max if isinstance(rules.max, Decimal) else Decimal(5)
    if not low <= number <= high:
        return Checked(False, reason=f"rating must be between {low} and {high}")
    return Checked(True, int(number))


def _bounded(value: Any, rules: Validation, normalized: Any) -> Checked:
    low: Any = rules.min
    high: Any = rules.max
    if low is not None and type(low) is type(value) and value < low:
        return Checked(False, reason=f"less than {low}")
    if high is not None and type(high) is type(value) and value > high:
        return Checked(False, reason=f"more than {high}")
    return Checked(True, normalized)


def _plain_number(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _email(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        return Checked(False, reason=str(exc))
    return Checked(True, result.normalized)


def _phone(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    try:
        number = phonenumbers.parse(raw, rules.region)
    except phonenumbers.NumberParseException as exc:
        return Checked(False, reason=f"not a phone number ({exc})")
    if not phonenumbers.is_valid_number(number):
        return Checked(False, reason="not a valid phone number")
    return Checked(True, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _date(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        return _bounded(parsed, rules, parsed.isoformat())
    return Checked(False, reason="not a date (try YYYY-MM-DD or DD/MM/YYYY)")


def _choice(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    for candidate in (payload, raw):
        if not candidate:
            continue
        folded = candidate.strip().casefold()
        for choice in choices:
            if folded in (choice.value.casefold(), choice.label.casefold()):
                return Checked(True, choice.value)
        if folded.isdigit() and 1 <= int(folded) <= len(choices):
            return Checked(True, choices[int(folded) - 1].value)
    return Checked(False, reason="not one of the choices")


def _yes_no(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    for candidate in (payload, raw):
        folded = (candidate or "").strip().strip(".!").casefold()
        if folded in _YES:
            return Checked(True, True)
        if folded in _NO:
            return Checked(True, False)
    return Checked(False, reason="not yes or no")


def _url(raw: str, payload: str | None, choices: list[Choice], rules: Validation) -> Checked:
    candidate = raw if "://" in raw else f"https://{raw}"
    parsed = urlparse(candidate)
    host = parsed.hostname or ""
    if parsed.scheme not in ("http", "https") or "." not in host or " " in raw:
        return Checked(False, reason="not a web address")
    return Checked(True, candidate)


_CHECKERS = {
    "text": _text,
    "number": _number,
    "email": _email,
    "phone": _phone,
    "date": _date,
    "choice": _choice,
    "yes_no": _yes_no,
    "url": _url,
    "rating": _rating,
}
