"""The agents and teams pages as HTML text: the agents with their load, the teams with their
members, and the forms that create and change them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from bot.app.console.views import csrf_input, layout
from bot.domain.console_sessions import Principal
from bot.storage.app.people_queries import AgentView, TeamView

Teams = Sequence[tuple[TeamView, list[int]]]
YES = '<span class="state-on">Yes</span>'
NO = '<span class="state-off">No</span>'


def _field(
    name: str, label: str, value: str = "", kind: str = "text", extra: str = "", prefix: str = ""
) -> str:
    field_id = f"{prefix}{name}"
    return (
        f'<div class="field"><label for="{field_id}">{label}</label>'
        f'<input id="{field_id}" name="{name}" type="{kind}" value="{escape(value)}"{extra}>'
        "</div>"
    )


def agent_fields(agent: AgentView | None, prefix: str = "") -> str:
    """The inputs of an agent's form, filled with ``agent``'s values when given."""
    available = agent is None or agent.available
    return (
        _field("name", "Name", agent.name if agent else "", extra=" required", prefix=prefix)
        + _field("email", "E-mail", (agent and agent.email) or "", "email", prefix=prefix)
        + _field(
            "slack_user_id",
            "Slack user id",
            (agent and agent.slack_user_id) or "",
            extra=' pattern="[UW][A-Z0-9]+" placeholder="U0123ABCD"',
            prefix=prefix,
        )
        + _field(
            "roles",
            "Roles (comma-separated)",
            ", ".join(agent.roles) if agent else "",
            extra=' placeholder="sales_manager, billing"',
            prefix=prefix,
        )
        + _field(
            "capacity",
            "Capacity (open conversations)",
            str(agent.capacity if agent else 10),
            "number",
            ' min="0" max="10000" required',
            prefix=prefix,
        )
        + f'<div class="field checkbox"><input id="{prefix}available" name="available" '
        f'type="checkbox" value="1"{" checked" if available else ""}>'
        f'<label for="{prefix}available">Available for new conversations</label></div>'
    )


def _agents_table(agents: Sequence[AgentView], load: Mapping[int, int]) -> str:
    if not agents:
        return "<p>No agents yet.</p>"
    rows = "".join(
        "<tr>"
        f'<td data-label="Name">{escape(a.name)}</td>'
        f'<td data-label="E-mail">{escape(a.email or "")}</td>'
        f'<td data-label="Slack user" class="mono">{escape(a.slack_user_id or "")}</td>'
        f'<td data-label="Roles">{escape(", ".join(a.roles))}</td>'
        f'<td data-label="Capacity">{a.capacity}</td>'
        f'<td data-label="Available">{YES if a.available else NO}</td>'
        f'<td data-label="Open conversations">{load.get(a.id, 0)}</td>'
        "</tr>"
        for a in agents
    )
    return (
        '<table class="stack"><caption class="visually-hidden">Agents</caption><thead><tr>'
        "<th>Name</th><th>E-mail</th><th>Slack user</th><th>Roles</th><th>Capacity</th>"
        f"<th>Available</th><th>Open conversations</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _team(who: Principal, team: TeamView, members: list[int], agents: Sequence[AgentView]) -> str:
    by_id = {a.id: a for a in agents}
    token = csrf_input(who.csrf_token)
    path = f"/console/teams/{team.id}"
    items = "".join(
        f"<li><span>{escape(by_id[m].name if m in by_id else f'agent {m}')}</span>"
        f'<form method="post" action="{path}/members/{m}/remove">{token}'
        '<button type="submit" class="secondary">Remove<span class="visually-hidden"> '
        f"{escape(by_id[m].name if m in by_id else str(m))} from {escape(team.name)}</span>"
        "</button></form></li>"
        for m in members
    )
    member_list = f'<ul class="team-members">{items}</ul>' if members else "<p>No members.</p>"
    others = [a for a in agents if a.id not in members]
    add = ""
    if others:
        options = "".join(f'<option value="{a.id}">{escape(a.name)}</option>' for a in others)
        add = (
            f'<form method="post" action="{path}/members" class="filters">{token}'
            f'<div class="field"><label for="team-{team.id}-agent">Add an agent</label>'
            f'<select id="team-{team.id}-agent" name="agent_id">{options}</select></div>'
            '<div class="field"><button type="submit">Add<span class="visually-hidden"> to '
            f"{escape(team.name)}</span></button></div></form>"
        )
    settings = (
        f'<form method="post" action="{path}" class="filters">{token}'
        + _field("name", "Name", team.name, extra=" required", prefix=f"team-{team.id}-")
        + _field(
            "slack_channel",
            "Slack channel",
            team.slack_channel or "",
            extra=' placeholder="C0123ABCD"',
            prefix=f"team-{team.id}-",
        )
        + '<div class="field"><button type="submit" class="secondary">Save<span '
        f'class="visually-hidden"> {escape(team.name)}</span></button></div></form>'
    )
    return (
        f'<section class="panel team" aria-labelledby="team-{team.id}">'
        f'<h3 id="team-{team.id}">{escape(team.name)}</h3>'
        f"{member_list}{add}{settings}</section>"
    )


def agents_page(
    who: Principal,
    agents: Sequence[AgentView],
    load: Mapping[int, int],
    teams: Teams,
    notice: str = "",
) -> str:
    token = csrf_input(who.csrf_token)
    note = f'<p class="notice" role="status">{escape(notice)}</p>' if notice else ""
    new_agent = (
        '<details class="panel"><summary>New agent</summary>'
        f'<form method="post" action="/console/agents" class="agent-form">{token}'
        f'{agent_fields(None, "new-")}<button type="submit">Create agent</button></form></details>'
    )
    new_team = (
        f'<form method="post" action="/console/teams" class="filters panel">{token}'
        + _field("name", "New team's name", extra=" required", prefix="new-team-")
        + _field(
            "slack_channel", "Slack channel", extra=' placeholder="C0123ABCD"', prefix="new-team-"
        )
        + '<div class="field"><button type="submit">Create team</button></div></form>'
    )
    edits = "".join(
        f'<details class="panel agent-edit"><summary>Edit {escape(a.name)}</summary>'
        f'<form method="post" action="/console/agents/{a.id}" class="agent-form">{token}'
        f'{agent_fields(a, f"agent-{a.id}-")}<button type="submit">Save<span '
        f'class="visually-hidden"> {escape(a.name)}</span></button></form></details>'
        for a in agents
    )
    teams_html = "".join(_team(who, team, members, agents) for team, members in teams)
    content = (
        f"{note}<h2>Agents</h2>"
        f'<div class="panel">{_agents_table(agents, load)}</div>{edits}{new_agent}'
        f'<h2>Teams</h2><div class="teams">{teams_html or "<p>No teams yet.</p>"}</div>{new_team}'
    )
    return layout("Agents and teams", "people", who, content)
