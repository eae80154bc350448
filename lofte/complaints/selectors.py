"""Reads for complaints: the register (filtered, a page at a time) and one complaint, each limited to the cases
the reader may see (lofte.accounts.access)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import QueryDict
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.models import ACTIVE_STATUSES, Case
from lofte.complaints.models import (
    Category,
    Compensation,
    CompensationState,
    Complaint,
    Outcome,
    RootCause,
    Severity,
)
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.pagination import Page, SortKey, paginate

REGISTER_SORT = SortKey("received_at", descending=True)
STATES = ("open", "resolved", "overdue", "unflagged", "all")


@dataclass(frozen=True)
class RegisterFilters:
    state: str = "open"  # open | resolved | overdue | unflagged | all
    category: int | None = None
    severity: str = ""
    outcome: str = ""
    channel: str = ""
    owner_team: int | None = None
    root_cause: int | None = None
    customer: int | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    q: str = ""


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def filters_parse(params: QueryDict) -> RegisterFilters:
    """The register's filters from a page's query string; what is not understood is left out, not an error."""
    state = params.get("state") or "open"
    return RegisterFilters(
        state=state if state in STATES else "open",
        category=_int(params.get("category")),
        severity=params.get("severity", "") if params.get("severity", "") in Severity.values else "",
        outcome=params.get("outcome", "") if params.get("outcome", "") in Outcome.values else "",
        channel=(params.get("channel") or "")[:16],
        owner_team=_int(params.get("owner_team")),
        root_cause=_int(params.get("root_cause")),
        customer=_int(params.get("customer")),
        q=(params.get("q") or "").strip()[:100],
    )


def _filtered(agent: Agent, filters: RegisterFilters) -> QuerySet[Complaint]:
    qs = Complaint.objects.filter(access.case_scope_q(agent, prefix="case__"))
    state = filters.state
    if state == "unflagged":
        qs = qs.filter(is_active=False)
    elif state != "all":
        qs = qs.filter(is_active=True)
        if state == "open":
            qs = qs.filter(case__status__in=ACTIVE_STATUSES)
        elif state == "resolved":
            qs = qs.exclude(case__status__in=ACTIVE_STATUSES)
        elif state == "overdue":
            qs = qs.filter(case__status__in=ACTIVE_STATUSES, deadline_at__lt=clock.now())
    if filters.category is not None:
        qs = qs.filter(Q(category_id=filters.category) | Q(subcategory_id=filters.category))
    if filters.severity:
        qs = qs.filter(severity=filters.severity)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.owner_team is not None:
        qs = qs.filter(owner_team_id=filters.owner_team)
    if filters.root_cause is not None:
        qs = qs.filter(root_cause_id=filters.root_cause)
    if filters.customer is not None:
        qs = qs.filter(customer_id=filters.customer)
    if filters.received_from is not None:
        qs = qs.filter(received_at__gte=filters.received_from)
    if filters.received_to is not None:
        qs = qs.filter(received_at__lt=filters.received_to)
    if filters.q:
        qs = qs.filter(
            Q(case__reference__iexact=filters.q)
            | Q(case__subject__icontains=filters.q)
            | Q(product__icontains=filters.q)
        )
    return qs


def _with_related(qs: QuerySet[Complaint]) -> QuerySet[Complaint]:
    return qs.select_related("case", "customer", "category", "subcategory", "root_cause", "owner_agent", "owner_team")


def complaint_register(
    *, agent: Agent, filters: RegisterFilters, cursor: str | None = None, limit: int = 50
) -> Page[Complaint]:
    """A page of the complaints the agent may see, newest first. The page is chosen on the complaints' own columns
    (their ids and times), and only its rows are then read with what they show: on PostgreSQL at 100,000
    complaints, choosing the page with every joined table attached cost ten times as much."""
    page = paginate(_filtered(agent, filters).only("pk", "received_at"), key=REGISTER_SORT, cursor=cursor, limit=limit)
    rows = {c.pk: c for c in _with_related(Complaint.objects.filter(pk__in=[c.pk for c in page.items]))}
    return Page(items=[rows[c.pk] for c in page.items if c.pk in rows], next_cursor=page.next_cursor)


def complaint_get_for_agent(*, agent: Agent, case_id: int | None = None, reference: str = "") -> Complaint:
    """The complaint of a case the agent may see (by the case's id or reference); NotFound otherwise."""
    qs = _with_related(Complaint.objects.filter(access.case_scope_q(agent, prefix="case__")))
    found = (
        qs.filter(case_id=case_id).first()
        if case_id is not None
        else qs.filter(case__reference=reference.strip().upper()).first()
    )
    if found is None:
        raise NotFound(_("No complaint on case %(ref)s.") % {"ref": reference or case_id})
    return found


def complaint_for_case(*, case: Case) -> Complaint | None:
    """The case's complaint row (active or not), with what its panel shows."""
    return _with_related(Complaint.objects.filter(case_id=case.pk)).first()


def categories() -> list[Category]:
    """Active categories, main ones each followed by its active sub-categories."""
    rows = list(Category.objects.filter(is_active=True).select_related("parent"))
    main = [c for c in rows if c.parent_id is None]
    out: list[Category] = []
    for parent in main:
        out.append(parent)
        out += [c for c in rows if c.parent_id == parent.pk]
    return out


def root_causes() -> list[RootCause]:
    return list(RootCause.objects.filter(is_active=True))


# --- compensation ------------------------------------------------------------------------------------------


def compensations_for_complaint(*, complaint: Complaint) -> list[Compensation]:
    return list(
        Compensation.objects.filter(complaint=complaint)
        .select_related("proposed_by", "decided_by")
        .order_by("proposed_at", "id")
    )


def compensation_get_for_agent(*, agent: Agent, compensation_id: int) -> Compensation:
    """A compensation on a case the agent may see; NotFound otherwise."""
    found = (
        Compensation.objects.filter(access.case_scope_q(agent, prefix="complaint__case__"), pk=compensation_id)
        .select_related("complaint", "complaint__case", "proposed_by", "decided_by")
        .first()
    )
    if found is None:
        raise NotFound(_("Compensation %(id)s not found.") % {"id": compensation_id})
    return found


@dataclass(frozen=True)
class LedgerFilters:
    state: str = ""
    currency: str = ""
    category: int | None = None
    customer: int | None = None
    proposed_from: datetime | None = None
    proposed_to: datetime | None = None


LEDGER_SORT = SortKey("proposed_at", descending=True)
TOTAL_GROUPS = ("month", "category", "customer")
COMMITTED = (CompensationState.APPROVED, CompensationState.PAID)


def _ledger(agent: Agent, filters: LedgerFilters) -> QuerySet[Compensation]:
    qs = Compensation.objects.filter(access.case_scope_q(agent, prefix="complaint__case__"))
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.currency:
        qs = qs.filter(currency=filters.currency)
    if filters.category is not None:
        qs = qs.filter(Q(complaint__category_id=filters.category) | Q(complaint__subcategory_id=filters.category))
    if filters.customer is not None:
        qs = qs.filter(complaint__customer_id=filters.customer)
    if filters.proposed_from is not None:
        qs = qs.filter(proposed_at__gte=filters.proposed_from)
    if filters.proposed_to is not None:
        qs = qs.filter(proposed_at__lt=filters.proposed_to)
    return qs


def _ledger_rows(qs: QuerySet[Compensation]) -> QuerySet[Compensation]:
    return qs.select_related(
        "complaint", "complaint__case", "complaint__customer", "complaint__category", "proposed_by", "decided_by"
    )


def compensation_ledger(
    *, agent: Agent, filters: LedgerFilters, cursor: str | None = None, limit: int = 50
) -> Page[Compensation]:
    """A page of the compensation on the cases the agent may see, newest first."""
    return paginate(
        _ledger(agent, filters),
        key=LEDGER_SORT,
        cursor=cursor,
        limit=limit,
        rows_from=_ledger_rows(Compensation.objects.all()),
    )


def compensation_ledger_rows(*, agent: Agent, filters: LedgerFilters, chunk: int = 2000) -> Iterator[Compensation]:
    """Every row of the ledger the agent may see, oldest first, read a chunk at a time (for the CSV export)."""
    return _ledger_rows(_ledger(agent, filters)).order_by("proposed_at", "id").iterator(chunk_size=chunk)


@dataclass(frozen=True)
class Total:
    group: str  # the month (YYYY-MM), the category's name or the customer's name
    group_id: int | None
    currency: str
    count: int
    committed: Decimal  # approved or paid
    paid: Decimal


def compensation_totals(*, agent: Agent, filters: LedgerFilters, group: str) -> list[Total]:
    """Approved-or-paid and paid totals per currency and `group` (month, category or customer)."""
    if group not in TOTAL_GROUPS:
        raise ValidationFailed(_("Group by one of: %(groups)s.") % {"groups": ", ".join(TOTAL_GROUPS)}, field="group")
    qs = _ledger(agent, filters).filter(state__in=COMMITTED)
    paid = Sum("amount", filter=Q(state=CompensationState.PAID))
    if group == "month":
        rows = (
            qs.annotate(g=TruncMonth("proposed_at"))
            .values("g", "currency")
            .annotate(n=Count("id"), committed=Sum("amount"), paid=paid)
            .order_by("g", "currency")
        )
        return [
            Total(r["g"].strftime("%Y-%m"), None, r["currency"], r["n"], _cents(r["committed"]), _cents(r["paid"]))
            for r in rows
        ]
    field = "complaint__category" if group == "category" else "complaint__customer"
    rows = (
        qs.values(f"{field}_id", f"{field}__name", "currency")
        .annotate(n=Count("id"), committed=Sum("amount"), paid=paid)
        .order_by(f"{field}__name", "currency")
    )
    return [
        Total(
            r[f"{field}__name"] or "—",
            r[f"{field}_id"],
            r["currency"],
            r["n"],
            _cents(r["committed"]),
            _cents(r["paid"]),
        )
        for r in rows
    ]


def _cents(value: Decimal | None) -> Decimal:
    """A sum as money: two decimals on every database (SQLite's sums come back as 300, PostgreSQL's as 300.00)."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


# --- the register export -----------------------------------------------------------------------------------

EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class ExportRow:
    complaint: Complaint
    compensation_paid: str  # "250.00 SEK; 20.00 EUR"


def _export_chunks(
    agent: Agent, filters: RegisterFilters, read: Callable[[QuerySet[Complaint]], list[Any]], key: Callable[[Any], Any]
) -> Iterator[tuple[list[Any], dict[int, str]]]:
    """The register the filters choose, oldest first, a chunk at a time (`read` makes the rows of a queryset,
    `key` gives a row's (received_at, id)), each chunk with the compensation paid per complaint: two queries a
    chunk, memory flat at any size."""
    base = _filtered(agent, filters).order_by("received_at", "id")
    after: tuple[datetime, int] | None = None
    while True:
        qs = (
            base
            if after is None
            else base.filter(Q(received_at__gt=after[0]) | Q(received_at=after[0], id__gt=after[1]))
        )
        chunk = read(qs[:EXPORT_CHUNK])
        if not chunk:
            return
        paid: dict[int, list[str]] = {}
        for row in (
            Compensation.objects.filter(complaint__in=[key(c)[1] for c in chunk], state=CompensationState.PAID)
            .values("complaint_id", "currency")
            .annotate(total=Sum("amount"))
            .order_by("complaint_id", "currency")
        ):
            paid.setdefault(row["complaint_id"], []).append(f"{_cents(row['total'])} {row['currency']}")
        yield chunk, {pk: "; ".join(amounts) for pk, amounts in paid.items()}
        after = key(chunk[-1])


def register_export_rows(*, agent: Agent, filters: RegisterFilters) -> Iterator[ExportRow]:
    """The register's complaints as model rows (the printable page), with the compensation paid on each."""
    for chunk, paid in _export_chunks(
        agent, filters, lambda qs: list(_with_related(qs)), lambda c: (c.received_at, c.pk)
    ):
        for c in chunk:
            yield ExportRow(c, paid.get(c.pk, ""))


EXPORT_VALUES = (
    "id",
    "case__reference",
    "received_at",
    "channel",
    "customer__name",
    "customer__tier",
    "category__name",
    "subcategory__name",
    "severity",
    "product",
    "root_cause__name",
    "owner_agent__name",
    "owner_agent__email",
    "owner_team__name",
    "deadline_at",
    "case__solved_at",
    "outcome",
    "outcome_reason",
    "is_active",
)


def register_export_values(*, agent: Agent, filters: RegisterFilters) -> Iterator[dict[str, Any]]:
    """The register's rows as plain values (no model objects: a quarter of the time per row, for the CSV), each
    with `compensation_paid` ("250.00 SEK; 20.00 EUR")."""
    for chunk, paid in _export_chunks(
        agent, filters, lambda qs: list(qs.values(*EXPORT_VALUES)), lambda c: (c["received_at"], c["id"])
    ):
        for c in chunk:
            c["compensation_paid"] = paid.get(c["id"], "")
            yield c
