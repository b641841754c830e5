"""Major units (what people write: ``12.50``) to Stripe's minor units (``1250``) and back."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies Stripe treats as zero-decimal or three-decimal.
ZERO_DECIMAL = frozenset(
    [
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    ]
)
THREE_DECIMAL = frozenset(["bhd", "jod", "kwd", "omr", "tnd"])


class InvalidAmount(ValueError):
    """The amount is not a positive number with the currency's precision."""


def exponent(currency: str) -> int:
    code = currency.lower()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def parse_amount(value: object) -> Decimal:
    """A positive, finite Decimal from ``12.5``, ``"12.50"`` or ``Decimal``; floats via str."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"{value!r} is not an amount") from exc
    if not amount.is_finite() or amount <= 0:
        raise InvalidAmount(f"{value!r} is not a positive amount")
    return amount


def to_minor(amount: Decimal, currency: str) -> int:
    """``Decimal("12.50"), "usd"`` -> ``1250``; refuses sub-unit precision (``12.505``)."""
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{amount} has more decimals than {currency.upper()} allows")
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    """``1250, "usd"`` -> ``Decimal("12.50")``."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_money(amount: Decimal, currency: str) -> str:
    return f"{amount:.{exponent(currency)}f} {currency.upper()}"
