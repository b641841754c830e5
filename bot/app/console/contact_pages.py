"""The contacts pages: the list, a contact's profile, export and erase (admins)."""

from __future__ import annotations

from aiohttp import web

from bot.app.api.people import export_response
from bot.app.console import contact_views
from bot.app.console.auth import caller_of
from bot.app.console.http import (
    SECURITY_HEADERS,
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    services_of,
    signed_in,
)
from bot.core.clean import clean_text
from bot.core.errors import NotFoundError, ValidationFailed
from bot.domain import contact_privacy
from bot.storage.app import people_queries

PAGE_SIZE = 50


def _number(request: web.Request, name: str, default: int | None = None) -> int:
    raw = request.match_info.get(name) or request.query.get(name)
    if raw is None and default is not None:
        return default
    try:
        value = int(raw or "")
    except ValueError as exc:
        raise ValidationFailed(name, "must be a whole number") from exc
    if not 0 <= value < 2**63:
        raise ValidationFailed(name, "is out of range")
    return value


async def contacts_page(request: web.Request) -> web.StreamResponse:
    search = clean_text(request.query.get("q", "")[:200])
    page = max(_number(request, "page", 1), 1)
    async with services_of(request).uow() as tx:
        found = await people_queries.search_contacts(
            tx, search, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
    more = len(found) > PAGE_SIZE
    return html_response(
        contact_views.contacts_page(signed_in(request), found[:PAGE_SIZE], search, page, more)
    )


async def contact_page(request: web.Request) -> web.StreamResponse:
    contact_id = _number(request, "id")
    async with services_of(request).uow() as tx:
        contact = await people_queries.find_contact(tx, contact_id)
        if contact is None:
            raise NotFoundError(f"contact {contact_id} not found")
        identities = await people_queries.identities_of(tx, contact_id)
        conversations = await people_queries.conversations_of(tx, contact_id)
        leads = await people_queries.leads_of(tx, contact_id)
    notice = "Personal data erased." if request.query.get("done") == "erased" else ""
    return html_response(
        contact_views.contact_page(
            signed_in(request), contact, identities, conversations, leads, notice
        )
    )


async def export_download(request: web.Request) -> web.StreamResponse:
    contact_id = _number(request, "id")
    actor = caller_of(request).actor("console")
    document = await contact_privacy.export(services_of(request).uow, contact_id, actor)
    response = export_response(contact_id, document)
    response.headers.update(SECURITY_HEADERS)
    return response


async def erase_submit(request: web.Request) -> web.StreamResponse:
    contact_id = _number(request, "id")
    form = await read_form(request)
    confirm = "" if form is None else form_text(form, "confirm", 40)
    actor = caller_of(request).actor("console")
    await contact_privacy.erase(services_of(request).uow, contact_id, actor, confirm)
    return redirect(f"/console/contacts/{contact_id}?done=erased")


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/contacts", contacts_page),
    PageRoute("GET", "/console/contacts/{id}", contact_page),
    PageRoute("POST", "/console/contacts/{id}/export", export_download),
    PageRoute("POST", "/console/contacts/{id}/erase", erase_submit),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = ()
