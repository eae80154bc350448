"""Reads for routing: a team's settings, the triage team, and the agents' table (status, load per channel against
capacity, skills) with who may change what."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import agent_team_ids
from lofte.cases.models import ACTIVE_STATUSES, Case, Channel
from lofte.core.errors import NotFound
from lofte.routing.models import (
    DEFAULT_CAPACITY,
    AgentStatus,
    Availability,
    ChannelCapacity,
    RoutingSettings,
    TeamRouting,
)


def team_routing(*, team: Team) -> TeamRouting:
    """The team's routing; a team without a row routes by hand (an unsaved row with the defaults)."""
    return TeamRouting.objects.filter(team=team).first() or TeamRouting(team=team)


def team_routings(*, teams: list[Team]) -> list[tuple[Team, TeamRouting]]:
    """Each team with its routing (one query)."""
    found = {r.team_id: r for r in TeamRouting.objects.filter(team__in=teams)}
    return [(t, found.get(t.pk) or TeamRouting(team=t)) for t in teams]


def routing_settings() -> RoutingSettings:
    return RoutingSettings.objects.select_related("triage_team").filter(pk=1).first() or RoutingSettings(pk=1)


def availability_of(*, agent: Agent) -> Availability:
    """The agent's availability; without a row, offline with the default capacity (unsaved)."""
    return Availability.objects.filter(agent=agent).prefetch_related("capacities", "skills").first() or Availability(
        agent=agent
    )


@dataclass
class ChannelLoad:
    channel: str
    label: str
    load: int
    capacity: int

    @property
    def full(self) -> bool:
        return self.load >= self.capacity


@dataclass
class AgentRow:
    """One agent in the routing table."""

    agent: Agent
    status: str
    status_label: str
    since: datetime | None
    default_capacity: int
    total_capacity: int | None
    total_load: int
    channels: list[ChannelLoad] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    capacities: dict[str, int] = field(default_factory=dict)  # the channels' own numbers
    editable: bool = False


def agents_for_routing(*, reader: Agent) -> list[AgentRow]:
    """The active agents the reader may see in the routing table: every one for an admin, else the members of the
    reader's teams (and the reader). Four queries, however many agents."""
    agents = Agent.objects.filter(is_active=True)
    if not access.is_admin(reader):
        agents = agents.filter(Q(teams__in=agent_team_ids(agent=reader)) | Q(pk=reader.pk)).distinct()
    agents = agents.order_by("name", "email").prefetch_related(
        Prefetch(
            "availability",
            queryset=Availability.objects.prefetch_related(
                Prefetch("capacities", queryset=ChannelCapacity.objects.order_by("channel")), "skills"
            ),
        ),
        Prefetch("teams", queryset=Team.objects.only("pk")),
    )
    return _rows(reader, list(agents))


def agent_row(*, reader: Agent, agent_id: int) -> AgentRow:
    """One agent's row, if the reader may see them (else NotFound)."""
    for row in agents_for_routing(reader=reader):
        if row.agent.pk == agent_id:
            return row
    raise NotFound(_("Agent not found."))


def _rows(reader: Agent, agents: list[Agent]) -> list[AgentRow]:
    loads: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        Case.objects.filter(assignee__in=[a.pk for a in agents], status__in=ACTIVE_STATUSES)
        .order_by()
        .values("assignee_id", "channel")
        .annotate(n=Count("pk"))
    ):
        loads[row["assignee_id"]][row["channel"]] = row["n"]
    managed = access.managed_team_ids(reader) if access.can(reader, access.Perm.TEAM_SETTINGS) else []
    rows = []
    for agent in agents:
        availability: Availability | None = getattr(agent, "availability", None)
        own = {c.channel: c.capacity for c in availability.capacities.all()} if availability else {}
        default = availability.default_capacity if availability else DEFAULT_CAPACITY
        status = availability.status if availability else AgentStatus.OFFLINE
        agent_loads = loads.get(agent.pk, {})
        rows.append(
            AgentRow(
                agent=agent,
                status=status,
                status_label=str(AgentStatus(status).label),
                since=availability.status_since if availability else None,
                default_capacity=default,
                total_capacity=availability.total_capacity if availability else None,
                total_load=sum(agent_loads.values()),
                channels=[
                    ChannelLoad(value, str(label), agent_loads.get(value, 0), own.get(value, default))
                    for value, label in Channel.choices
                ],
                skills=[str(s) for s in availability.skills.all()] if availability else [],
                capacities=own,
                editable=managed is None or bool(managed and {t.pk for t in agent.teams.all()} & set(managed)),
            )
        )
    return rows


def agent_get(*, agent_id: int) -> Agent:
    agent = Agent.objects.filter(pk=agent_id, is_active=True).first()
    if agent is None:
        raise NotFound(_("Agent not found."))
    return agent
