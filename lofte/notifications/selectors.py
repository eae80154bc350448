from __future__ import annotations

from collections.abc import Iterable

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.notifications.models import Notification


def notification_list(*, agent: Agent, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(agent=agent).order_by("-created_at", "-id")[:limit])


def notification_unread_count(*, agent: Agent) -> int:
    return Notification.objects.filter(agent=agent, read_at__isnull=True).count()


def remember_team_ids(agents: Iterable[Agent]) -> None:
    """Read the teams of many agents in one query, so that the access module's questions about them
    (`access.case_visible`, `access.managed_team_ids`) cost no query each (they read `agent_team_ids`,
    which keeps the ids on the agent object)."""
    agents = [a for a in agents if getattr(a, "_team_ids", None) is None]
    if not agents:
        return
    through = Team.agents.through
    teams: dict[int, list[int]] = {}
    for agent_id, team_id in through.objects.filter(agent_id__in={a.pk for a in agents}).values_list(
        "agent_id", "team_id"
    ):
        teams.setdefault(agent_id, []).append(team_id)
    for agent in agents:
        agent._team_ids = sorted(teams.get(agent.pk, []))  # type: ignore[attr-defined]


def admin_agents() -> list[Agent]:
    """The active admins, as the access module defines them (a superuser counts as one)."""
    return [a for a in Agent.objects.filter(is_active=True).order_by("id") if access.is_admin(a)]


def team_members(*, team_ids: Iterable[int]) -> list[Agent]:
    """The active members of these teams (one query)."""
    wanted = set(team_ids)
    if not wanted:
        return []
    return list(Agent.objects.filter(is_active=True, teams__in=wanted).distinct().order_by("id"))


def leads_by_team(agents: Iterable[Agent], *, team_ids: Iterable[int]) -> dict[int, list[Agent]]:
    """Per team, the agents among `agents` who lead it as the access module defines it: they may change its
    settings without being admins (admins hear at the top of the ladder, not as leads). Call
    `remember_team_ids` on the agents first, or each costs a query."""
    wanted = set(team_ids)
    leads: dict[int, list[Agent]] = {}
    for agent in agents:
        managed = access.managed_team_ids(agent)
        if managed is None:
            continue
        for team_id in sorted(wanted.intersection(managed)):
            leads.setdefault(team_id, []).append(agent)
    return leads
