"""Writes for routing: give a new case to an agent, take unanswered cases back from agents who went away, and
the settings around it (an agent's status, capacity and skills; a team's routing; the triage team).

**Never beyond capacity.** `route_case` decides inside locks and counts after taking them: the case's row, then
the team's TeamRouting row (so one team's routers queue one behind the other), then the eligible agents'
Availability rows in id order (so two teams' routers that share an agent queue on that agent, and never
deadlock: every router takes one team row first and agents always in the same order). Loads are counted by a
statement run after the locks are held, which on PostgreSQL (read committed) sees every assignment committed
before. SQLite has no row locks; its IMMEDIATE transactions let one writer at a time in, which is stronger.

Assignments an agent or lead makes by hand (case_assign) are theirs to decide and are not capped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases.models import ACTIVE_STATUSES, Case, Channel
from lofte.cases.services import case_assign, case_update
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.routing.models import (
    MAX_CAPACITY,
    MAX_GRACE_MINUTES,
    AgentStatus,
    Availability,
    ChannelCapacity,
    RoutingMode,
    RoutingSettings,
    Skill,
    SkillKind,
    TeamRouting,
)

logger = logging.getLogger(__name__)

UNSET: Any = object()
MAX_SKILLS = 50
REROUTE_BATCH = 200  # cases per team per run; the next run takes the rest
WAITING_MISSES = 20  # a team's waiting cases nobody could take in a row: the rest wait for the next run

# what route_case did
ASSIGNED = "assigned"  # given to an agent
QUEUED = "queued"  # nobody eligible had room: unassigned in its team's queue
MANUAL = "manual"  # the team routes by hand (or has no routing row): left as it is
NO_TEAM = "no_team"  # no team and no triage team: in the shared "no team yet" view
SKIPPED = "skipped"  # already assigned, or not open


@dataclass(frozen=True)
class Routed:
    """What routing did with a case, and to whom it went."""

    case: Case
    outcome: str
    assignee: Agent | None = None


# --- routing a case ---------------------------------------------------------------------------------------------


def route_case(case: Case, *, actor: Agent | None = None) -> Routed:
    """Give a new or unassigned open case to an eligible agent of its team, by the team's mode; a case without a
    team goes to the triage team first. Nobody eligible: the case stays unassigned in its team's queue.

    Eligible: active, a member of the team, online, with the skills the team's routing asks of the case, and room
    in the case's channel (and in all, when the agent has a total). Registered with lofte.cases.opened, so every
    new case comes through here inside the transaction that created it. A team that routes by hand costs one
    query and no transaction."""
    return _route(case, actor=actor)


def case_route(*, case: Case, actor: Agent) -> Routed:
    """Route one case on an agent's request (for `POST /api/v1/cases/{reference}/route`): the actor must work
    cases and see the case (the caller reads it through case_get_for_agent). An assigned case is left alone."""
    access.require(actor, access.Perm.CASE_WORK)
    return route_case(case, actor=actor)


def _route(case: Case, *, actor: Agent | None) -> Routed:
    if case.assignee_id is not None or case.status not in ACTIVE_STATUSES:
        return Routed(case, SKIPPED, case.assignee)
    if case.team_id is None:
        settings_row = RoutingSettings.objects.select_related("triage_team").filter(pk=1).first()
        if settings_row is None or settings_row.triage_team is None:
            return Routed(case, NO_TEAM)
        case_update(case=case, actor=actor, team=settings_row.triage_team)
    mode = TeamRouting.objects.filter(team_id=case.team_id or 0).values_list("mode", flat=True).first()
    if mode is None or mode == RoutingMode.MANUAL:
        return Routed(case, MANUAL)
    with transaction.atomic():
        return _route_locked(case, actor=actor)


def _route_locked(case: Case, *, actor: Agent | None) -> Routed:
    # the locks, in the one order: the case, its team's routing, the eligible agents by id
    now = Case.objects.select_for_update().filter(pk=case.pk).values_list("assignee_id", "status", "team_id").first()
    if now is None or now[0] is not None or now[1] not in ACTIVE_STATUSES or now[2] != case.team_id:
        case.refresh_from_db()
        return Routed(case, SKIPPED, case.assignee)
    routing = TeamRouting.objects.select_for_update().filter(team_id=case.team_id).first()
    if routing is None or routing.mode == RoutingMode.MANUAL:
        return Routed(case, MANUAL)
    candidates = _locked_candidates(case, routing)
    chosen = _choose(case, routing, candidates)
    if chosen is None:
        return Routed(case, QUEUED)
    agent = Agent.objects.get(pk=chosen)
    case.assignee_id, case.status = None, now[1]  # as read under the lock above
    case_assign(case=case, actor=actor, assignee=agent, locked=True)
    if routing.mode == RoutingMode.ROUND_ROBIN:
        TeamRouting.objects.filter(pk=routing.pk).update(last_agent_id=chosen)
    return Routed(case, ASSIGNED, agent)


def required_skills(case: Case, routing: TeamRouting) -> list[tuple[str, str]]:
    """The (kind, value) skills the team's routing asks of this case; a case without a language or a case type
    asks nothing of that kind."""
    wanted = []
    if routing.require_language and case.language:
        wanted.append((SkillKind.LANGUAGE.value, case.language.lower()))
    if routing.require_product and case.case_type_id is not None:
        wanted.append((SkillKind.PRODUCT.value, _product(case)))
    if routing.require_channel:
        wanted.append((SkillKind.CHANNEL.value, case.channel))
    return wanted


def _product(case: Case) -> str:
    return case.case_type.name.strip().lower() if case.case_type else ""


@dataclass(frozen=True)
class _Candidate:
    agent_id: int
    capacity: int  # in the case's channel
    total_capacity: int | None


def _locked_candidates(case: Case, routing: TeamRouting) -> list[_Candidate]:
    """The team's online, active agents with the skills asked for, their Availability rows locked, by id.

    Plain SQL (this and the loads below): routing runs once per new case, and building these statements through
    the ORM cost more than running them (the target is 200 assignments a second)."""
    q = connection.ops.quote_name
    availability, capacity = q(Availability._meta.db_table), q(ChannelCapacity._meta.db_table)
    members, agents = q(Agent.teams.through._meta.db_table), q(Agent._meta.db_table)
    has_skill, skill = q(Availability.skills.through._meta.db_table), q(Skill._meta.db_table)
    # only table names (from the models) and placeholders are put into the text; every value is a parameter
    sql = [
        f"SELECT av.agent_id, COALESCE((SELECT cc.capacity FROM {capacity} cc WHERE cc.availability_id = av.agent_id"  # noqa: S608
        " AND cc.channel = %s), av.default_capacity), av.total_capacity"
        f" FROM {availability} av WHERE av.status = %s"
        f" AND av.agent_id IN (SELECT m.agent_id FROM {members} m WHERE m.team_id = %s)"
        f" AND av.agent_id IN (SELECT a.id FROM {agents} a WHERE a.is_active = %s)"
    ]
    params: list[Any] = [case.channel, AgentStatus.ONLINE.value, routing.team_id, True]
    for kind, value in required_skills(case, routing):
        sql.append(
            f" AND EXISTS (SELECT 1 FROM {has_skill} hs INNER JOIN {skill} sk ON sk.id = hs.skill_id"  # noqa: S608
            " WHERE hs.availability_id = av.agent_id AND sk.kind = %s AND sk.value = %s)"
        )
        params += [kind, value]
    sql.append(" ORDER BY av.agent_id")
    if connection.features.has_select_for_update:
        sql.append(" FOR UPDATE")  # of the Availability rows only: the one table in FROM
    with connection.cursor() as cursor:
        cursor.execute("".join(sql), params)
        return [_Candidate(agent_id, capacity, total) for agent_id, capacity, total in cursor.fetchall()]


def _loads(case: Case, agent_ids: list[int]) -> dict[int, tuple[int, int]]:
    """agent id -> (open cases of the case's channel, open cases in all), counted now: run after the locks are
    held, so on PostgreSQL it sees every assignment committed before them."""
    q = connection.ops.quote_name
    marks = ", ".join(["%s"] * len(agent_ids))
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    sql = (
        "SELECT assignee_id, SUM(CASE WHEN channel = %s THEN 1 ELSE 0 END), COUNT(*)"  # noqa: S608
        f" FROM {q(Case._meta.db_table)} WHERE assignee_id IN ({marks}) AND status IN ({statuses})"
        " GROUP BY assignee_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [case.channel, *agent_ids, *[str(s) for s in ACTIVE_STATUSES]])
        return {agent_id: (int(here), int(total)) for agent_id, here, total in cursor.fetchall()}


def _choose(case: Case, routing: TeamRouting, candidates: list[_Candidate]) -> int | None:
    """The agent to give the case to, by the team's mode, among those with room; loads counted now, under the
    locks."""
    if not candidates:
        return None
    loads = _loads(case, [c.agent_id for c in candidates])
    with_room = []
    for c in candidates:
        here, total = loads.get(c.agent_id, (0, 0))
        if here < c.capacity and (c.total_capacity is None or total < c.total_capacity):
            with_room.append((c, here, total))
    if not with_room:
        return None
    if routing.mode == RoutingMode.ROUND_ROBIN:
        last = routing.last_agent_id or 0
        after = [c for c, _here, _total in with_room if c.agent_id > last]
        return (after or [with_room[0][0]])[0].agent_id
    # least loaded: the smallest share of the channel's capacity in use, then the fewest open cases, then by id
    best = min(with_room, key=lambda item: (item[1] / item[0].capacity, item[2], item[0].agent_id))
    return best[0].agent_id


# --- agents who went away ---------------------------------------------------------------------------------------


def _away_cases(routing: TeamRouting, now: datetime) -> Q:
    cutoff = now - timedelta(minutes=routing.grace_minutes)
    return Q(
        team_id=routing.team_id,
        status__in=ACTIVE_STATUSES,
        first_response_at__isnull=True,
        assignee__availability__status__in=[AgentStatus.AWAY, AgentStatus.OFFLINE],
        assignee__availability__status_since__lte=cutoff,
    )


def reroute_away(*, now: datetime) -> dict[str, int]:
    """Cases not yet answered, of agents away or offline for longer than their team's grace, go back through
    routing (teams that route by hand are left alone, and so are agents who never set a status). Each case is
    its own transaction; a case answered or taken meanwhile is skipped. Safe to run twice at once."""
    counts = {"rerouted": 0, "assigned": 0, "queued": 0}
    for routing in TeamRouting.objects.exclude(mode=RoutingMode.MANUAL).order_by("pk"):
        ids = list(
            Case.objects.filter(_away_cases(routing, now)).order_by("pk").values_list("pk", flat=True)[:REROUTE_BATCH]
        )
        for pk in ids:
            with transaction.atomic():
                case = (
                    Case.objects.filter(_away_cases(routing, now), pk=pk)
                    .select_for_update(of=("self",))
                    .select_related("case_type")
                    .first()
                )
                if case is None:
                    continue
                case_assign(case=case, actor=None, assignee=None)
                routed = _route(case, actor=None)
            counts["rerouted"] += 1
            counts["assigned" if routed.outcome == ASSIGNED else "queued"] += 1
    if counts["rerouted"]:
        logger.info("rerouted %(rerouted)d cases of agents away (%(assigned)d assigned, %(queued)d queued)", counts)
    return counts


def route_waiting(*, now: datetime) -> dict[str, int]:
    """New cases waiting unassigned in the queue of a team that routes (nobody had room when they came, or they
    were taken back from an agent who went away) get another try, oldest first: room frees up as cases are
    solved and agents come online. A team's sweep stops after a run of cases nobody could take. Safe to run
    twice at once (route_case decides under its locks)."""
    counts = {"assigned": 0, "queued": 0}
    for routing in TeamRouting.objects.exclude(mode=RoutingMode.MANUAL).order_by("pk"):
        waiting = (
            Case.objects.filter(
                team_id=routing.team_id,
                assignee__isnull=True,
                status__in=ACTIVE_STATUSES,
                first_response_at__isnull=True,
                created_at__lte=now,
            )
            .select_related("case_type")
            .order_by("created_at", "pk")[:REROUTE_BATCH]
        )
        misses = 0
        for case in waiting:
            if route_case(case).outcome == ASSIGNED:
                counts["assigned"] += 1
                misses = 0
            else:
                counts["queued"] += 1
                misses += 1
                if misses >= WAITING_MISSES:
                    break
    return counts


# --- an agent's status, capacity and skills ---------------------------------------------------------------------


def _availability(agent: Agent) -> Availability:
    """The agent's Availability row, made when missing, and locked for this transaction."""
    Availability.objects.get_or_create(agent=agent)
    return Availability.objects.select_for_update().get(agent=agent)


@transaction.atomic
def agent_status_set(*, agent: Agent, status: str) -> Availability:
    """The agent says they are online, away or offline (only ever their own: the caller passes the reader)."""
    if status not in AgentStatus.values:
        raise ValidationFailed(
            _("'%(value)s' is not a status; use one of %(choices)s.")
            % {"value": status, "choices": ", ".join(AgentStatus.values)},
            field="status",
        )
    availability = _availability(agent)
    if availability.status != status:
        availability.status = status
        availability.status_since = clock.now()
        availability.save(update_fields=["status", "status_since"])
    return availability


def can_edit_agent(actor: Agent, agent: Agent) -> bool:
    """Admins change anyone's capacity and skills; a team lead those of the members of the teams they lead."""
    if not access.can(actor, access.Perm.TEAM_SETTINGS):
        return False
    managed = access.managed_team_ids(actor)
    if managed is None:
        return True
    return agent.teams.filter(pk__in=managed).exists()


def require_edit_agent(actor: Agent, agent: Agent) -> None:
    access.require(actor, access.Perm.TEAM_SETTINGS)
    if not can_edit_agent(actor, agent):
        raise PermissionDenied(_("Only the agent's team leads and admins can change their capacity and skills."))


def parse_skill(text: str) -> tuple[str, str]:
    """'language:sv' -> ('language', 'sv'); the value lower-case, its inner whitespace collapsed."""
    kind, sep, value = text.partition(":")
    kind, value = kind.strip().lower(), " ".join(value.split()).lower()
    if not sep or kind not in SkillKind.values or not value or len(value) > 100:
        raise ValidationFailed(
            _("'%(value)s' is not a skill; write kind:value, where kind is one of %(kinds)s (e.g. language:sv).")
            % {"value": text, "kinds": ", ".join(SkillKind.values)},
            field="skills",
        )
    if kind == SkillKind.CHANNEL and value not in Channel.values:
        raise ValidationFailed(
            _("'%(value)s' is not a channel; use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(Channel.values)},
            field="skills",
        )
    return kind, value


def _skills(texts: Iterable[str]) -> list[Skill]:
    wanted = sorted({parse_skill(t) for t in texts if t.strip()})
    if len(wanted) > MAX_SKILLS:
        raise ValidationFailed(_("An agent can have at most %(max)d skills.") % {"max": MAX_SKILLS}, field="skills")
    skills = []
    for kind, value in wanted:
        skill, _created = Skill.objects.get_or_create(kind=kind, value=value)
        skills.append(skill)
    return skills


def _check_capacity(value: int, field: str) -> None:
    if not 0 <= value <= MAX_CAPACITY:
        raise ValidationFailed(
            _("A capacity is a number of open cases from 0 to %(max)d.") % {"max": MAX_CAPACITY}, field=field
        )


@transaction.atomic
def agent_routing_update(
    *,
    actor: Agent,
    agent: Agent,
    default_capacity: Any = UNSET,
    total_capacity: Any = UNSET,
    capacities: Any = UNSET,
    skills: Any = UNSET,
) -> Availability:
    """Change an agent's capacity and skills. `capacities` ({channel: open cases}) replaces the channels' own
    numbers (a channel left out takes `default_capacity`); `skills` (["language:sv", "product:faktura"]) replaces
    the agent's skills. Everything is checked before anything is written."""
    require_edit_agent(actor, agent)
    if default_capacity is not UNSET:
        _check_capacity(default_capacity, "default_capacity")
    if total_capacity is not UNSET and total_capacity is not None:
        _check_capacity(total_capacity, "total_capacity")
    if capacities is not UNSET:
        capacities = dict(capacities)
        for channel, value in capacities.items():
            if channel not in Channel.values:
                raise ValidationFailed(
                    _("'%(value)s' is not a channel; use one of %(choices)s.")
                    % {"value": channel, "choices": ", ".join(Channel.values)},
                    field="capacities",
                )
            _check_capacity(value, "capacities")
    skill_rows = _skills(skills) if skills is not UNSET else None
    availability = _availability(agent)
    fields = []
    if default_capacity is not UNSET:
        availability.default_capacity = default_capacity
        fields.append("default_capacity")
    if total_capacity is not UNSET:
        availability.total_capacity = total_capacity
        fields.append("total_capacity")
    if fields:
        availability.save(update_fields=fields)
    if capacities is not UNSET:
        _capacities_set(availability, capacities)
    if skill_rows is not None:
        availability.skills.set(skill_rows)
    return availability


def _capacities_set(availability: Availability, capacities: Mapping[str, int]) -> None:
    availability.capacities.exclude(channel__in=list(capacities)).delete()
    for channel, value in capacities.items():
        ChannelCapacity.objects.update_or_create(
            availability=availability, channel=channel, defaults={"capacity": value}
        )


# --- a team's routing and the triage team ------------------------------------------------------------------------


@transaction.atomic
def team_routing_set(
    *,
    actor: Agent,
    team: Team,
    mode: str,
    grace_minutes: int,
    require_language: bool = False,
    require_product: bool = False,
    require_channel: bool = False,
) -> TeamRouting:
    """A team's leads (and admins) choose how its new cases are handed out."""
    access.require_team(actor, team.pk)
    if mode not in RoutingMode.values:
        raise ValidationFailed(
            _("'%(value)s' is not a routing mode; use one of %(choices)s.")
            % {"value": mode, "choices": ", ".join(RoutingMode.values)},
            field="mode",
        )
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise ValidationFailed(
            _("The grace is from 0 to %(max)d minutes.") % {"max": MAX_GRACE_MINUTES}, field="grace_minutes"
        )
    routing, _created = TeamRouting.objects.update_or_create(
        team=team,
        defaults={
            "mode": mode,
            "grace_minutes": grace_minutes,
            "require_language": require_language,
            "require_product": require_product,
            "require_channel": require_channel,
            "updated_at": clock.now(),
        },
    )
    return routing


@transaction.atomic
def triage_team_set(*, actor: Agent, team: Team | None) -> RoutingSettings:
    """Admins choose the team that receives new cases without a team (None: the shared "no team yet" view)."""
    access.require(actor, access.Perm.CONFIGURE)
    row, _created = RoutingSettings.objects.update_or_create(pk=1, defaults={"triage_team": team})
    return row
