"""Writes for routing: give a new case to an agent, take unanswered cases back from agents who went away, and
the settings around it (an agent's status, capacity and skills; a team's routing; the triage team).

**Never beyond capacity.** Routing decides inside locks and counts after taking them: the case's row, then the
team's TeamRouting row (so one team's routers queue one behind the other), then the eligible agents' Availability
rows in id order, in one statement (so two teams' routers that share an agent queue on that agent, and never
deadlock: every router takes its cases first, then one team row, then agents always in the same order). Loads are
counted by a statement run after the locks are held, which on PostgreSQL (read committed) sees every assignment
committed before; a router that assigns several cases under the same locks (`route_queue`) adds its own. SQLite has
no row locks; its IMMEDIATE transactions let one writer at a time in, which is stronger.

**Cheap per case.** Every new case comes through here (the target is 200 assignments a second), so the hot path is
a few plain statements built once (`_Statements`), not ORM queries built per call: a team that routes by hand
costs one query; an assignment nine, the assignment itself (case_assign: its event, the case, its promises) and the
transaction included.

Assignments an agent or lead makes by hand (case_assign) are theirs to decide and are not capped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
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
from lofte.customers.models import Tier
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
QUEUE_CHUNK = 50  # cases routed per transaction from a team's queue: the team's new cases wait that long at most

# what route_case did
ASSIGNED = "assigned"  # given to an agent
QUEUED = "queued"  # nobody eligible had room: unassigned in its team's queue
MANUAL = "manual"  # the team routes by hand (or has no routing row): left as it is
NO_TEAM = "no_team"  # no team and no triage team: in the shared "no team yet" view
SKIPPED = "skipped"  # already assigned, or not open (or, in a queue, being changed by someone else right now)


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


def route_queue(*, team_id: int, cases: Sequence[Case], actor: Agent | None = None) -> list[Routed]:
    """Route cases waiting in one team's queue, in the order given (oldest first), in one transaction: each gets
    the same decision and the same assignment as route_case would give it, one after the other, under the team's
    and its agents' locks taken once, with the loads counted once and kept up to date as cases are given out. For
    the periodic sweep of a team's queue (route_waiting, reroute_away). A case another transaction holds right now
    is left for the next run (SKIPPED), as is one assigned, closed or moved to another team meanwhile; the cases of
    a team that routes by hand are left as they are (MANUAL). Returns one Routed per case, in the same order."""
    if not cases:
        return []
    sql = _statements()
    routed: dict[int, Routed] = {}
    with transaction.atomic():
        # the locks, in the one order: the cases (those nobody else holds), the team's routing, its agents
        ids = sorted({c.pk for c in cases})
        held = {row[0]: row[1:] for row in _fetchall(sql.lock_cases, [_id_list(ids)])}
        routing = _team_routing(_fetch(sql.lock_routing, [team_id]), team_id)
        todo: dict[int, Case] = {}
        for case in cases:
            if case.pk in routed or case.pk in todo:
                continue  # the same case twice: routed once
            now = held.get(case.pk)
            if now is None or now[0] is not None or now[1] not in ACTIVE_STATUSES or now[2] != team_id:
                routed[case.pk] = Routed(case, SKIPPED)
            elif routing is None:
                routed[case.pk] = Routed(case, MANUAL)
            else:
                case.assignee_id, case.status = None, now[1]  # as read under the lock
                todo[case.pk] = case
        if routing is not None and todo:
            for result in _assign_locked(list(todo.values()), routing, actor=actor):
                routed[result.case.pk] = result
    return [routed[c.pk] for c in cases]


def _route(case: Case, *, actor: Agent | None) -> Routed:
    if case.assignee_id is not None or case.status not in ACTIVE_STATUSES:
        return Routed(case, SKIPPED, case.assignee)
    if case.team_id is None:
        settings_row = RoutingSettings.objects.select_related("triage_team").filter(pk=1).first()
        if settings_row is None or settings_row.triage_team is None:
            return Routed(case, NO_TEAM)
        case_update(case=case, actor=actor, team=settings_row.triage_team)
    team_id = case.team_id
    assert team_id is not None
    if _fetch(_statements().mode, [team_id]) in (None, (RoutingMode.MANUAL.value,)):
        return Routed(case, MANUAL)
    with transaction.atomic():
        # the locks, in the one order: the case, then its team's routing (one statement: PostgreSQL locks the rows
        # in the order of FROM), then the eligible agents by id
        now = _fetch(_statements().lock_case_and_routing, [case.pk, team_id])
        if now is None or now[0] is not None or now[1] not in ACTIVE_STATUSES or now[2] != team_id:
            case.refresh_from_db()  # changed meanwhile (or its team's routing row is gone)
            if now is None and case.assignee_id is None and case.status in ACTIVE_STATUSES:
                return Routed(case, MANUAL)
            return Routed(case, SKIPPED, case.assignee)
        routing = _team_routing(now[3:], team_id)
        if routing is None:
            return Routed(case, MANUAL)
        case.assignee_id, case.status = None, now[1]  # as read under the lock
        return _assign_locked([case], routing, actor=actor)[0]


def _team_routing(row: Sequence[Any] | None, team_id: int) -> TeamRouting | None:
    """The team's routing as read under its lock (mode, the three requirements, the round-robin cursor); None
    when the team routes by hand."""
    if row is None or row[0] == RoutingMode.MANUAL:
        return None
    mode, require_language, require_product, require_channel, require_tier, last_agent_id = row
    return TeamRouting(
        team_id=team_id,
        mode=mode,
        require_language=bool(require_language),
        require_product=bool(require_product),
        require_channel=bool(require_channel),
        require_tier=bool(require_tier),
        last_agent_id=last_agent_id,
    )


def _assign_locked(cases: list[Case], routing: TeamRouting, *, actor: Agent | None) -> list[Routed]:
    """Under the cases' and the team's locks: lock the agents, count their loads, then give each case in turn to
    the agent the team's mode picks among those with room (case_assign, its whole assignment), counting it."""
    sql = _statements()
    asks = [_asks(case, routing) for case in cases]
    groups = dict(zip(asks, cases, strict=True))  # one case of each kind
    if len(groups) == 1:
        pools = {kind: _candidates(case, routing, lock=True) for kind, case in groups.items()}
    else:
        # cases asking different things: every agent who could take any of them locked in one statement, by id;
        # then each kind's candidates among them (SQLite: one writer at a time, nothing to lock)
        locked: set[int] | None = None
        if connection.features.has_select_for_update:
            locked = {row[0] for row in _fetchall(sql.lock_agents, [AgentStatus.ONLINE.value, True, routing.team_id])}
        pools = {
            kind: [c for c in _candidates(case, routing, lock=False) if locked is None or c.agent_id in locked]
            for kind, case in groups.items()
        }
    loads = _Loads(sorted({c.agent_id for pool in pools.values() for c in pool}), sorted({c for c, _ in pools}))
    last = routing.last_agent_id
    results = []
    for case, kind in zip(cases, asks, strict=True):
        chosen = _choose(case.channel, routing.mode, last, pools[kind], loads)
        if chosen is None:
            results.append(Routed(case, QUEUED))
            continue
        agent = _agent(chosen)
        case_assign(case=case, actor=actor, assignee=agent, locked=True)
        loads.add(chosen.agent_id, case.channel)
        last = chosen.agent_id
        results.append(Routed(case, ASSIGNED, agent))
    if routing.mode == RoutingMode.ROUND_ROBIN and last != routing.last_agent_id:
        _execute(sql.set_last_agent, [last, routing.team_id])
    return results


def required_skills(case: Case, routing: TeamRouting) -> list[tuple[str, str]]:
    """The (kind, value) skills the team's routing asks of this case; a case without a language or a case type
    asks nothing of that kind. The customer's tier is read from `case.customer` (loaded with the case)."""
    wanted = []
    if routing.require_language and case.language:
        wanted.append((SkillKind.LANGUAGE.value, case.language.lower()))
    if routing.require_product and case.case_type_id is not None:
        wanted.append((SkillKind.PRODUCT.value, _product(case)))
    if routing.require_channel:
        wanted.append((SkillKind.CHANNEL.value, case.channel))
    if routing.require_tier and case.customer.tier:
        wanted.append((SkillKind.TIER.value, case.customer.tier.lower()))
    return wanted


def _product(case: Case) -> str:
    return case.case_type.name.strip().lower() if case.case_type else ""


def _asks(case: Case, routing: TeamRouting) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What decides a case's candidates: its channel (for the capacity) and the skills asked of it."""
    return case.channel, tuple(required_skills(case, routing))


@dataclass(frozen=True)
class _Candidate:
    agent_id: int
    email: str
    name: str
    capacity: int  # in the case's channel
    total_capacity: int | None


def _candidates(case: Case, routing: TeamRouting, *, lock: bool) -> list[_Candidate]:
    """The team's online, active agents with the skills asked for, by id; `lock`: their Availability rows locked
    by this statement (PostgreSQL)."""
    sql = _statements()
    text = [sql.candidates]
    params: list[Any] = [case.channel, AgentStatus.ONLINE.value, True, routing.team_id]
    for kind, value in required_skills(case, routing):
        text.append(sql.with_skill)
        params += [kind, value]
    text.append(sql.candidates_locked if lock else sql.candidates_end)
    return [_Candidate(*row) for row in _fetchall("".join(text), params)]


class _Loads:
    """The agents' open cases per channel and in all, counted after their locks are held (so on PostgreSQL the
    statement sees every assignment committed before), plus those given out since under the same locks."""

    def __init__(self, agent_ids: list[int], channels: list[str]) -> None:
        self.here: dict[tuple[int, str], int] = {}
        self.total: dict[int, int] = {}
        if agent_ids:
            sql = _statements().loads.format(per_channel=_LOAD_IN_CHANNEL * len(channels))
            for agent_id, total, *here in _fetchall(sql, [*channels, _id_list(agent_ids), *_ACTIVE]):
                self.total[agent_id] = int(total)
                for channel, count in zip(channels, here, strict=True):
                    self.here[agent_id, channel] = int(count)

    def add(self, agent_id: int, channel: str) -> None:
        self.here[agent_id, channel] = self.here.get((agent_id, channel), 0) + 1
        self.total[agent_id] = self.total.get(agent_id, 0) + 1


def _choose(
    channel: str, mode: str, last_agent_id: int | None, candidates: list[_Candidate], loads: _Loads
) -> _Candidate | None:
    """The agent to give a case of `channel` to, by the team's mode, among the candidates with room."""
    with_room = []
    for c in candidates:
        here, total = loads.here.get((c.agent_id, channel), 0), loads.total.get(c.agent_id, 0)
        if here < c.capacity and (c.total_capacity is None or total < c.total_capacity):
            with_room.append((c, here, total))
    if not with_room:
        return None
    if mode == RoutingMode.ROUND_ROBIN:
        last = last_agent_id or 0
        after = [c for c, _here, _total in with_room if c.agent_id > last]
        return (after or [with_room[0][0]])[0]
    # least loaded: the smallest share of the channel's capacity in use, then the fewest open cases, then by id
    best = min(with_room, key=lambda item: (item[1] / item[0].capacity, item[2], item[0].agent_id))
    return best[0]


def _agent(chosen: _Candidate) -> Agent:
    """The chosen agent as read with the candidates (active, under the lock): their name and address for the
    timeline; the rest of the row is read if anything asks for it, as with `Agent.objects.only(...)`."""
    values = {"id": chosen.agent_id, "email": chosen.email, "name": chosen.name, "is_active": True}
    names = _agent_fields()
    return Agent.from_db(connection.alias, names, [values[name] for name in names])


@cache
def _agent_fields() -> list[str]:
    """The fields read with the candidates, in the model's order (as `Model.from_db` takes them)."""
    return [f.attname for f in Agent._meta.concrete_fields if f.attname in {"id", "email", "name", "is_active"}]


# --- the statements ---------------------------------------------------------------------------------------------

_ACTIVE = [str(s) for s in ACTIVE_STATUSES]


@dataclass(frozen=True)
class _Statements:
    """Routing's statements, built once per database vendor: routing runs once per new case, and building them
    through the ORM each time cost more than running them. Only table and column names (from the models) are put
    into the text; every value is a parameter (a list of ids is one: an array on PostgreSQL, JSON on SQLite)."""

    mode: str
    lock_case_and_routing: str
    lock_cases: str
    lock_routing: str
    lock_agents: str
    set_last_agent: str
    candidates: str
    with_skill: str
    candidates_end: str
    candidates_locked: str
    loads: str


@cache
def _statements_for(vendor: str) -> _Statements:
    q = connection.ops.quote_name
    case, routing = q(Case._meta.db_table), q(TeamRouting._meta.db_table)
    availability, capacity = q(Availability._meta.db_table), q(ChannelCapacity._meta.db_table)
    members, agents = q(Agent.teams.through._meta.db_table), q(Agent._meta.db_table)
    has_skill, skill = q(Availability.skills.through._meta.db_table), q(Skill._meta.db_table)
    # row locks on PostgreSQL; SQLite has none (its IMMEDIATE transactions let one writer in at a time)
    locks = connection.features.has_select_for_update
    ids = "= ANY(CAST(%s AS bigint[]))" if vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    routing_columns = (
        "r.mode, r.require_language, r.require_product, r.require_channel, r.require_tier, r.last_agent_id"
    )
    eligible = (
        f" FROM {availability} av INNER JOIN {agents} a ON a.id = av.agent_id WHERE av.status = %s"  # noqa: S608
        f" AND a.is_active = %s AND av.agent_id IN (SELECT m.agent_id FROM {members} m WHERE m.team_id = %s)"
    )
    return _Statements(
        mode=f"SELECT mode FROM {routing} WHERE team_id = %s",  # noqa: S608
        lock_case_and_routing=(
            f"SELECT c.assignee_id, c.status, c.team_id, {routing_columns} FROM {case} c, {routing} r"  # noqa: S608
            " WHERE c.id = %s AND r.team_id = %s" + (" FOR UPDATE" if locks else "")
        ),
        # a queue's cases: those another transaction holds are skipped, never waited for
        lock_cases=(
            f"SELECT id, assignee_id, status, team_id FROM {case} WHERE id {ids} ORDER BY id"  # noqa: S608
            + (" FOR UPDATE SKIP LOCKED" if locks else "")
        ),
        lock_routing=(
            f"SELECT {routing_columns} FROM {routing} r WHERE r.team_id = %s"  # noqa: S608
            + (" FOR UPDATE" if locks else "")
        ),
        lock_agents=(f"SELECT av.agent_id{eligible} ORDER BY av.agent_id" + (" FOR UPDATE OF av" if locks else "")),
        set_last_agent=f"UPDATE {routing} SET last_agent_id = %s WHERE team_id = %s",  # noqa: S608
        candidates=(
            "SELECT av.agent_id, a.email, a.name, COALESCE((SELECT cc.capacity FROM"  # noqa: S608
            f" {capacity} cc WHERE cc.availability_id = av.agent_id AND cc.channel = %s), av.default_capacity),"
            f" av.total_capacity{eligible}"
        ),
        with_skill=(
            f" AND EXISTS (SELECT 1 FROM {has_skill} hs INNER JOIN {skill} sk ON sk.id = hs.skill_id"  # noqa: S608
            " WHERE hs.availability_id = av.agent_id AND sk.kind = %s AND sk.value = %s)"
        ),
        candidates_end=" ORDER BY av.agent_id",
        candidates_locked=" ORDER BY av.agent_id" + (" FOR UPDATE OF av" if locks else ""),  # the agents' rows only
        # each agent's open cases in all, then in each of the channels asked for ({per_channel}: _LOAD_IN_CHANNEL)
        loads=(
            "SELECT assignee_id, COUNT(*){per_channel} FROM"  # noqa: S608
            f" {case} WHERE assignee_id {ids} AND status IN ({statuses}) GROUP BY assignee_id"
        ),
    )


_LOAD_IN_CHANNEL = ", SUM(CASE WHEN channel = %s THEN 1 ELSE 0 END)"


def _statements() -> _Statements:
    return _statements_for(connection.vendor)


def _id_list(ids: list[int]) -> Any:
    """A list of ids as one parameter (see `_Statements`)."""
    return list(ids) if connection.vendor == "postgresql" else json.dumps(ids)


def _fetch(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetchall(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# --- agents who went away, cases waiting ------------------------------------------------------------------------


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
    routing (teams that route by hand are left alone, and so are agents who never set a status): taken back and
    routed again, QUEUE_CHUNK cases of a team per transaction (route_queue). A case answered or taken meanwhile is
    skipped, and so is one another transaction holds (the next run takes it). Safe to run twice at once."""
    counts = {"rerouted": 0, "assigned": 0, "queued": 0}
    for routing in TeamRouting.objects.exclude(mode=RoutingMode.MANUAL).order_by("pk"):
        ids = list(
            Case.objects.filter(_away_cases(routing, now)).order_by("pk").values_list("pk", flat=True)[:REROUTE_BATCH]
        )
        for start in range(0, len(ids), QUEUE_CHUNK):
            with transaction.atomic():
                cases = list(
                    Case.objects.filter(_away_cases(routing, now), pk__in=ids[start : start + QUEUE_CHUNK])
                    .select_for_update(of=("self",), skip_locked=True)
                    .select_related("case_type", "customer")
                    .order_by("pk")
                )
                for case in cases:  # read under its lock just above
                    case_assign(case=case, actor=None, assignee=None, locked=True)
                routed = route_queue(team_id=routing.team_id, cases=cases)
            for result in routed:
                counts["rerouted"] += 1
                counts["assigned" if result.outcome == ASSIGNED else "queued"] += 1
    if counts["rerouted"]:
        logger.info("rerouted %(rerouted)d cases of agents away (%(assigned)d assigned, %(queued)d queued)", counts)
    return counts


def route_waiting(*, now: datetime) -> dict[str, int]:
    """New cases waiting unassigned in the queue of a team that routes (nobody had room when they came, or they
    were taken back from an agent who went away) get another try, oldest first, QUEUE_CHUNK per transaction
    (route_queue): room frees up as cases are solved and agents come online. A team's sweep stops after a chunk
    nobody could take any of. Safe to run twice at once (route_queue decides under its locks, and skips the cases
    the other run holds)."""
    counts = {"assigned": 0, "queued": 0}
    for routing in TeamRouting.objects.exclude(mode=RoutingMode.MANUAL).order_by("pk"):
        waiting = list(
            Case.objects.filter(
                team_id=routing.team_id,
                assignee__isnull=True,
                status__in=ACTIVE_STATUSES,
                first_response_at__isnull=True,
                created_at__lte=now,
            )
            .select_related("case_type", "customer")
            .order_by("created_at", "pk")[:REROUTE_BATCH]
        )
        for start in range(0, len(waiting), QUEUE_CHUNK):
            outcomes = [
                r.outcome for r in route_queue(team_id=routing.team_id, cases=waiting[start : start + QUEUE_CHUNK])
            ]
            counts["assigned"] += outcomes.count(ASSIGNED)
            counts["queued"] += len(outcomes) - outcomes.count(ASSIGNED)
            if ASSIGNED not in outcomes:
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
    if kind == SkillKind.TIER and value.upper() not in Tier.values:
        raise ValidationFailed(
            _("'%(value)s' is not a customer tier; use one of %(choices)s.")
            % {"value": value, "choices": ", ".join(t.lower() for t in Tier.values)},
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
    require_tier: bool = False,
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
            "require_tier": require_tier,
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
