"""The promise-kept rate: of the promises due in a period that were decided, the share kept.

A promise is decided when it was kept or broken; pending and cancelled ones
do not count. The state is the truth: a promise not kept by its due time is
broken by the tick, and a later reply does not make it kept again.

The ETA-held rate is the same measure for the first-response times customers
were told in their acknowledgement (promises with an `eta_basis`), per channel
and case type: held when the first response came by the time told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent
from lofte.core.choices import Channel
from lofte.core.errors import ValidationFailed
from lofte.promises.board import promises_visible_to
from lofte.promises.models import PromiseKind, PromiseState

GROUPINGS = ("kind", "channel", "team", "agent")
DEFAULT_DAYS = 30
# midnight in any time zone stays inside datetime's range
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9999, 12, 30)

# per grouping: the columns the rows are grouped by (the first is the key)
_COLUMNS = {
    "kind": ("kind",),
    "channel": ("case__channel",),
    "team": ("owner_team_id", "owner_team__name"),
    "agent": ("owner_agent_id", "owner_agent__name", "owner_agent__email"),
}


@dataclass(frozen=True)
class KeptRateRow:
    """One group's kept and broken promises; `rate` is None when none was decided."""

    key: str | int | None
    label: str
    kept: int
    broken: int

    @property
    def decided(self) -> int:
        return self.kept + self.broken

    @property
    def rate(self) -> float | None:
        return round(self.kept / self.decided, 4) if self.decided else None

    @property
    def percent(self) -> int | None:
        return round(100 * self.kept / self.decided) if self.decided else None


def parse_day(value: str | None, *, field: str) -> date | None:
    """A YYYY-MM-DD date from a query string; empty is None, anything else is a validation error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(
            _("'%(value)s' is not a date; write it as YYYY-MM-DD.") % {"value": value[:40]}, field=field
        ) from None


def kept_rate_period(*, date_from: date | None, date_to: date | None, today: date) -> tuple[date, date]:
    """The period [from, to): by default the last 30 days, today included; `to` is the first day left out."""
    for value, field in ((date_from, "from"), (date_to, "to")):
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationFailed(
                _("Choose a date between %(first)s and %(last)s.") % {"first": FIRST_DAY, "last": LAST_DAY},
                field=field,
            )
    end = date_to or (today + timedelta(days=1))
    start = date_from or max(FIRST_DAY, end - timedelta(days=DEFAULT_DAYS))
    if start > end:
        raise ValidationFailed(_("The end date cannot be before the start date."), field="to")
    return start, end


def _start_of(day: date) -> datetime:
    """Midnight at the start of the day in the site's time zone (not the reader's)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def kept_rate(*, agent: Agent, date_from: date, date_to: date, group_by: str) -> list[KeptRateRow]:
    """Kept and broken promises due in [date_from, date_to) that the agent may see, per group, in one query."""
    if group_by not in GROUPINGS:
        raise ValidationFailed(
            _("'%(value)s' is not a grouping; use one of %(choices)s.")
            % {"value": group_by, "choices": ", ".join(GROUPINGS)},
            field="by",
        )
    columns = _COLUMNS[group_by]
    groups = (
        promises_visible_to(agent)
        .filter(
            due_at__gte=_start_of(date_from),
            due_at__lt=_start_of(date_to),
            state__in=[PromiseState.KEPT, PromiseState.BROKEN],
        )
        .order_by()
        .values(*columns)
        .annotate(
            kept=Count("pk", filter=Q(state=PromiseState.KEPT)),
            broken=Count("pk", filter=Q(state=PromiseState.BROKEN)),
        )
    )
    rows = [
        KeptRateRow(key=g[columns[0]], label=_label(group_by, g), kept=g["kept"], broken=g["broken"]) for g in groups
    ]
    return sorted(rows, key=lambda r: (r.key is None, r.label.casefold(), str(r.key)))


def kept_rate_total(rows: list[KeptRateRow]) -> KeptRateRow:
    """All the rows together."""
    return KeptRateRow(key=None, label=_("All"), kept=sum(r.kept for r in rows), broken=sum(r.broken for r in rows))


def _label(group_by: str, group: dict[str, object]) -> str:
    key = group[_COLUMNS[group_by][0]]
    if group_by == "kind":
        return str(PromiseKind(key).label) if key in PromiseKind.values else str(key)
    if group_by == "channel":
        if key is None:
            return _("No case")
        return str(Channel(key).label) if key in Channel.values else str(key)
    if group_by == "team":
        return str(group["owner_team__name"]) if key is not None else _("No team")
    if key is None:
        return _("No owner")
    # as Agent.display_name
    return str(group["owner_agent__name"] or str(group["owner_agent__email"]).split("@")[0])


# --- acknowledged ETAs --------------------------------------------------------------


@dataclass(frozen=True)
class EtaHeldRow:
    """Acknowledged ETAs of one channel and case type: held (answered by the time told) and missed."""

    channel: str | None
    channel_label: str
    case_type: int | None
    case_type_label: str
    held: int
    missed: int

    @property
    def decided(self) -> int:
        return self.held + self.missed

    @property
    def rate(self) -> float | None:
        return round(self.held / self.decided, 4) if self.decided else None

    @property
    def percent(self) -> int | None:
        return round(100 * self.held / self.decided) if self.decided else None


# held: kept by the due time (a reply between the due time and the tick that would have broken it is late),
# or kept while paused (the clock was stopped)
_HELD = Q(state=PromiseState.KEPT) & (Q(kept_at__lte=F("due_at")) | Q(paused_at__isnull=False))
_MISSED = Q(state=PromiseState.BROKEN) | Q(state=PromiseState.KEPT, kept_at__gt=F("due_at"), paused_at__isnull=True)


def eta_held_rates(*, agent: Agent, date_from: date, date_to: date, team: int | None = None) -> list[EtaHeldRow]:
    """Acknowledged ETAs due in [date_from, date_to) that the agent may see, held and missed, per channel and
    case type of their case, in one query; optionally only those of one team."""
    promises = promises_visible_to(agent).filter(
        due_at__gte=_start_of(date_from),
        due_at__lt=_start_of(date_to),
        state__in=[PromiseState.KEPT, PromiseState.BROKEN],
        eta_basis__gt="",
    )
    if team is not None:
        promises = promises.filter(owner_team_id=team)
    groups = (
        promises.order_by()
        .values("case__channel", "case__case_type_id", "case__case_type__name")
        .annotate(held=Count("pk", filter=_HELD), missed=Count("pk", filter=_MISSED))
    )
    rows = [
        EtaHeldRow(
            channel=g["case__channel"],
            channel_label=_label("channel", dict(g)),
            case_type=g["case__case_type_id"],
            case_type_label=str(g["case__case_type__name"]) if g["case__case_type_id"] else _("No case type"),
            held=g["held"],
            missed=g["missed"],
        )
        for g in groups
    ]
    return sorted(
        rows,
        key=lambda r: (
            r.channel is None,
            r.channel_label.casefold(),
            r.case_type is None,
            r.case_type_label.casefold(),
        ),
    )


def eta_held_total(rows: list[EtaHeldRow]) -> EtaHeldRow:
    """All the rows together."""
    return EtaHeldRow(
        channel=None,
        channel_label=_("All"),
        case_type=None,
        case_type_label="",
        held=sum(r.held for r in rows),
        missed=sum(r.missed for r in rows),
    )


# --- callbacks kept on time ---------------------------------------------------


@dataclass(frozen=True)
class CallbackKeptRow:
    team_id: int | None
    team_name: str
    on_time: int
    late: int
    broken: int

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.broken

    @property
    def percent(self) -> int | None:
        return round(100 * self.on_time / self.decided) if self.decided else None


def callbacks_kept_on_time(*, agent: Agent, since: datetime) -> list[CallbackKeptRow]:
    """Per team, callback promises due since `since` that were kept on time, kept late, or broken (one query)."""
    qs = promises_visible_to(agent).filter(kind=PromiseKind.CALLBACK, due_at__gte=since)
    rows = (
        qs.values("owner_team_id", "owner_team__name")
        .annotate(
            on_time=Count("id", filter=Q(state=PromiseState.KEPT, kept_at__lte=F("due_at"))),
            late=Count("id", filter=Q(state=PromiseState.KEPT, kept_at__gt=F("due_at"))),
            broken=Count("id", filter=Q(state=PromiseState.BROKEN)),
        )
        .order_by("owner_team__name")
    )
    return [
        CallbackKeptRow(
            team_id=r["owner_team_id"],
            team_name=r["owner_team__name"] or "—",
            on_time=r["on_time"],
            late=r["late"],
            broken=r["broken"],
        )
        for r in rows
        if r["on_time"] + r["late"] + r["broken"]
    ]
