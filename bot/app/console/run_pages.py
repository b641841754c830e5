"""The runs pages: run logs with filters, a run's whole log, and a workflow's funnel."""

from __future__ import annotations

from aiohttp import web

from bot.app.api.common import int_param
from bot.app.api.runs import funnel_json, funnel_period, run_filter, text_param
from bot.app.console import funnel_views, run_views
from bot.app.console.http import PageRoute, html_response, services_of, signed_in
from bot.domain import funnel, run_logs
from bot.domain.workflow_store import list_workflows

PAGE_SIZE = 50


async def runs_page(request: web.Request) -> web.StreamResponse:
    where = run_filter(request)
    services = services_of(request)
    page = await run_logs.runs_page(services.uow, where, PAGE_SIZE)
    names = [w.name for w in await list_workflows(services.uow)]
    return html_response(run_views.runs_page(signed_in(request), where, page, names))


async def run_page(request: web.Request) -> web.StreamResponse:
    detail = await run_logs.run_detail(services_of(request).uow, int_param(request, "id"))
    return html_response(run_views.run_page(signed_in(request), detail))


async def funnel_page(request: web.Request) -> web.StreamResponse:
    name = text_param(request, "name") or ""
    result = await funnel.funnel(services_of(request).uow, name, funnel_period(request))
    return html_response(funnel_views.funnel_page(signed_in(request), result, funnel_json(result)))


ADMIN_PAGES: tuple[PageRoute, ...] = ()
SIGNED_IN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/runs", runs_page),
    PageRoute("GET", "/console/runs/{id}", run_page),
    PageRoute("GET", "/console/workflows/{name}/funnel", funnel_page),
)
