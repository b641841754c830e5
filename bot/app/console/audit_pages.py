"""The audit log page (admins)."""

from __future__ import annotations

from aiohttp import web

from bot.app.api.audit import audit_filter
from bot.app.console import audit_views
from bot.app.console.http import PageRoute, html_response, services_of, signed_in
from bot.domain import audit


async def audit_page(request: web.Request) -> web.StreamResponse:
    where = audit_filter(request)
    result = await audit.read(services_of(request).uow, where, 50)
    return html_response(audit_views.audit_page(signed_in(request), where, result))


ADMIN_PAGES: tuple[PageRoute, ...] = (PageRoute("GET", "/console/audit", audit_page),)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = ()
