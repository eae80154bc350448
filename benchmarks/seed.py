"""Bulk seeding for every benchmark: the one place that writes their rows fast.

The benchmarks seed up to millions of rows (teams, agents, customers, cases,
messages, outbox rows, notes, timeline events, promises, first-response
figures) in a database of their own. `Table` inserts rows with explicit values
(COPY on PostgreSQL, executemany elsewhere); every column a benchmark does not
name gets its model default, or its database default where it has only that,
so a new field with a default needs nothing here.

Each table's row is made by one builder (`case_row`, `message_row`,
`promise_row` ...) with keyword arguments, one a column; the builder's
parameters are the table's FIELDS, in order. To write a new column: add a
keyword parameter (with a default when not every benchmark sets it) and its
value at the same place in the tuple (`test_seed` checks they agree).

What a benchmark's data looks like (the story of a case, which promises are
due) stays with the benchmark; the people every benchmark needs are made here
(`staff_seed`, `customers_seed`, `customers_plain`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.services import agent_create, team_create
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Organisation, Proof, Tier
from lofte.demo.data import FIRST, LAST, ORGS

TEAM_NAMES = ["Kundservice", "Fakturering", "Leverans", "Teknik", "Reklamation", "Företag"]
AGENTS_PER_TEAM = 4  # and one team lead
DOMAIN = "bench.lofte.localhost"

type Row = tuple[Any, ...]


# --- writing rows ---------------------------------------------------------------------------------


class Table:
    """Rows of one model with explicit values for `fields`; every other column gets its default.

    COPY on PostgreSQL, executemany elsewhere. Datetimes must be aware and in UTC (see `dt`). An
    auto-incremented primary key that is not named is numbered by the database.
    """

    def __init__(self, model: type[models.Model], fields: Sequence[str]) -> None:
        self.model = model
        self.fields = list(fields)
        self.postgres = connection.vendor == "postgresql"
        concrete = [f for f in model._meta.concrete_fields if isinstance(f, models.Field)]
        by_name = {f.name: f for f in concrete}
        unknown = set(fields) - set(by_name)
        if unknown:
            raise RuntimeError(f"{model.__name__} has no columns {sorted(unknown)}")
        rest = []
        for f in concrete:
            if f.name in fields or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            if f.has_db_default() and not f.has_default():
                continue  # the database writes it
            if not (f.null or f.has_default() or f.empty_strings_allowed):
                raise RuntimeError(f"the benchmark does not know what to write in {model.__name__}.{f.name}")
            rest.append(f)
        self.defaults: Row = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.columns = ", ".join(qn(str(f.column)) for f in [*(by_name[n] for n in fields), *rest])
        self.width = len(fields) + len(rest)

    def dt(self, value: datetime | None) -> Any:
        """A datetime as the database takes it (Django's own format on SQLite, without its per-call cost)."""
        if value is None or self.postgres:
            return value
        return str(value.replace(tzinfo=None))

    def date(self, value: date) -> Any:
        return value if self.postgres else value.isoformat()

    def values(self, row: Row) -> Row:
        """The row with the defaults of the columns it does not name: the parameters of `insert_sql`."""
        return row + self.defaults

    def insert_sql(self, *, returning: str = "") -> str:
        """One row's INSERT, optionally returning a column (for a measured raw insert)."""
        placeholders = ", ".join(["%s"] * self.width)
        qn = connection.ops.quote_name
        sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({placeholders})"  # noqa: S608
        return sql + (f" RETURNING {qn(returning)}" if returning else "")

    def insert(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        if len(rows[0]) != len(self.fields):
            raise RuntimeError(f"{self.model.__name__}: a row of {len(rows[0])} values for {len(self.fields)} fields")
        with connection.cursor() as cursor:
            if self.postgres:
                raw: Any = cursor.cursor  # the psycopg cursor, for COPY
                with raw.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + self.defaults)
            else:
                cursor.executemany(self.insert_sql(), [row + self.defaults for row in rows])


def next_id(model: type[models.Model]) -> int:
    return int(model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1


def sequences_reset(tables: Sequence[type[models.Model]]) -> None:
    """After rows with explicit ids: the next ids the database hands out follow them."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(tables)):
            cursor.execute(sql)


def statistics(*, analyze: bool) -> str:
    """Give the planner its statistics, as autovacuum (PostgreSQL) or an operator (SQLite) would."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
            return "VACUUM ANALYZE"
        if analyze:
            cursor.execute("ANALYZE")
            return "ANALYZE"
    return "no ANALYZE"


@contextmanager
def indexes_dropped(tables: Sequence[type[models.Model]]) -> Iterator[None]:
    """Drop the tables' secondary indexes for a bulk load and create them again, exactly as they were.

    Building an index once over sorted rows is much faster than keeping a dozen of them up to date row
    by row. Primary keys and unique constraints stay (their indexes enforce them).
    """
    statements: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                    "AND tablename = %s AND indexname NOT IN "
                    "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                    [model._meta.db_table, connection.ops.quote_name(model._meta.db_table)],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                    [model._meta.db_table],
                )
            statements += [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        for name, _sql in statements:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _name, sql in statements:
                cursor.execute(sql)


@contextmanager
def sqlite_cache() -> Iterator[None]:
    """A larger page cache for the load on SQLite; the connection is closed afterwards anyway."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")
    yield


# --- the rows ---------------------------------------------------------------------------------------
# Each builder's parameters are its table's columns, in the order of the tuple it returns. JSON columns
# take their JSON text (`json.dumps`), datetimes what `Table.dt` makes of them.


def case_row(
    *,
    id: int | None,
    reference: str,
    subject: str,
    customer: int,
    status: str,
    priority: int,
    team: int | None,
    assignee: int | None = None,
    case_type: int | None = None,
    channel: str,
    language: str,
    created_at: Any,
    updated_at: Any,
    first_response_at: Any = None,
    solved_at: Any = None,
    closed_at: Any = None,
    next_due_at: Any = None,
    follow_up_of: int | None = None,
) -> Row:
    return (
        id,
        reference,
        subject,
        customer,
        status,
        priority,
        team,
        assignee,
        case_type,
        channel,
        language,
        created_at,
        updated_at,
        first_response_at,
        solved_at,
        closed_at,
        next_due_at,
        follow_up_of,
    )


def message_row(
    *,
    id: int | None,
    case: int,
    direction: str,
    channel: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    sender: str,
    recipients: str = "[]",
    external_id: str = "",
    author: int | None = None,
    outbox_message: int | None = None,
    created_at: Any,
) -> Row:
    return (
        id,
        case,
        direction,
        channel,
        subject,
        body_text,
        body_html,
        sender,
        recipients,
        external_id,
        author,
        outbox_message,
        created_at,
    )


def outbox_row(
    *,
    id: int,
    channel: str,
    to: str,
    payload: str,
    external_id: str,
    state: str,
    attempts: int,
    next_attempt_at: Any,
    claimed_until: Any = None,
    claimed_by: str = "",
    last_error: str = "",
    provider_id: str = "",
    created_at: Any,
    sent_at: Any = None,
    dead_at: Any = None,
) -> Row:
    return (
        id,
        channel,
        to,
        payload,
        external_id,
        state,
        attempts,
        next_attempt_at,
        claimed_until,
        claimed_by,
        last_error,
        provider_id,
        created_at,
        sent_at,
        dead_at,
    )


def note_row(*, id: int, case: int, author: int | None, body: str, created_at: Any) -> Row:
    return (id, case, author, body, created_at)


def event_row(
    *,
    id: int | None,
    case: int,
    kind: str,
    actor: int | None = None,
    message: int | None = None,
    note: int | None = None,
    data: str = "{}",
    created_at: Any,
) -> Row:
    return (id, case, kind, actor, message, note, data, created_at)


def case_tag_row(*, case: int, tag: int) -> Row:
    return (case, tag)


def promise_row(
    *,
    id: int,
    kind: str,
    case: int | None,
    due_at: Any,
    owner_agent: int | None,
    owner_team: int | None,
    state: str,
    origin: str,
    created_at: Any,
    paused_at: Any = None,
    remaining: Any = None,
    remind_at: Any = None,
    reminded_at: Any = None,
    broken_at: Any = None,
    kept_at: Any = None,
    cancelled_at: Any = None,
    escalation_level: int = 0,
    next_escalation_at: Any = None,
    settled_at: Any = None,
    subject_id: int | None = None,
    eta_basis: str = "",
) -> Row:
    return (
        id,
        kind,
        case,
        due_at,
        owner_agent,
        owner_team,
        state,
        origin,
        created_at,
        paused_at,
        remaining,
        remind_at,
        reminded_at,
        broken_at,
        kept_at,
        cancelled_at,
        escalation_level,
        next_escalation_at,
        settled_at,
        subject_id,
        eta_basis,
    )


def response_time_stat_row(*, id: int, channel: str, case_type: int | None, day: Any, bucket: int, count: int) -> Row:
    return (id, channel, case_type, day, bucket, count)


def queue_stat_row(*, id: int, team: int, day: Any, responses: int, queue_sum: int) -> Row:
    return (id, team, day, responses, queue_sum)


def customer_row(
    *,
    id: int,
    name: str,
    organisation: int | None,
    tier: str,
    language: str,
    time_zone: str = "",
    notes: str = "",
    created_at: Any,
    updated_at: Any,
) -> Row:
    return (id, name, organisation, tier, language, time_zone, notes, created_at, updated_at)


def identity_row(
    *, id: int, customer: int, kind: str, value: str, is_primary: bool, created_at: Any, proven_at: Any, proof: str
) -> Row:
    return (id, customer, kind, value, is_primary, created_at, proven_at, proof)


def fields(builder: Callable[..., Row]) -> list[str]:
    """The columns a row builder writes, in order."""
    return list(inspect.signature(builder).parameters)


CASE_FIELDS = fields(case_row)
MESSAGE_FIELDS = fields(message_row)
OUTBOX_FIELDS = fields(outbox_row)
NOTE_FIELDS = fields(note_row)
EVENT_FIELDS = fields(event_row)
CASE_TAG_FIELDS = fields(case_tag_row)
PROMISE_FIELDS = fields(promise_row)
RESPONSE_TIME_STAT_FIELDS = fields(response_time_stat_row)
QUEUE_STAT_FIELDS = fields(queue_stat_row)
CUSTOMER_FIELDS = fields(customer_row)
IDENTITY_FIELDS = fields(identity_row)


def without_id(row: Row) -> Row:
    """A row of a builder whose first column is `id`, for an INSERT that lets the database number it."""
    return row[1:]


# --- the people ---------------------------------------------------------------------------------------


@dataclass
class Staff:
    teams: list[Team]
    agents: list[tuple[Agent, list[int]]]  # every agent, the admin last, with the ids of their teams
    members: dict[int, list[int]]  # team id: its lead and its agents (whose first team it is), not the admin


def staff_seed(*, second_team_every: int = 0, languages: bool = False) -> Staff:
    """Six teams, each with a team lead and four agents, and an admin in every team.

    Agent i belongs to team i % 6, and the first six lead their teams. With `second_team_every` N,
    every Nth agent also belongs to the next team; with `languages`, every third agent (and the admin)
    has English as their language and the others Swedish, else none has a language of their own.
    """
    teams = [team_create(name=name, email=f"{name.lower()}@{DOMAIN}") for name in TEAM_NAMES]
    agents: list[tuple[Agent, list[int]]] = []
    members: dict[int, list[int]] = {team.pk: [] for team in teams}
    for i in range(len(teams) * (1 + AGENTS_PER_TEAM)):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        team = teams[i % len(teams)]
        member = [team] + ([teams[(i + 1) % len(teams)]] if second_team_every and i % second_team_every == 0 else [])
        agent = agent_create(
            email=f"agent{i}@{DOMAIN}",
            name=f"{first} {last}",
            role=Role.TEAM_LEAD if i < len(teams) else Role.AGENT,
            teams=member,
            language=("sv" if i % 3 else "en") if languages else "",
        )
        agents.append((agent, [t.pk for t in member]))
        members[team.pk].append(agent.pk)
    admin = agent_create(
        email=f"admin@{DOMAIN}", name="Admin", role=Role.ADMIN, teams=teams, language="en" if languages else ""
    )
    agents.append((admin, [t.pk for t in teams]))
    return Staff(teams=teams, agents=agents, members=members)


def customers_plain(count: int) -> list[int]:
    """`count` customers with a name and nothing else (no address, no organisation); their ids."""
    return [c.pk for c in Customer.objects.bulk_create([Customer(name=f"Kund {i}") for i in range(count)])]


def customers_seed(count: int, *, since: datetime) -> list[tuple[int, str, str, str]]:
    """`count` customers as a contact centre has them, made from `since` on a minute apart.

    Each has a proven email address, every other one a mobile number too; every tenth has no name,
    every seventh belongs to an organisation, tiers A, B, B, C in turn, a third write in English.
    Returns (id, email, name, language) of each.
    """
    orgs = [o.pk for o in Organisation.objects.bulk_create([Organisation(name=n) for n in ORGS])]
    customers_t = Table(Customer, CUSTOMER_FIELDS)
    identities_t = Table(CustomerIdentity, IDENTITY_FIELDS)
    dt = customers_t.dt
    customer_rows: list[Row] = []
    identity_rows: list[Row] = []
    people: list[tuple[int, str, str, str]] = []
    customer_id, identity_id = next_id(Customer), next_id(CustomerIdentity)
    for i in range(count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + i // len(FIRST)) % len(LAST)]
        name = f"{first} {last}" if i % 10 else ""
        language = "sv" if i % 3 else "en"
        email = f"{first}.{last}.{i}@example.com".lower().translate(str.maketrans("åäö", "aao"))
        created = dt(since + timedelta(minutes=i))
        customer_rows.append(
            customer_row(
                id=customer_id,
                name=name,
                organisation=orgs[i % len(orgs)] if i % 7 == 0 else None,
                tier=[Tier.A, Tier.B, Tier.B, Tier.C][i % 4],
                language=language,
                created_at=created,
                updated_at=created,
            )
        )
        addresses = [(IdentityKind.EMAIL, email)] + (
            [(IdentityKind.PHONE, f"+4670{1000000 + i:07d}")] if i % 2 == 0 else []
        )
        for kind, value in addresses:
            identity_rows.append(
                identity_row(
                    id=identity_id,
                    customer=customer_id,
                    kind=kind,
                    value=value,
                    is_primary=True,
                    created_at=created,
                    proven_at=created,
                    proof=Proof.MESSAGE,
                )
            )
            identity_id += 1
        people.append((customer_id, email, name, language))
        customer_id += 1
    with transaction.atomic():
        customers_t.insert(customer_rows)
        identities_t.insert(identity_rows)
    return people
