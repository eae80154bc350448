"""The complaints' analysis: figures over a period, each a table (the rows behind its chart, its CSV and its API
answer) and a chart drawn from those rows.

Every figure is one aggregate query over the complaints of the cases the reader may see (lofte.accounts.access),
so the page costs the same number of queries at any number of complaints; the period (received in it) is bounded
by default to the last twelve months.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.complaints.models import (
    Category,
    CheckState,
    Compensation,
    CompensationState,
    Complaint,
    Outcome,
    RootCause,
    Severity,
    TemperatureCheck,
)
from lofte.core import charts
from lofte.core.choices import Channel
from lofte.core.errors import NotFound, ValidationFailed
from lofte.customers.models import Customer, Tier

TOP = 10  # groups shown per figure (the rest summed as "other"): one colour each in a stacked chart


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive


@dataclass
class Figure:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Any = ""
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _complaints(agent: Agent, period: Period) -> QuerySet[Complaint]:
    return Complaint.objects.filter(
        access.case_scope_q(agent, prefix="case__"),
        is_active=True,
        received_at__gte=period.start,
        received_at__lt=period.end,
    )


class HoursBetween(Func):
    """Hours from the second datetime to the first, computed by the database itself (on SQLite with its own
    julianday(), not Django's per-row Python function for a datetime difference)."""

    arity = 2
    output_field = FloatField()
    arg_joiner = " - "
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 24.0)", arg_joiner=") - julianday("
        )


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _bounds(period: Period) -> list[tuple[str, datetime, datetime]]:
    """The period's months in the site's time zone: (YYYY-MM, start, end), the first and last cut to the period."""
    out = []
    local = period.start.astimezone(_zone())
    current = period.start
    year, month = local.year, local.month
    while current < period.end:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        following = min(datetime(year, month, 1, tzinfo=_zone()), period.end)
        out.append((f"{current.astimezone(_zone()):%Y-%m}", current, following))
        current = following
    return out


def _bucket(field_name: str, bounds: list[tuple[str, datetime, datetime]]) -> Case:
    """The index of the month a row's `field_name` falls in, as plain comparisons the database does itself (a
    date-truncating function runs per row in Python on SQLite: ten times slower at 100,000 rows)."""
    whens = [When(**{f"{field_name}__lt": end}, then=Value(i)) for i, (_label, _start, end) in enumerate(bounds)]
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def per_month(agent: Agent, period: Period) -> Figure:
    """Complaints received per month, how many are resolved, and how many of those within their deadline."""
    solved = Q(case__solved_at__isnull=False)
    within = solved & Q(case__solved_at__lte=F("deadline_at"))
    took = HoursBetween(F("case__solved_at"), F("received_at"))
    bounds = _bounds(period)
    rows = {
        bounds[r["m"]][0]: r
        for r in _complaints(agent, period)
        .annotate(m=_bucket("received_at", bounds))
        .values("m")
        .annotate(n=Count("id"), resolved=Count("id", filter=solved), within=Count("id", filter=within), took=Avg(took))
        .order_by("m")
    }
    table: list[list[Any]] = []
    for month, _start, _end in bounds:
        r: dict[str, Any] = dict(rows.get(month) or {})
        n, resolved, ok = r.get("n", 0), r.get("resolved", 0), r.get("within", 0)
        hours = round(r["took"], 1) if r.get("took") is not None else None
        table.append([month, n, resolved, ok, round(100 * ok / resolved) if resolved else None, hours])
    return Figure(
        key="per_month",
        title=_("Complaints per month, and resolved within the deadline"),
        columns=[
            _("Month"),
            _("Complaints"),
            _("Resolved"),
            _("Within the deadline"),
            _("Within the deadline (%)"),
            _("Average hours to resolve"),
        ],
        rows=table,
        chart=charts.columns([charts.Point(r[0], r[1], mark=r[3]) for r in table]),
        note=_("The darker part of each column: resolved within the deadline."),
    )


def _grouped(
    key: str, title: str, column: str, agent: Agent, period: Period, field_name: str, name: Callable[[Any], str]
) -> Figure:
    """Complaints per group and month: one aggregate query. A row per group (the TOP largest over the period, the
    rest summed as "Other"): its name, its total, then its count in each month; the chart stacks each month's
    column by those rows."""
    bounds = _bounds(period)
    months = [label for label, _start, _end in bounds]
    per_group: dict[str, list[int]] = {}
    for r in (
        _complaints(agent, period)
        .annotate(m=_bucket("received_at", bounds))
        .values(field_name, "m")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts = per_group.setdefault(name(r[field_name]), [0] * len(months))
        counts[r["m"]] += r["n"]
    ranked = sorted(per_group.items(), key=lambda item: (-sum(item[1]), item[0]))  # the same order on any database
    shown = ranked[:TOP]
    if len(ranked) > TOP:
        rest = [sum(counts[i] for _name, counts in ranked[TOP:]) for i in range(len(months))]
        shown.append((_("Other"), rest))
    table: list[list[Any]] = [[group, sum(counts), *counts] for group, counts in shown]
    return Figure(
        key=key,
        title=title,
        columns=[column, _("Complaints"), *months],
        rows=table,
        chart=charts.stacked(months, [(str(group), counts) for group, counts in shown]),
        note=_(
            "Each month's column is divided into the table's groups, the largest at the bottom, in the legend's order."
        ),
    )


def _row_names(model: Any) -> Callable[[Any], str]:
    """Names (in the reader's language) of the model's rows, read once: one query."""
    names = {row.pk: row.public_name() for row in model.objects.all()}
    return lambda pk: _("Not set") if pk is None else names.get(pk, str(pk))


def _label(choices: Any, missing: Any = None) -> Callable[[Any], str]:
    labels = dict(choices)
    return lambda value: str(labels.get(value, value if missing is None else missing) or _("Not set"))


def by_group(agent: Agent, period: Period, group: str) -> Figure:
    """Complaints in the period per category, root cause, channel, product, tier, outcome or severity, and month."""
    specs: dict[str, tuple[str, Any, Any, Callable[[], Callable[[Any], str]]]] = {
        "category": (
            "category",
            gettext_lazy("Complaints by category"),
            gettext_lazy("Category"),
            lambda: _row_names(Category),
        ),
        "root_cause": (
            "root_cause",
            gettext_lazy("Complaints by root cause"),
            gettext_lazy("Root cause"),
            lambda: _row_names(RootCause),
        ),
        "channel": (
            "channel",
            gettext_lazy("Complaints by channel"),
            gettext_lazy("Channel"),
            lambda: _label(Channel.choices),
        ),
        "product": (
            "product",
            gettext_lazy("Complaints by product or service"),
            gettext_lazy("Product or service"),
            lambda: lambda v: v or _("Not set"),
        ),
        "tier": (
            "customer__tier",
            gettext_lazy("Complaints by customer tier"),
            gettext_lazy("Tier"),
            lambda: _label(Tier.choices),
        ),
        "outcome": (
            "outcome",
            gettext_lazy("Complaints by outcome"),
            gettext_lazy("Outcome"),
            lambda: _label(Outcome.choices, _("Not decided")),
        ),
        "severity": (
            "severity",
            gettext_lazy("Complaints by severity"),
            gettext_lazy("Severity"),
            lambda: _label(Severity.choices),
        ),
    }
    if group not in specs:
        raise NotFound(_("There is no such figure."))
    field_name, title, column, names = specs[group]
    return _grouped(f"by_{group}", str(title), str(column), agent, period, field_name, names())


def compensation_paid(agent: Agent, period: Period) -> Figure:
    bounds = _bounds(period)
    rows = list(
        Compensation.objects.filter(
            access.case_scope_q(agent, prefix="complaint__case__"),
            state=CompensationState.PAID,
            paid_at__gte=period.start,
            paid_at__lt=period.end,
        )
        .annotate(m=_bucket("paid_at", bounds))
        .values("m", "currency")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by("m", "currency")
    )
    table = [[bounds[r["m"]][0], r["currency"], r["n"], f"{r['total']:.2f}"] for r in rows]
    return Figure(
        key="compensation",
        title=_("Compensation paid per month"),
        columns=[_("Month"), _("Currency"), _("Payments"), _("Paid")],
        rows=table,
        chart=charts.bars([charts.Point(f"{r[0]} {r[1]}", float(r[3])) for r in table]),
    )


def checks(agent: Agent, period: Period) -> Figure:
    """Temperature checks sent in the period, per month: answered yes, no (reopened), not answered."""
    bounds = _bounds(period)
    rows = list(
        TemperatureCheck.objects.filter(
            access.case_scope_q(agent, prefix="complaint__case__"),
            sent_at__gte=period.start,
            sent_at__lt=period.end,
        )
        .annotate(m=_bucket("sent_at", bounds))
        .values("m")
        .annotate(
            sent=Count("id"),
            yes=Count("id", filter=Q(state=CheckState.YES)),
            no=Count("id", filter=Q(state=CheckState.NO)),
            silent=Count("id", filter=Q(state=CheckState.NO_ANSWER)),
        )
        .order_by("m")
    )
    table = []
    for r in rows:
        answered = r["yes"] + r["no"]
        table.append(
            [
                bounds[r["m"]][0],
                r["sent"],
                r["yes"],
                r["no"],
                r["silent"],
                round(100 * r["no"] / answered) if answered else None,
            ]
        )
    return Figure(
        key="checks",
        title=_("Temperature checks: is the problem still solved?"),
        columns=[_("Month"), _("Sent"), _("Yes"), _("No: reopened"), _("No answer"), _("Reopen rate (%)")],
        rows=table,
        chart=charts.columns([charts.Point(r[0], r[1], mark=r[3]) for r in table]),
        note=_("The darker part of each column: answered no, and reopened."),
    )


def churn(agent: Agent, period: Period) -> Figure:
    """Customers who complained in the period, and how many of them have since been marked churned, by reason."""
    complainants = Customer.objects.filter(pk__in=_complaints(agent, period).order_by().values("customer_id"))
    rows = list(
        complainants.filter(churned_at__isnull=False)
        .values("churn_reason")
        .annotate(n=Count("id"))
        .order_by("-n", "churn_reason")[:TOP]
    )
    total = complainants.count()
    churned = sum(r["n"] for r in rows)
    table = [[r["churn_reason"] or _("No reason given"), r["n"]] for r in rows]
    return Figure(
        key="churn",
        title=_("Customers lost among those who complained"),
        columns=[_("Reason"), _("Customers")],
        rows=table,
        chart=charts.bars([charts.Point(str(r[0]), r[1]) for r in table]),
        note=_("%(churned)s of %(total)s customers who complained in the period are marked as churned.")
        % {"churned": churned, "total": total},
        extra={"complainants": total, "churned": churned},
    )


GROUPS = ("category", "root_cause", "channel", "product", "tier", "outcome", "severity")
FIGURES = ("per_month", *(f"by_{g}" for g in GROUPS), "compensation", "checks", "churn")
FIGURE_NAMES = {
    "per_month": gettext_lazy("Per month"),
    "by_category": gettext_lazy("Category"),
    "by_root_cause": gettext_lazy("Root cause"),
    "by_channel": gettext_lazy("Channel"),
    "by_product": gettext_lazy("Product or service"),
    "by_tier": gettext_lazy("Tier"),
    "by_outcome": gettext_lazy("Outcome"),
    "by_severity": gettext_lazy("Severity"),
    "compensation": gettext_lazy("Compensation"),
    "checks": gettext_lazy("Temperature checks"),
    "churn": gettext_lazy("Churn"),
}


def figure(agent: Agent, period: Period, key: str) -> Figure:
    if key == "per_month":
        return per_month(agent, period)
    if key.startswith("by_"):
        return by_group(agent, period, key[3:])
    if key == "compensation":
        return compensation_paid(agent, period)
    if key == "checks":
        return checks(agent, period)
    if key == "churn":
        return churn(agent, period)
    raise NotFound(_("There is no such figure."))


def default_period(today: date) -> Period:
    """The last twelve months, this one included."""
    first = today.year * 12 + today.month - 1 - 11  # months since year 0, zero-based, of the first month
    start = datetime(first // 12, first % 12 + 1, 1, tzinfo=_zone())
    after = today.year * 12 + today.month  # the month after this one
    return Period(start=start, end=datetime(after // 12, after % 12 + 1, 1, tzinfo=_zone()))


def period_parse(start: str | None, end: str | None, *, today: date) -> Period:
    """A period from "YYYY-MM" or "YYYY-MM-DD" texts (the end month included); the last twelve months by
    default. A text that is no date is a ValidationFailed naming it."""
    default = default_period(today)

    def parse(text: str | None, field_name: str) -> date | None:
        text = (text or "").strip()
        if not text:
            return None
        try:
            if len(text) == 7:
                return date.fromisoformat(f"{text}-01")
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationFailed(
                _("'%(value)s' is not a month (YYYY-MM) or a day (YYYY-MM-DD).") % {"value": text[:20]},
                field=field_name,
            ) from None

    first, last = parse(start, "from"), parse(end, "to")
    begin = datetime(first.year, first.month, first.day, tzinfo=_zone()) if first else default.start
    if last is None:
        finish = default.end
    elif end and len(end.strip()) == 7:  # a whole month
        after = last.year * 12 + last.month
        finish = datetime(after // 12, after % 12 + 1, 1, tzinfo=_zone())
    else:
        finish = datetime(last.year, last.month, last.day, tzinfo=_zone()) + timedelta(days=1)
    if finish <= begin:
        raise ValidationFailed(_("The period ends before it starts."), field="to")
    if finish - begin > timedelta(days=366 * 10):
        raise ValidationFailed(_("Choose a period of at most ten years."), field="from")
    return Period(start=begin, end=finish)
