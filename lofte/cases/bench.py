"""The core benchmark behind `lofte bench_core`, in a database of its own.

`run_benchmark` creates a fresh database with Django's test-database
machinery (never the user's data), seeds it quickly with realistic cases
(references, customers with identities, teams, agents, statuses spread over
months, timelines of one to eleven events with messages, notes and outbox
rows), and then measures, in this order:

* creating cases through `services.case_create` against a raw INSERT of the
  same rows (case, inbound message, `created` event, next reference number),
  one transaction per case each, interleaved in blocks so noise hits both;
* the inbox (default filters, a status and team filter, a search) and the
  case page, in-process through `django.test.Client` as an agent of a team,
  with the number of queries of every request;
* `POST /api/v1/cases` with a bearer token, for existing and new customers.

The bulk rows are written with explicit ids (COPY on PostgreSQL, executemany
on SQLite); the sequences are reset afterwards, and PostgreSQL gets the
VACUUM ANALYZE that autovacuum would have run after such a load.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.services import agent_create, api_token_create, team_create
from lofte.cases import services
from lofte.cases.demo import FIRST, FOLLOW_UPS, LAST, NOTES, ORGS, REPLIES, SUBJECTS
from lofte.cases.models import (
    Case,
    CaseEvent,
    CaseType,
    Channel,
    Direction,
    EventKind,
    Message,
    Note,
    Priority,
    ReferenceSequence,
    Status,
    Tag,
)
from lofte.core.bench import bench_database
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Organisation, Proof, Tier
from lofte.outbox.models import OutboxMessage, OutboxState

Progress = Callable[[str], None]

TEAM_NAMES = ["Kundservice", "Fakturering", "Leverans", "Teknik", "Reklamation", "Företag"]
CASE_TYPES = [  # name, index of the default team, default priority
    ("Faktura", 1, Priority.NORMAL),
    ("Leverans", 2, Priority.NORMAL),
    ("Reklamation", 4, Priority.HIGH),
    ("Teknisk fråga", 3, Priority.NORMAL),
    ("Uppsägning", 1, Priority.LOW),
    ("Företagsavtal", 5, Priority.NORMAL),
]
TAG_NAMES = [
    "vip",
    "återkommande",
    "urgent",
    "webshop",
    "faktura",
    "kreditering",
    "retur",
    "garanti",
    "app",
    "inloggning",
    "leveransförsening",
    "prisfråga",
]
CHANNELS = [Channel.EMAIL, Channel.WEB, Channel.CHAT, Channel.PHONE, Channel.SMS]
CHANNEL_WEIGHTS = [55, 20, 10, 10, 5]
PRIORITY_WEIGHTS = {Priority.LOW: 10, Priority.NORMAL: 70, Priority.HIGH: 15, Priority.URGENT: 5}
# Status by the case's age: most recent cases are being worked, most old ones are done.
STATUS_BY_AGE: list[tuple[timedelta, dict[str, int]]] = [
    (
        timedelta(days=2),
        {
            Status.NEW: 35,
            Status.OPEN: 25,
            Status.WAITING_ON_CUSTOMER: 20,
            Status.WAITING_ON_THIRD_PARTY: 5,
            Status.SOLVED: 15,
        },
    ),
    (
        timedelta(days=14),
        {
            Status.NEW: 3,
            Status.OPEN: 12,
            Status.WAITING_ON_CUSTOMER: 15,
            Status.WAITING_ON_THIRD_PARTY: 5,
            Status.SOLVED: 45,
            Status.CLOSED: 20,
        },
    ),
    (
        timedelta(days=100_000),
        {
            Status.OPEN: 1,
            Status.WAITING_ON_CUSTOMER: 2,
            Status.WAITING_ON_THIRD_PARTY: 1,
            Status.SOLVED: 6,
            Status.CLOSED: 90,
        },
    ),
]
SIGNATURES = {
    "sv": "\n\nMed vänliga hälsningar\n{name}\n\nSkickat från min mobil",
    "en": "\n\nKind regards,\n{name}\n\nSent from my phone",
}
SPREAD_DAYS = 180
CHUNK = 5000
MIN_EVENTS_FOR_CASE_PAGE = 5
API_PATH = "/api/v1/cases"
SEARCH_TERM = "faktura"


# --- the database of its own -------------------------------------------------------------


# --- bulk writing ---------------------------------------------------------------------------


def _column(model: type[models.Model], name: str) -> str:
    model_field = model._meta.get_field(name)
    if not isinstance(model_field, models.Field):  # pragma: no cover - a reverse relation
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return str(model_field.column)


class _Writer:
    """Inserts rows with explicit values: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"

    def dt(self, value: datetime | None) -> Any:
        if value is None or self.postgres:
            return value
        return connection.ops.adapt_datetimefield_value(value)

    def insert(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        qn = connection.ops.quote_name
        table = qn(model._meta.db_table)
        columns = ", ".join(qn(_column(model, name)) for name in fields)
        with connection.cursor() as cursor:
            if self.postgres:
                raw: Any = cursor.cursor  # the psycopg cursor, for COPY
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(fields))
                sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
                cursor.executemany(sql, rows)


def _next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


# --- seeding ----------------------------------------------------------------------------------


@dataclass
class World:
    """What the measurements need from the seeded database."""

    agent: Agent
    teams: list[Team]
    customer_ids: list[int]
    customer_emails: list[str]
    case_page_references: list[str]
    cases: int
    events: int = 0
    messages: int = 0
    notes: int = 0


@dataclass
class _Chunk:
    cases: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    outbox: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)


CASE_FIELDS = [
    "id",
    "reference",
    "subject",
    "customer",
    "status",
    "priority",
    "team",
    "assignee",
    "case_type",
    "channel",
    "language",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "next_due_at",
    "follow_up_of",
]
MESSAGE_FIELDS = [
    "id",
    "case",
    "direction",
    "channel",
    "subject",
    "body_text",
    "body_html",
    "sender",
    "recipients",
    "external_id",
    "author",
    "outbox_message",
    "created_at",
]
OUTBOX_FIELDS = [
    "id",
    "channel",
    "to",
    "payload",
    "external_id",
    "state",
    "attempts",
    "next_attempt_at",
    "claimed_until",
    "claimed_by",
    "last_error",
    "provider_id",
    "created_at",
    "sent_at",
    "dead_at",
]
NOTE_FIELDS = ["id", "case", "author", "body", "created_at"]
EVENT_FIELDS = ["id", "case", "kind", "actor", "message", "note", "data", "created_at"]


class _Seeder:
    """Writes N cases with their timelines in chunks; see `seed`."""

    def __init__(self, *, rng: random.Random, now: datetime, people: _People) -> None:
        self.rng = rng
        self.now = now
        self.w = _Writer()
        self.teams = people.teams
        self.team_agents = {t.pk: [a for a, ids in people.agents if t.pk in ids] for t in people.teams}
        self.agent_names = {a.pk: a.display_name for a, _ids in people.agents}
        self.case_type_ids = people.case_type_ids
        self.tag_ids = people.tag_ids
        self.case_id = _next_id(Case)
        self.message_id = _next_id(Message)
        self.outbox_id = _next_id(OutboxMessage)
        self.note_id = _next_id(Note)
        self.event_id = _next_id(CaseEvent)
        self.numbers: dict[int, int] = {}
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.domain = settings.LOFTE_MESSAGE_ID_DOMAIN
        self.prefix = settings.LOFTE_REFERENCE_PREFIX

    # one timeline step: (kind, offset fraction of the case's span, extra)
    def _steps(self, status: str) -> list[tuple[str, float]]:
        rng = self.rng
        if status == Status.NEW:
            return [("created", 0.0)] + ([("assign", 0.3)] if rng.random() < 0.2 else [])
        steps = [("created", 0.0), ("assign", 0.05)]
        if status == Status.OPEN:
            steps += [("reply", 0.4)]
            if rng.random() < 0.3:
                steps += [("note", 0.8)]
        elif status == Status.WAITING_ON_CUSTOMER:
            steps += [("reply_wait", 0.3)]
        elif status == Status.WAITING_ON_THIRD_PARTY:
            steps += [("reply", 0.2), ("note", 0.5), ("third_party", 0.6)]
        else:  # solved, closed
            steps += [("reply_wait", 0.15), ("inbound", 0.35)]
            if rng.random() < 0.3:
                steps += [("note", 0.4)]
            steps += [("reply_solve", 0.6)]
            if status == Status.CLOSED:
                steps += [("close", 1.0)]
        return steps

    def case(self, chunk: _Chunk, *, created: datetime, customer: tuple[int, str, str, str]) -> tuple[str, int, int]:
        """Append one case and its timeline to the chunk; returns (reference, team id or 0, event count)."""
        rng, w = self.rng, self.w
        customer_id, email, name, language = customer
        age = self.now - created
        weights = next(table for limit, table in STATUS_BY_AGE if age < limit)
        status = rng.choices(list(weights), weights=list(weights.values()))[0]
        case_type: tuple[str, int, int] | None = rng.choice(CASE_TYPES) if rng.random() < 0.75 else None
        if case_type is not None:
            team: Team | None = self.teams[case_type[1]]
            priority = case_type[2] if rng.random() < 0.8 else rng.choice(list(Priority.values))
        else:
            team = None if status == Status.NEW and rng.random() < 0.3 else rng.choice(self.teams)
            priority = rng.choices(list(PRIORITY_WEIGHTS), weights=list(PRIORITY_WEIGHTS.values()))[0]
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        lang = language if language in SUBJECTS else "en"
        subject, body = rng.choice(SUBJECTS[lang])
        self.numbers[created.year] = number = self.numbers.get(created.year, 0) + 1
        reference = f"{self.prefix}-{created.year}-{number:06d}"
        case_id = self.case_id
        self.case_id += 1
        span = min(age * 0.9, timedelta(hours=rng.uniform(2, 120)))
        candidates = self.team_agents[team.pk] if team is not None else []
        agent_id: int | None = rng.choice(candidates).pk if candidates else rng.choice(list(self.agent_names))
        assignee: int | None = None
        first_response = solved = closed = None
        current = str(Status.NEW)
        at = created
        n_events = 0

        def event(
            kind: str, at: datetime, *, actor: int | None = None, message: int | None = None, data: Any = None
        ) -> None:
            nonlocal n_events
            n_events += 1
            chunk.events.append((self.event_id, case_id, kind, actor, message, None, json.dumps(data or {}), w.dt(at)))
            self.event_id += 1

        def status_to(target: str, at: datetime, actor: int | None, reason: str = "") -> None:
            nonlocal current
            data = {"from": current, "to": target} | ({"reason": reason} if reason else {})
            event(EventKind.STATUS_CHANGED, at, actor=actor, data=data)
            current = target

        def message(direction: str, text: str, at: datetime) -> int:
            message_id = self.message_id
            self.message_id += 1
            outbox_id = None
            if direction == Direction.OUT:
                outbox_id = self.outbox_id
                self.outbox_id += 1
                external = f"<bench.{message_id}@{self.domain}>"
                reply_subject = f"Re: {subject} [{reference}]"
                payload = {"subject": reply_subject, "from": self.from_email, "to": email, "text": text}
                chunk.outbox.append(
                    (
                        outbox_id,
                        "email",
                        email,
                        json.dumps(payload),
                        external,
                        OutboxState.SENT,
                        1,
                        w.dt(at),
                        None,
                        "",
                        "",
                        "",
                        w.dt(at),
                        w.dt(at + timedelta(seconds=2)),
                        None,
                    )
                )
                chunk.messages.append(
                    (
                        message_id,
                        case_id,
                        direction,
                        "email",
                        reply_subject,
                        text,
                        "",
                        self.from_email,
                        json.dumps([email]),
                        external,
                        agent_id,
                        outbox_id,
                        w.dt(at),
                    )
                )
            else:
                external = f"<cust.{message_id}@example.com>" if channel == Channel.EMAIL else ""
                chunk.messages.append(
                    (
                        message_id,
                        case_id,
                        direction,
                        channel,
                        subject,
                        text,
                        "",
                        email,
                        "[]",
                        external,
                        None,
                        None,
                        w.dt(at),
                    )
                )
            return message_id

        signature = SIGNATURES[lang].format(name=name or email)
        for kind, fraction in self._steps(status):
            at = created + span * fraction
            if kind == "created":
                first = message(Direction.IN, body + signature, at)
                event(EventKind.CREATED, at, message=first)
            elif kind == "assign":
                assignee = agent_id
                event(
                    EventKind.ASSIGNED,
                    at,
                    actor=agent_id,
                    data={"from": None, "to": {"id": agent_id, "name": self.agent_names[agent_id or 0]}},
                )
            elif kind in ("reply", "reply_wait", "reply_solve"):
                reply = message(Direction.OUT, rng.choice(REPLIES[lang]), at)
                event(EventKind.MESSAGE_OUT, at, actor=agent_id, message=reply)
                first_response = first_response or at
                if current == Status.NEW:
                    status_to(Status.OPEN, at, agent_id)
                if kind == "reply_wait":
                    status_to(Status.WAITING_ON_CUSTOMER, at, agent_id)
                elif kind == "reply_solve":
                    status_to(Status.SOLVED, at, agent_id)
                    solved = at
            elif kind == "inbound":
                follow_up = message(Direction.IN, FOLLOW_UPS[lang] + signature, at)
                event(EventKind.MESSAGE_IN, at, message=follow_up)
                status_to(Status.OPEN, at, None, reason="customer_replied")
            elif kind == "note":
                note_id = self.note_id
                self.note_id += 1
                chunk.notes.append((note_id, case_id, agent_id, rng.choice(NOTES), w.dt(at)))
                n_events += 1
                chunk.events.append((self.event_id, case_id, EventKind.NOTE, agent_id, None, note_id, "{}", w.dt(at)))
                self.event_id += 1
            elif kind == "third_party":
                status_to(Status.WAITING_ON_THIRD_PARTY, at, agent_id)
            elif kind == "close":
                status_to(Status.CLOSED, at, agent_id)
                closed = at
        updated = at
        next_due = created + timedelta(days=1) if status in (Status.NEW, Status.OPEN) else None
        chunk.cases.append(
            (
                case_id,
                reference,
                subject,
                customer_id,
                status,
                priority,
                team.pk if team else None,
                assignee,
                self.case_type_ids[case_type[0]] if case_type else None,
                channel,
                lang,
                w.dt(created),
                w.dt(updated),
                w.dt(first_response),
                w.dt(solved),
                w.dt(closed),
                w.dt(next_due),
                None,
            )
        )
        if rng.random() < 0.25:
            for tag_id in rng.sample(self.tag_ids, k=rng.randint(1, 2)):
                chunk.tags.append((case_id, tag_id))
        return reference, team.pk if team else 0, n_events

    def flush(self, chunk: _Chunk) -> None:
        with transaction.atomic():
            self.w.insert(Case, CASE_FIELDS, chunk.cases)
            self.w.insert(OutboxMessage, OUTBOX_FIELDS, chunk.outbox)
            self.w.insert(Message, MESSAGE_FIELDS, chunk.messages)
            self.w.insert(Note, NOTE_FIELDS, chunk.notes)
            self.w.insert(CaseEvent, EVENT_FIELDS, chunk.events)
            self.w.insert(Case.tags.through, ["case", "tag"], chunk.tags)


@dataclass
class _People:
    teams: list[Team]
    agents: list[tuple[Agent, list[int]]]  # with their team ids
    customers: list[tuple[int, str, str, str]]  # id, email, name, language
    case_type_ids: dict[str, int]
    tag_ids: list[int]


def _seed_people(*, customers: int, now: datetime) -> _People:
    teams = [team_create(name=name, email=f"{name.lower()}@lofte.localhost") for name in TEAM_NAMES]
    agents: list[Agent] = []
    for i in range(30):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        member = [teams[i % len(teams)]] + ([teams[(i + 1) % len(teams)]] if i % 4 == 0 else [])
        agents.append(
            agent_create(
                email=f"agent{i}@bench.lofte.localhost",
                name=f"{first} {last}",
                role=Role.TEAM_LEAD if i < len(teams) else Role.AGENT,
                teams=member,
                language="sv" if i % 3 else "en",
            )
        )
    agents.append(
        agent_create(email="admin@bench.lofte.localhost", name="Admin", role=Role.ADMIN, teams=teams, language="en")
    )
    case_type_ids: dict[str, int] = {}
    for name, team_index, priority in CASE_TYPES:
        case_type_ids[name] = CaseType.objects.create(
            name=name,
            default_team=teams[team_index],
            default_priority=priority,
            expected_handling_time=timedelta(days=2),
            update_interval=timedelta(days=1),
        ).pk
    tag_ids = [t.pk for t in Tag.objects.bulk_create([Tag(name=n) for n in TAG_NAMES])]
    orgs = [o.pk for o in Organisation.objects.bulk_create([Organisation(name=n) for n in ORGS])]

    w = _Writer()
    customer_rows: list[tuple[Any, ...]] = []
    identity_rows: list[tuple[Any, ...]] = []
    people: list[tuple[int, str, str, str]] = []
    customer_id, identity_id = _next_id(Customer), _next_id(CustomerIdentity)
    for i in range(customers):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        name = f"{first} {last}" if i % 10 else ""
        language = "sv" if i % 3 else "en"
        email = f"{first}.{last}.{i}@example.com".lower().translate(str.maketrans("åäö", "aao"))
        created = now - timedelta(days=SPREAD_DAYS + 30, minutes=-i)
        organisation = orgs[i % len(orgs)] if i % 7 == 0 else None
        customer_rows.append(
            (
                customer_id,
                name,
                organisation,
                [Tier.A, Tier.B, Tier.B, Tier.C][i % 4],
                language,
                "",
                "",
                w.dt(created),
                w.dt(created),
            )
        )
        identity_rows.append(
            (identity_id, customer_id, IdentityKind.EMAIL, email, True, w.dt(created), w.dt(created), Proof.MESSAGE)
        )
        identity_id += 1
        if i % 2 == 0:
            phone = f"+4670{1000000 + i:07d}"
            identity_rows.append(
                (identity_id, customer_id, IdentityKind.PHONE, phone, True, w.dt(created), w.dt(created), Proof.MESSAGE)
            )
            identity_id += 1
        people.append((customer_id, email, name, language))
        customer_id += 1
    with transaction.atomic():
        fields = ["id", "name", "organisation", "tier", "language", "time_zone", "notes", "created_at", "updated_at"]
        w.insert(Customer, fields, customer_rows)
        w.insert(
            CustomerIdentity,
            ["id", "customer", "kind", "value", "is_primary", "created_at", "proven_at", "proof"],
            identity_rows,
        )
    return _People(
        teams=teams,
        agents=[(a, list(a.teams.values_list("id", flat=True))) for a in agents],
        customers=people,
        case_type_ids=case_type_ids,
        tag_ids=tag_ids,
    )


def seed(*, cases: int, progress: Progress, seed_value: int = 42) -> World:
    """Write `cases` cases with realistic timelines; returns what the measurements need."""
    rng = random.Random(seed_value)  # noqa: S311 - benchmark data, not security
    now = datetime.now(UTC)
    started = time.perf_counter()
    world_people = _seed_people(customers=max(20, cases // 3), now=now)
    teams, people = world_people.teams, world_people.customers
    # The benchmark's agent: an agent (not an admin) of two teams.
    agent, _ids = world_people.agents[len(teams)]
    agent.teams.set(teams[:2])
    agent_teams = {t.pk for t in teams[:2]}
    world_people.agents[len(teams)] = (agent, sorted(agent_teams))
    progress(f"seed: {len(teams)} teams, {len(world_people.agents)} agents, {len(people)} customers")

    seeder = _Seeder(rng=rng, now=now, people=world_people)
    start = now - timedelta(days=SPREAD_DAYS)
    seconds = (now - start).total_seconds() - 60
    moments = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(cases))
    rich: list[str] = []
    chunk = _Chunk()
    totals = [0, 0, 0]
    for i, created in enumerate(moments):
        customer = people[int(len(people) * rng.random() ** 1.5)]  # some customers write a lot
        reference, team_id, n_events = seeder.case(chunk, created=created, customer=customer)
        if n_events >= MIN_EVENTS_FOR_CASE_PAGE and team_id in agent_teams:
            rich.append(reference)
        if len(chunk.cases) >= CHUNK or i == len(moments) - 1:
            totals[0] += len(chunk.events)
            totals[1] += len(chunk.messages)
            totals[2] += len(chunk.notes)
            seeder.flush(chunk)
            chunk = _Chunk()
            progress(f"seed: {i + 1}/{cases} cases ({time.perf_counter() - started:.1f} s)")
    for year in {*seeder.numbers, now.year}:
        ReferenceSequence.objects.update_or_create(year=year, defaults={"last_value": seeder.numbers.get(year, 0)})
    with connection.cursor() as cursor:
        bulk_models: list[type[models.Model]] = [
            Customer,
            CustomerIdentity,
            Case,
            Message,
            OutboxMessage,
            Note,
            CaseEvent,
            Case.tags.through,
        ]
        for sql in connection.ops.sequence_reset_sql(no_style(), bulk_models):
            cursor.execute(sql)
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
    progress(
        f"seed: done, {cases} cases, {totals[1]} messages, {totals[2]} notes, {totals[0]} events "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return World(
        agent=agent,
        teams=teams[:2],
        customer_ids=[p[0] for p in people],
        customer_emails=[p[1] for p in people],
        case_page_references=rich,
        cases=cases,
        events=totals[0],
        messages=totals[1],
        notes=totals[2],
    )


# --- measuring --------------------------------------------------------------------------------


def _ms(seconds: list[float], q: float) -> float:
    if not seconds:
        return 0.0
    ordered = sorted(seconds)
    if len(ordered) == 1:
        return round(ordered[0] * 1000, 2)
    value = statistics.quantiles(ordered, n=100, method="inclusive")[int(q) - 1] if q < 100 else ordered[-1]
    return round(value * 1000, 2)


@dataclass
class Timing:
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return round(statistics.median(self.seconds) * 1000, 2) if self.seconds else 0.0

    @property
    def p95(self) -> float:
        return _ms(self.seconds, 95)

    @property
    def query_count(self) -> int:
        return max(self.queries) if self.queries else 0

    @property
    def query_counts(self) -> list[int]:
        return sorted(set(self.queries))


def _raw_create_sql() -> dict[str, str]:
    qn = connection.ops.quote_name

    def insert(model: type[models.Model], fields: list[str]) -> str:
        columns = ", ".join(qn(_column(model, f)) for f in fields)
        values = ", ".join(["%s"] * len(fields))
        return f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({values}) RETURNING {qn('id')}"  # noqa: S608

    seq = qn(ReferenceSequence._meta.db_table)
    return {
        "number": f"UPDATE {seq} SET {qn('last_value')} = {qn('last_value')} + 1 WHERE {qn('year')} = %s "  # noqa: S608
        f"RETURNING {qn('last_value')}",
        "case": insert(Case, [f for f in CASE_FIELDS if f != "id"]),
        "message": insert(Message, [f for f in MESSAGE_FIELDS if f != "id"]),
        "event": insert(CaseEvent, [f for f in EVENT_FIELDS if f != "id"]),
    }


def _raw_create(sql: dict[str, str], *, customer: Customer, subject: str, body: str, sender: str) -> int:
    """What case_create writes (take a number; case, message, `created` event), raw, in one transaction."""
    now = datetime.now(UTC)
    at = connection.ops.adapt_datetimefield_value(now) if connection.vendor != "postgresql" else now
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql["number"], [now.year])
        number = cursor.fetchone()[0]  # type: ignore[index]
        reference = f"{settings.LOFTE_REFERENCE_PREFIX}-{now.year}-{number:06d}"
        cursor.execute(
            sql["case"],
            [
                reference,
                subject,
                customer.pk,
                Status.NEW,
                Priority.NORMAL,
                None,
                None,
                None,
                Channel.EMAIL,
                customer.language,
                at,
                at,
                None,
                None,
                None,
                None,
                None,
            ],
        )
        case_id = cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute(
            sql["message"],
            [case_id, Direction.IN, Channel.EMAIL, subject, body, "", sender, "[]", "", None, None, at],
        )
        message_id = cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute(sql["event"], [case_id, EventKind.CREATED, None, message_id, None, "{}", at])
        cursor.fetchone()
    return int(case_id)


def measure_create(world: World, *, sample: int, progress: Progress) -> tuple[Timing, Timing]:
    """Create `sample` cases through case_create and `sample` through raw SQL, interleaved in blocks."""
    rng = random.Random(7)  # noqa: S311
    ids = [rng.choice(world.customer_ids) for _ in range(sample)]
    by_id = Customer.objects.in_bulk(ids)
    emails = dict(
        CustomerIdentity.objects.filter(customer_id__in=ids, kind=IdentityKind.EMAIL).values_list(
            "customer_id", "value"
        )
    )
    work = [(by_id[i], emails.get(i, "")) for i in ids]
    subject, body = SUBJECTS["sv"][0]
    sql = _raw_create_sql()
    service, raw = Timing(), Timing()
    for customer, sender in work[:5]:  # warm-up, not counted
        services.case_create(customer=customer, subject=subject, body=body, channel=Channel.EMAIL, sender=sender)
        _raw_create(sql, customer=customer, subject=subject, body=body, sender=sender)
    block = 50
    for start in range(0, sample, block):
        part = work[start : start + block]
        for customer, sender in part:
            t0 = time.perf_counter()
            services.case_create(customer=customer, subject=subject, body=body, channel=Channel.EMAIL, sender=sender)
            service.seconds.append(time.perf_counter() - t0)
        for customer, sender in part:
            t0 = time.perf_counter()
            _raw_create(sql, customer=customer, subject=subject, body=body, sender=sender)
            raw.seconds.append(time.perf_counter() - t0)
    progress(f"create: {sample} through case_create, {sample} through raw SQL")
    return service, raw


def _get_pages(client: Client, urls: list[str], *, warmup: int) -> Timing:
    timing = Timing()
    for url in urls[:warmup]:
        client.get(url)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        timing.seconds.append(elapsed)
        timing.queries.append(len(ctx.captured_queries))
    return timing


def measure_pages(world: World, *, requests: int, progress: Progress) -> dict[str, Timing]:
    client = Client()
    client.force_login(world.agent)
    inbox = reverse("cases:inbox")
    team = world.teams[0].pk
    results = {
        "inbox": _get_pages(client, [inbox] * requests, warmup=5),
        "inbox_filtered": _get_pages(client, [f"{inbox}?status=open&team={team}"] * requests, warmup=5),
        "inbox_search": _get_pages(client, [f"{inbox}?q={SEARCH_TERM}"] * requests, warmup=3),
    }
    refs = world.case_page_references
    if not refs:
        raise RuntimeError("no case with a timeline is visible to the benchmark's agent; seed more cases")
    step = max(1, len(refs) // requests)
    chosen = (refs[::step] * (requests // max(1, len(refs[::step])) + 1))[:requests]
    warm = [reverse("cases:detail", args=[r]) for r in _sample(refs, 5)]
    _get_pages(client, warm, warmup=0)
    results["case"] = _get_pages(client, [reverse("cases:detail", args=[r]) for r in chosen], warmup=0)
    progress(f"pages: {requests} requests each of the inbox (3 ways) and the case page")
    return results


def _sample(items: list[str], k: int) -> list[str]:
    return random.Random(3).sample(items, k=min(k, len(items)))  # noqa: S311


def measure_api_create(world: World, *, requests: int, progress: Progress) -> Timing:
    secret = api_token_create(agent=world.agent, name="bench").secret
    client = Client()
    headers = {"authorization": f"Bearer {secret}"}
    rng = random.Random(11)  # noqa: S311
    subject, body = SUBJECTS["en"][0]
    timing = Timing()
    for i in range(-3, requests):  # three warm-up requests
        if i % 2 == 0:
            email, name = rng.choice(world.customer_emails), ""
        else:
            email, name = f"api-{os.getpid()}-{i + 3}@example.org", f"New Customer {i + 3}"
        payload = {"subject": subject, "body": body, "channel": "email", "customer": {"email": email, "name": name}}
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.post(API_PATH, data=payload, content_type="application/json", headers=headers)
            elapsed = time.perf_counter() - t0
        if response.status_code != 201:
            raise RuntimeError(f"POST {API_PATH} answered {response.status_code}: {response.content[:300]!r}")
        if i >= 0:
            timing.seconds.append(elapsed)
            timing.queries.append(len(ctx.captured_queries))
    progress(f"api: {requests} case creations through POST {API_PATH}")
    return timing


# --- the whole run ----------------------------------------------------------------------------


def run_benchmark(*, cases: int, sample: int, requests: int, progress: Progress) -> dict[str, Any]:
    """Seed, measure, and return the figures (the keys of `lofte bench_core --json`)."""
    with bench_database("bench") as name:
        progress(f"database: {connection.vendor} {name}")
        started = time.perf_counter()
        world = seed(cases=cases, progress=progress)
        seed_seconds = time.perf_counter() - started
        service, raw = measure_create(world, sample=sample, progress=progress)
        pages = measure_pages(world, requests=requests, progress=progress)
        api = measure_api_create(world, requests=requests, progress=progress)
    create_per_s = len(service.seconds) / sum(service.seconds)
    raw_per_s = len(raw.seconds) / sum(raw.seconds)
    result: dict[str, Any] = {
        "cases": cases,
        "database": connection.vendor,
        "seed_s": round(seed_seconds, 1),
        "seeded_messages": world.messages,
        "seeded_events": world.events,
        "sample": sample,
        "requests": requests,
        "create_per_s": round(create_per_s, 1),
        "raw_insert_per_s": round(raw_per_s, 1),
        "create_ratio": round(create_per_s / raw_per_s, 3),
        "create_p50_ms": service.p50,
        "raw_insert_p50_ms": raw.p50,
    }
    for key, timing in pages.items():
        result[f"{key}_p50_ms"] = timing.p50
        result[f"{key}_p95_ms"] = timing.p95
        result[f"{key}_queries"] = timing.query_count
        if len(timing.query_counts) > 1:
            progress(f"warning: {key} query count varies between requests: {timing.query_counts}")
            result[f"{key}_query_counts"] = timing.query_counts
    result["api_create_p50_ms"] = api.p50
    result["api_create_p95_ms"] = api.p95
    result["api_create_queries"] = api.query_count
    return result


TARGET_PAGE_P95_MS = 50.0
TARGET_CREATE_RATIO = 0.5


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    rows = [
        ("inbox (default filters)", "inbox"),
        ("inbox (status=open, team)", "inbox_filtered"),
        (f"inbox (search {SEARCH_TERM!r})", "inbox_search"),
        ("case page", "case"),
    ]
    lines = [
        f"Lofte core benchmark: {result['cases']:,} cases on {result['database']} "
        f"(seeded in {result['seed_s']} s: {result['seeded_messages']:,} messages, "
        f"{result['seeded_events']:,} events)",
        "",
        f"{'':34}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}",
    ]
    for label, key in rows:
        varied = result.get(f"{key}_query_counts")
        lines.append(
            f"{label:34}{result[f'{key}_p50_ms']:>9.1f}{result[f'{key}_p95_ms']:>9.1f}{result[f'{key}_queries']:>9}"
            + (f"  (varies between requests: {varied})" if varied else "")
        )
    lines.append(
        f"{'API create (POST /api/v1/cases)':34}{result['api_create_p50_ms']:>9.1f}"
        f"{result['api_create_p95_ms']:>9.1f}{result['api_create_queries']:>9}"
    )
    lines += [
        "",
        f"{'create through case_create':34}{result['create_per_s']:>9.0f} cases/s  (sample {result['sample']})",
        f"{'raw INSERT of the same rows':34}{result['raw_insert_per_s']:>9.0f} cases/s",
        f"{'ratio':34}{result['create_ratio']:>9.2f}",
        "",
        "Targets:",
    ]
    page_ok = result["inbox_p95_ms"] < TARGET_PAGE_P95_MS
    case_ok = result["case_p95_ms"] < TARGET_PAGE_P95_MS
    ratio_ok = result["create_ratio"] >= TARGET_CREATE_RATIO
    lines += [
        f"  inbox p95 < {TARGET_PAGE_P95_MS:.0f} ms: {'ok' if page_ok else 'MISSED'} ({result['inbox_p95_ms']:.1f} ms)",
        f"  case page p95 < {TARGET_PAGE_P95_MS:.0f} ms: {'ok' if case_ok else 'MISSED'} "
        f"({result['case_p95_ms']:.1f} ms)",
        f"  create >= {TARGET_CREATE_RATIO} x raw INSERT: {'ok' if ratio_ok else 'MISSED'} "
        f"({result['create_ratio']:.2f})",
        "  (the 50 ms target applies at 100,000 cases; query counts must not grow with --cases)",
    ]
    return "\n".join(lines)
