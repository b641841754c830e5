"""Who a notification is meant for: a team's members, agents with a role, as plain values."""

from __future__ import annotations

from bot.pipeline.services import Services
from bot.storage.models import Agent, Team, TeamMember
from bot.storage.pipeline.notify_queries import (
    Recipient,
    RecipientTeam,
    recipients_with_role,
    team_recipients,
)


async def test_team_members_and_roles(services: Services) -> None:
    async with services.uow() as tx:
        ada = Agent(name="Ada", email="ada@example.com", slack_user_id="U1", roles=["sales"])
        bob = Agent(name="Bob", email=None, slack_user_id=None, roles=[])
        team = Team(name="billing", slack_channel="C9")
        tx.session.add_all([ada, bob, team])
        await tx.session.flush()
        tx.session.add(TeamMember(team_id=team.id, agent_id=bob.id))
        ids = (ada.id, bob.id, team.id)
    ada_id, bob_id, team_id = ids
    async with services.uow() as tx:
        assert await team_recipients(tx, "billing") == (
            [Recipient(bob_id, None, None)],
            RecipientTeam(team_id, "C9"),
        )
        assert await team_recipients(tx, "nobody") == ([], None)
        assert await recipients_with_role(tx, "sales") == [
            Recipient(ada_id, "ada@example.com", "U1")
        ]
        assert await recipients_with_role(tx, "support") == []
