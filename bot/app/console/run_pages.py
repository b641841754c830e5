"""The runs pages: run logs with filters, a run's whole log, and a workflow's funnel with
its A/B tests (admins promote a test's winner from there)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from bot.app.api.common import int_param
from bot.app.api.runs import funnel_json, funnel_period, run_filter, text_param
from bot.app.api.splits import ab_tests, splits_json
from bot.app.console import funnel_views, run_views, split_views
from bot.app.console.auth import caller_of
from bot.app.console.http import (
    PageRoute,
    form_text,
    html_response,
    read_form,
    redirect,
    services_of,
    signed_in,
)
from bot.app.console.workflow_views import workflow_path
from bot.core.errors import ValidationFailed
from bot.domain import funnel, run_logs
from bot.domain.split_promotion import promote_branch
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
    uow, period, who = services_of(request).uow, funnel_period(request), signed_in(request)
    result = await funnel.funnel(uow, name, period)
    tests = await ab_tests(uow, name, period)
    return html_response(
        funnel_views.funnel_page(
            who,
            result,
            funnel_json(result),
            split_views.ab_sections(who, tests),
            splits_json(tests),
        )
    )


async def promote_page(request: web.Request) -> web.StreamResponse:
    """Promote an A/B test's branch (the form's ``confirm`` box ticked), then the
    workflow's page with the new version."""
    form = await read_form(request)
    if form is None or form_text(form, "confirm") != "yes":
        raise ValidationFailed("confirm", "tick the box that says what promoting does")
    name = text_param(request, "name") or ""
    step = text_param(request, "step") or ""
    actor = caller_of(request).actor("console")
    branch = form_text(form, "branch", 200)
    done = await promote_branch(services_of(request).uow, name, step, branch, actor)
    query = urlencode({"rolled_back": done.version, "promoted": done.branch})
    return redirect(f"{workflow_path(done.workflow)}?{query}")


ADMIN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("POST", "/console/workflows/{name}/splits/{step}/promote", promote_page),
)
SIGNED_IN_PAGES: tuple[PageRoute, ...] = (
    PageRoute("GET", "/console/runs", runs_page),
    PageRoute("GET", "/console/runs/{id}", run_page),
    PageRoute("GET", "/console/workflows/{name}/funnel", funnel_page),
)
