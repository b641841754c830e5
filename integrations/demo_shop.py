"""The demo shop: an in-process order source behind ``shopify.order_lookup``.

Used instead of Shopify only in demo mode (``RELAYBOT_DEMO``, which ``make run`` sets)
when no Shopify credentials are set, so "Where is my order?" has an order to find.
Its orders have the Shopify GraphQL shape, so the action treats them like real ones
(the e-mail must match too).
"""

from __future__ import annotations

from typing import Any

DEMO_EMAIL = "ana@example.com"
"""The demo customer; the demo page names this address and order #1001."""

ORDERS: tuple[dict[str, Any], ...] = (
    {
        "name": "#1001",
        "email": DEMO_EMAIL,
        "phone": None,
        "createdAt": "2025-03-03T09:12:00Z",
        "cancelledAt": None,
        "closedAt": None,
        "displayFinancialStatus": "PAID",
        "displayFulfillmentStatus": "FULFILLED",
        "customer": {"email": DEMO_EMAIL, "phone": None},
        "shippingAddress": {"phone": None},
        "lineItems": {"nodes": [{"name": "Ridge Line single origin, 250 g", "quantity": 2}]},
        "fulfillments": [
            {
                "status": "SUCCESS",
                "trackingInfo": [
                    {
                        "number": "1Z999AA10123456784",
                        "url": "https://tracking.example.com/1Z999AA10123456784",
                        "company": "UPS",
                    }
                ],
            }
        ],
    },
)


class DemoOrderSource:
    """The demo shop's orders, answered from memory."""

    @property
    def configured(self) -> bool:
        return True

    async def find_orders(self, order_name: str) -> list[dict[str, Any]]:
        """Orders whose name is exactly ``order_name`` (``#1001`` or ``1001``)."""
        wanted = order_name.strip().lstrip("#").casefold()
        return [dict(o) for o in ORDERS if str(o["name"]).lstrip("#").casefold() == wanted]
