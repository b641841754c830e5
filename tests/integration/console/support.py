"""Helpers for the console's tests: agent records, accounts, audit lines."""

from __future__ import annotations

from bot.domain import accounts, audit
from bot.domain.accounts import Account
from bot.domain.audit import CLI, AuditFilter, AuditLine
from bot.pipeline.services import Services
from bot.storage.app import people_queries

PASSWORD = "correct horse battery"
KEY = "console-test-key"


async def add_agent_record(services: Services, email: str, name: str = "Ana Agent") -> int:
    async with services.uow() as tx:
        row = await people_queries.add_agent(
            tx,
            name=name,
            email=email,
            slack_user_id=None,
            roles=[],
            available=True,
            capacity=10,
        )
    return row.id


async def admin_and_agent(services: Services) -> tuple[Account, Account]:
    """adam@example.com (admin) and ana@example.com (agent, linked to her agent record)."""
    admin = await accounts.create_account(services.uow, "adam@example.com", PASSWORD, "admin", CLI)
    await add_agent_record(services, "ana@example.com")
    agent = await accounts.create_account(services.uow, "ana@example.com", PASSWORD, "agent", CLI)
    return admin, agent


async def audit_lines(services: Services, action: str | None = None) -> list[AuditLine]:
    """Every line (of ``action``), oldest first."""
    page = await audit.read(services.uow, AuditFilter(action=action), 1000)
    return list(reversed(page.lines))
