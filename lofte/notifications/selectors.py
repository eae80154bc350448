"""Reads for notifications: an agent's own, and of those about a case only the ones whose case the agent may
still see (lofte.accounts.access): a case handed to another team takes its reminders and breaches with it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Length, Substr

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.notifications.models import Notification

# A notification about a case links to its page, /cases/<reference>/ (lofte.promises.services, lofte.cases.services).
CASE_URL_PREFIX = "/cases/"


def _visible(agent: Agent) -> QuerySet[Notification]:
    """The agent's notifications, without those about a case the agent may not see; per row two lookups on the
    case reference's unique index, so a page or the unread count costs the same however many cases there are."""
    own = Notification.objects.filter(agent=agent)
    if access.is_admin(agent):
        return own
    # The cases app sits above this one: its model is reached through the agent's relation, not imported.
    cases = Agent._meta.get_field("assigned_cases").related_model._default_manager  # type: ignore[union-attr]
    start = len(CASE_URL_PREFIX) + 1
    reference = Substr(F("url"), start, Length("url") - Value(start))  # between the prefix and the last "/"
    about = cases.filter(reference=OuterRef("case_reference"))
    hidden = (
        Q(url__startswith=CASE_URL_PREFIX, url__endswith="/")
        & Exists(about)
        & ~Exists(about.filter(access.case_scope_q(agent)))
    )
    return own.annotate(case_reference=reference).exclude(hidden)


def notification_list(*, agent: Agent, limit: int = 50) -> list[Notification]:
    return list(_visible(agent).order_by("-created_at", "-id")[:limit])


def notification_unread_count(*, agent: Agent) -> int:
    """The unread count in the top bar. Every page asks, and most often there is nothing unread: the plain
    count answers then (the access-filtered query costs more to build than to run)."""
    unread = Notification.objects.filter(agent=agent, read_at__isnull=True)
    if not unread.exists():
        return 0
    return _visible(agent).filter(read_at__isnull=True).count()


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
