"""A loopback fake of the Stripe API subset relaybot uses: ``POST /v1/refunds``.

Driven by the real ``stripe`` library. Like Stripe it checks the bearer key, honours
``Idempotency-Key`` (same key and parameters -> the stored answer replayed with
``Idempotent-Replayed: true``; same key, other parameters -> ``idempotency_error``)
and answers errors in Stripe's shape.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fakes.base import FakeServer, Fault, Recorded


@dataclass
class Payment:
    intent: str
    charge: str
    amount: int
    currency: str
    refunded: int = 0


def stripe_error(
    status: int, type_: str, message: str, code: str | None = None, param: str | None = None
) -> web.Response:
    error: dict[str, Any] = {"type": type_, "message": message}
    if code:
        error["code"] = code
    if param:
        error["param"] = param
    return web.json_response({"error": error}, status=status, headers={"Request-Id": "req_fake"})


class FakeStripe(FakeServer):
    def __init__(self, api_key: str = "sk_test_fake") -> None:
        super().__init__()
        self.api_key = api_key
        self.payments: list[Payment] = []
        self.refunds: list[dict[str, Any]] = []
        self._stored: dict[str, tuple[dict[str, str], int, Any]] = {}
        self._ids = itertools.count(1)
        self._card_decline: str | None = None
        self._lose_next = 0
        self.route("POST", "/v1/refunds", self._create_refund)

    def add_payment(self, amount: int, currency: str = "usd") -> Payment:
        n = next(self._ids)
        payment = Payment(
            intent=f"pi_{n:04d}", charge=f"ch_{n:04d}", amount=amount, currency=currency
        )
        self.payments.append(payment)
        return payment

    def decline_next(self, code: str = "expired_card") -> None:
        """The next new refund fails with a 402 card_error."""
        self._card_decline = code

    def lose_next_response(self) -> None:
        """Process the next request, store its answer, but answer 502 (a lost response)."""
        self._lose_next += 1

    def fault_response(self, fault: Fault) -> web.StreamResponse:
        kind = "rate_limit_error" if fault.status == 429 else "api_error"
        response = stripe_error(fault.status, kind, str(fault.body or "fake failure"))
        response.headers.update(fault.headers)
        return response

    async def _create_refund(self, request: web.Request, recorded: Recorded) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return stripe_error(401, "invalid_request_error", "Invalid API Key provided: sk_****")
        params = recorded.form
        key = request.headers.get("Idempotency-Key")
        if key and key in self._stored:
            stored_params, status, body = self._stored[key]
            if stored_params != params:
                return stripe_error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                )
            return web.json_response(body, status=status, headers={"Idempotent-Replayed": "true"})
        response = self._refund(params)
        if key:
            self._stored[key] = (params, response.status, _json(response))
        if self._lose_next:
            self._lose_next -= 1
            return web.Response(status=502, text="Bad gateway")
        return response

    def _refund(self, params: dict[str, str]) -> web.Response:
        payment = self._find(params)
        if payment is None:
            param = "payment_intent" if "payment_intent" in params else "charge"
            return stripe_error(
                400,
                "invalid_request_error",
                f"No such {param}: '{params.get(param)}'",
                "resource_missing",
                param,
            )
        if self._card_decline:
            code, self._card_decline = self._card_decline, None
            return stripe_error(402, "card_error", "The card was declined for refunds.", code)
        left = payment.amount - payment.refunded
        if left <= 0:
            return stripe_error(
                400,
                "invalid_request_error",
                f"Charge {payment.charge} has already been refunded.",
                "charge_already_refunded",
            )
        amount = int(params.get("amount", left))
        if amount > left:
            return stripe_error(
                400,
                "invalid_request_error",
                "Refund amount is greater than unrefunded amount on charge",
                "amount_too_large",
                "amount",
            )
        payment.refunded += amount
        refund = {
            "id": f"re_{next(self._ids):04d}",
            "object": "refund",
            "amount": amount,
            "currency": payment.currency,
            "status": "succeeded",
            "payment_intent": payment.intent,
            "charge": payment.charge,
            "reason": params.get("reason"),
            "metadata": {k[9:-1]: v for k, v in params.items() if k.startswith("metadata[")},
            "created": 1767603600,
        }
        self.refunds.append(refund)
        return web.json_response(refund)

    def _find(self, params: dict[str, str]) -> Payment | None:
        for payment in self.payments:
            if (
                params.get("payment_intent") == payment.intent
                or params.get("charge") == payment.charge
            ):
                return payment
        return None


def _json(response: web.Response) -> Any:
    return json.loads(response.body)  # type: ignore[arg-type]
