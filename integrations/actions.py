"""Register the integration actions (``run_action``'s ``action:`` names) into a registry."""

from __future__ import annotations

import aiohttp

from bot.core.config import Settings
from integrations.demo_shop import DemoOrderSource
from integrations.http_request import make_http_request_action
from integrations.outbound_http import OutboundHttp
from integrations.shopify import OrderSource, ShopifyClient, make_order_lookup_action
from integrations.stripe_refund import StripeRefunder, make_refund_action
from workflows.actions import ActionRegistry

ACTION_NAMES = ("http_request", "shopify.order_lookup", "stripe.refund")


def register_actions(
    registry: ActionRegistry,
    *,
    session: aiohttp.ClientSession,
    outbound: OutboundHttp,
    settings: Settings,
) -> None:
    """Register every integration action: platform clients on the shared session,
    ``http_request`` (workflow-supplied URLs) on the guarded ``outbound`` session.

    Actions whose credentials are missing are registered anyway, so workflows that use
    them still load; they answer ``failure`` ("... is not configured") when run. In demo
    mode without Shopify credentials, ``shopify.order_lookup`` reads the demo shop.
    """
    registry.register(
        "http_request",
        make_http_request_action(outbound, default_timeout_s=settings.webhook_timeout_s),
    )
    orders: OrderSource = ShopifyClient(session, settings)
    if settings.demo and not orders.configured:
        orders = DemoOrderSource()
    registry.register("shopify.order_lookup", make_order_lookup_action(orders))
    registry.register(
        "stripe.refund", make_refund_action(StripeRefunder(session, settings), settings)
    )
