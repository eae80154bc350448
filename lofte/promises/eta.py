"""Acknowledged ETAs: when a new case will get its first response, predicted from rolling figures.

Recording: at a case's first response, `eta_record_first_response` measures
the wait in business minutes (the calendar of the first-response target) and
adds one to its bucket, for the day, in each of the case's groups (channel and
case type, channel, all): one upsert, whatever the history holds. It also adds
the length of the team's unanswered queue at that moment to the team's figure
for the day, so the prediction knows the queue the response times were made
under.

Predicting: `eta_predict` reads the last `LOFTE_ETA_WINDOW_DAYS` days of the
case's three groups in one grouped, indexed query (at most 3 x 64 rows come
back), takes the most specific group with at least `LOFTE_ETA_MIN_SAMPLES`
responses, and interpolates its `LOFTE_ETA_QUANTILE` quantile within the
buckets (geometrically: the buckets are log-spaced). Two more indexed queries
read the team's typical queue and count its unanswered cases now; a longer
queue than usual stretches the figure by current / typical (never shrinks it).
The business minutes become a due time with the calendar, rounded up to what
`eta_text` says ("within 2 hours", "by Thursday 26 November 14:00"), so the
promise's due time is exactly the time in the sentence, and never later than
`cap` (the SLA's due time): basis "sla" when the cap wins. Without enough data
the time is `LOFTE_ETA_DEFAULT_MINUTES` business minutes (basis "default").

Three queries per prediction, the same at ten thousand and at a million past
responses (`lofte bench_eta`).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection, models
from django.db.models import Sum
from django.utils import dateformat, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext, pgettext_lazy

from lofte.promises.hooks import queue_size
from lofte.promises.models import BusinessCalendar, QueueStat, ResponseTimeStat, SlaPolicy
from lofte.promises.services import due_after, remaining_between, told_time

BASES = ("channel_case_type", "channel", "all", "sla", "default")

# --- buckets of business minutes ------------------------------------------------------------------------------------

BUCKETS = 64
FIRST_EDGE = 1.0  # bucket 0: under a minute
LAST_EDGE = 43_200.0  # the last bucket: 30 days of around-the-clock minutes or more
_STEPS = BUCKETS - 2  # log-spaced buckets between the edges, each about 19 % wide
_RATIO = (LAST_EDGE / FIRST_EDGE) ** (1 / _STEPS)
EDGES = tuple(FIRST_EDGE * _RATIO**k for k in range(_STEPS + 1))  # EDGES[k]: where bucket k + 1 starts
MAX_MINUTES = 366 * 24 * 60  # no prediction reaches further than a year of business minutes


def bucket_of(minutes: float) -> int:
    """The bucket a wait of `minutes` business minutes falls in."""
    if minutes < FIRST_EDGE:
        return 0
    if minutes >= LAST_EDGE:
        return BUCKETS - 1
    return min(BUCKETS - 2, bisect_right(EDGES, minutes))


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) of a bucket in business minutes; the last one is open-ended and reads as its low bound."""
    if bucket <= 0:
        return 0.0, FIRST_EDGE
    if bucket >= BUCKETS - 1:
        return LAST_EDGE, LAST_EDGE
    return EDGES[bucket - 1], EDGES[bucket]


def quantile_minutes(counts: Mapping[int, int], q: float) -> float:
    """The q-quantile of a histogram {bucket: count}, interpolated inside its bucket (geometrically, as the
    buckets are log-spaced; linearly in the first one). 0.0 for an empty histogram."""
    total = sum(n for n in counts.values() if n > 0)
    if not total:
        return 0.0
    rank = min(max(q, 0.0), 1.0) * total
    seen = 0
    for bucket in sorted(counts):
        n = counts[bucket]
        if n <= 0:
            continue
        if seen + n >= rank:
            share = (rank - seen) / n
            low, high = bucket_bounds(bucket)
            if bucket == 0:
                return high * share
            if high <= low:
                return low
            return float(low * (high / low) ** share)
        seen += n
    return bucket_bounds(max(counts))[1]  # pragma: no cover - rank <= total always lands above


# --- groups -----------------------------------------------------------------------------------------------------------


def groups_for(channel: str, case_type_id: int | None) -> list[tuple[str, str, int]]:
    """(basis, channel, case type) of the groups a case counts in, most specific first ("" and 0: any)."""
    groups: list[tuple[str, str, int]] = []
    if channel and case_type_id:
        groups.append(("channel_case_type", channel, case_type_id))
    if channel:
        groups.append(("channel", channel, 0))
    groups.append(("all", "", 0))
    return groups


def open_queue(team_id: int | None) -> int:
    """The team's active cases without a first response (cases without a team for None).

    The cases app counts them (it sits above this one and answers through lofte.promises.hooks).
    """
    return queue_size(team_id)


def _day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _upsert(model: type[models.Model], keys: Sequence[str], adds: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT the rows, or add their `adds` to the row with the same keys: one atomic statement, no race (two
    first responses at once both count), on SQLite and PostgreSQL alike. Rows are written in key order, so two
    transactions touching the same rows lock them in the same order."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in (*keys, *adds)]
    columns = [qn(str(f.column)) for f in fields]  # type: ignore[union-attr]
    values = []
    for row in sorted(rows, key=lambda r: tuple(r[: len(keys)])):
        values += [f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True)]  # type: ignore[union-attr]
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    added = ", ".join(f"{c} = {table}.{c} + EXCLUDED.{c}" for c in columns[len(keys) :])
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([one] * len(rows))} "  # noqa: S608
        f"ON CONFLICT ({', '.join(columns[: len(keys)])}) DO UPDATE SET {added}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)


def add_response_counts(rows: Sequence[tuple[str, int, date, int, int]]) -> None:
    """Add (channel, case type, day, bucket, count) to the rolling figures (the bench seeds through it too)."""
    _upsert(ResponseTimeStat, ("channel", "case_type", "day", "bucket"), ("count",), rows)


def add_queue_figures(rows: Sequence[tuple[int, date, int, int]]) -> None:
    """Add (team, day, responses, queue_sum) to the teams' queue figures."""
    _upsert(QueueStat, ("team", "day"), ("responses", "queue_sum"), rows)


# --- recording --------------------------------------------------------------------------------------------------------


def eta_record_first_response(
    *,
    channel: str,
    case_type_id: int | None,
    team_id: int | None,
    created_at: datetime,
    responded_at: datetime,
    calendar: BusinessCalendar | None,
) -> None:
    """Count a case's first response in the rolling figures: three statements (two upserts and the queue count).

    Call it in the reply's transaction before the case's `first_response_at` is saved (as `case_reply` does):
    the queue counted then includes the answered case, as the queue counted at a prediction includes the new
    case. The wait is measured in the calendar's business minutes (wall-clock minutes without a calendar).
    """
    minutes = remaining_between(calendar, created_at, responded_at).total_seconds() / 60
    day = _day(responded_at)
    bucket = bucket_of(minutes)
    add_response_counts(
        [(group_channel, type_id, day, bucket, 1) for _, group_channel, type_id in groups_for(channel, case_type_id)]
    )
    add_queue_figures([(team_id or 0, day, 1, open_queue(team_id))])


# --- predicting -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eta:
    """A predicted first-response time and where it came from."""

    due_at: datetime  # aware (UTC); never later than `cap` when given; on the grid `eta_text` states
    basis: str  # "channel_case_type" | "channel" | "all" | "sla" | "default"
    samples: int  # responses the figure came from
    quantile_minutes: float  # the historic quantile used, in business minutes
    queue_factor: float  # >= 1.0; how much the current queue stretched it


def eta_predict(
    *,
    channel: str,
    case_type_id: int | None,
    team_id: int | None,
    now: datetime,
    calendar: BusinessCalendar | None,
    cap: datetime | None,
) -> Eta:
    """When a new case will get its first response (see the module docstring); three indexed queries."""
    groups = groups_for(channel, case_type_id)
    since = _day(now) - timedelta(days=settings.LOFTE_ETA_WINDOW_DAYS - 1)
    rows = (
        ResponseTimeStat.objects.filter(
            channel__in={c for _, c, _ in groups}, case_type__in={t for _, _, t in groups}, day__gte=since
        )
        .order_by()
        .values_list("channel", "case_type", "bucket")
        .annotate(n=Sum("count"))
    )
    histograms: dict[tuple[str, int], dict[int, int]] = {}
    for group_channel, type_id, bucket, n in rows:
        histograms.setdefault((group_channel, type_id), {})[bucket] = int(n)
    minimum = max(1, settings.LOFTE_ETA_MIN_SAMPLES)
    basis, samples, histogram = "default", 0, None
    for level, group_channel, type_id in groups:
        counts = histograms.get((group_channel, type_id), {})
        total = sum(counts.values())
        if level == "all":
            samples = total
        if total >= minimum:
            basis, samples, histogram = level, total, counts
            break
    if histogram is None:
        quantile = float(settings.LOFTE_ETA_DEFAULT_MINUTES)
        factor = 1.0
    else:
        quantile = quantile_minutes(histogram, settings.LOFTE_ETA_QUANTILE)
        factor = queue_factor(current=open_queue(team_id), typical=typical_queue(team_id, since=since))
    minutes = min(MAX_MINUTES, max(1, math.ceil(quantile * factor)))
    due = eta_round(due_at=due_after(calendar, now, minutes), now=now)
    if cap is not None and due > cap:
        due, basis = eta_round_down(cap=cap, now=now), "sla"
    return Eta(
        due_at=due, basis=basis, samples=samples, quantile_minutes=round(quantile, 2), queue_factor=round(factor, 3)
    )


@dataclass(frozen=True)
class ToldEta:
    """A predicted time as the customer is told it, and the latest time they may be told for this case."""

    eta: Eta
    latest: datetime | None  # the SLA's due time, moved into the team's hours when `told_time` moves it


def eta_for_customer(
    *,
    channel: str,
    case_type_id: int | None,
    team_id: int | None,
    now: datetime,
    calendar: BusinessCalendar | None,
    policy: SlaPolicy | None,
    sla_due: datetime | None,
    hours_memo: dict[int | None, BusinessCalendar | None] | None = None,
) -> ToldEta:
    """`eta_predict` capped by the SLA's due time, then moved into the owning team's hours when it was computed
    on wall-clock time (`told_time`: an always-open calendar, or none, and a policy that is not wall-clock on
    purpose), rounded up again to what `eta_text` states. A moved time may be later than the SLA's due time;
    never later than that due time moved the same way (`latest`). The team's hours are read once (`hours_memo`,
    which a caller may share between cases)."""
    memo = {} if hours_memo is None else hours_memo

    def told(moment: datetime) -> datetime:
        return told_time(due_at=moment, calendar=calendar, policy=policy, team_id=team_id, hours_memo=memo)

    eta = eta_predict(
        channel=channel, case_type_id=case_type_id, team_id=team_id, now=now, calendar=calendar, cap=sla_due
    )
    latest = None
    if sla_due is not None:
        moved_sla = told(sla_due)
        latest = sla_due if moved_sla == sla_due else max(sla_due, eta_round(due_at=moved_sla, now=now))
    moved = told(eta.due_at)
    if moved != eta.due_at:
        due = eta_round(due_at=moved, now=now)
        if latest is not None and due > latest:
            due, eta = eta_round_down(cap=latest, now=now), replace(eta, basis="sla")
        eta = replace(eta, due_at=due)
    return ToldEta(eta=eta, latest=latest)


def typical_queue(team_id: int | None, *, since: date) -> float | None:
    """The mean unanswered queue the team's first responses saw since `since`; None without any."""
    figures = QueueStat.objects.filter(team=team_id or 0, day__gte=since).aggregate(
        n=Sum("responses"), total=Sum("queue_sum")
    )
    if not figures["n"]:
        return None
    return float(figures["total"] or 0) / float(figures["n"])


def queue_factor(*, current: int, typical: float | None) -> float:
    """How much longer than usual the wait is now: the queue now against the typical one, at least 1.

    Both queues count the case itself (see `eta_record_first_response`), so neither is below 1 in practice.
    """
    if typical is None:
        return 1.0
    return max(1.0, current / max(typical, 1.0))


# --- rounding and telling -------------------------------------------------------------------------------------------

QUARTER = timedelta(minutes=15)
DAY = timedelta(days=1)
_QUARTERS_IN_A_DAY = DAY // QUARTER


def _ceil_hour(moment: datetime) -> datetime:
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


def eta_round(*, due_at: datetime, now: datetime) -> datetime:
    """`due_at` rounded up to what a person understands: a whole quarter of an hour after `now` under a day
    ("within 2 hours 15 minutes"), a whole hour beyond ("by Thursday 14:00"); in UTC.

    Whole hours are whole hours in every time zone with a whole-hour offset (all of the Nordics).
    """
    due, now = due_at.astimezone(UTC), now.astimezone(UTC)
    delta = due - now
    if delta < DAY:
        rounded = now + QUARTER * max(1, math.ceil(delta / QUARTER))
        if rounded - now < DAY:
            return rounded
        due = rounded
    return _ceil_hour(due)


def eta_round_down(*, cap: datetime, now: datetime) -> datetime:
    """The latest time on `eta_round`'s grid that is not after `cap`; `cap` itself within a quarter of an hour."""
    cap, now = cap.astimezone(UTC), now.astimezone(UTC)
    delta = cap - now
    if delta >= DAY:
        hour = cap.replace(minute=0, second=0, microsecond=0)
        if hour - now >= DAY:
            return hour
    quarters = min(math.floor(delta / QUARTER), _QUARTERS_IN_A_DAY - 1)
    return now + QUARTER * quarters if quarters >= 1 else cap


# Weekdays as they read after "by" ("by Thursday 26 November"): some languages inflect them (Finnish:
# "torstaina"), so they are translated here rather than taken from Django's names.
_WEEKDAYS_BY = {
    0: pgettext_lazy("by weekday, as in 'by Monday 23 November 14:00'", "Monday"),
    1: pgettext_lazy("by weekday, as in 'by Tuesday 24 November 14:00'", "Tuesday"),
    2: pgettext_lazy("by weekday, as in 'by Wednesday 25 November 14:00'", "Wednesday"),
    3: pgettext_lazy("by weekday, as in 'by Thursday 26 November 14:00'", "Thursday"),
    4: pgettext_lazy("by weekday, as in 'by Friday 27 November 14:00'", "Friday"),
    5: pgettext_lazy("by weekday, as in 'by Saturday 28 November 14:00'", "Saturday"),
    6: pgettext_lazy("by weekday, as in 'by Sunday 29 November 14:00'", "Sunday"),
}

# Months as they read in such a date ("26 November"; Finnish: "26. marraskuuta").
_MONTHS_BY = {
    1: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "January"),
    2: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "February"),
    3: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "March"),
    4: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "April"),
    5: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "May"),
    6: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "June"),
    7: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "July"),
    8: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "August"),
    9: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "September"),
    10: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "October"),
    11: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "November"),
    12: pgettext_lazy("month in a date, as in 'by Thursday 26 November 14:00'", "December"),
}


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def eta_text(*, due_at: datetime, now: datetime, language: str, time_zone: str) -> str:
    """The sentence telling the customer when they will hear from us, in their language and time zone.

    Rounded up as `eta_round` does (so a due time from `eta_predict` is stated exactly): "We will get back to
    you within 45 minutes." / "... within 2 hours." / "... within 3 hours and 15 minutes." under a day, and
    "... by Thursday 26 November 14:00." (the customer's local time) beyond.
    """
    due = eta_round(due_at=due_at, now=now)
    delta = due - now.astimezone(UTC)
    with translation.override(language):
        if delta < DAY:
            hours, minutes = divmod(round(delta / timedelta(minutes=1)), 60)
            if not hours:
                return ngettext(
                    "We will get back to you within %(minutes)s minute.",
                    "We will get back to you within %(minutes)s minutes.",
                    minutes,
                ) % {"minutes": minutes}
            if not minutes:
                return ngettext(
                    "We will get back to you within %(hours)s hour.",
                    "We will get back to you within %(hours)s hours.",
                    hours,
                ) % {"hours": hours}
            return ngettext(
                "We will get back to you within %(hours)s hour and %(minutes)s minutes.",
                "We will get back to you within %(hours)s hours and %(minutes)s minutes.",
                hours,
            ) % {"hours": hours, "minutes": minutes}
        return _("We will get back to you by %(weekday)s %(day)s %(month)s %(time)s.") % _moment(due, time_zone)


def _moment(due: datetime, time_zone: str) -> dict[str, object]:
    """The parts of "Thursday 26 November 14:00" in the active language and the customer's zone."""
    local = due.astimezone(_zone(time_zone))
    # Translators: a time of day as Django's date format characters: "H:i" is 14:00, "G.i" is 14.00.
    time_format = pgettext("time of day in an acknowledgement", "H:i")
    return {
        "weekday": _WEEKDAYS_BY[local.weekday()],
        "day": local.day,
        "month": _MONTHS_BY[local.month],
        "time": dateformat.time_format(local, time_format),
    }


def moment_text(*, due_at: datetime, language: str, time_zone: str) -> str:
    """A moment as a customer reads it, in their language and time zone: "Thursday 26 November 14:00"."""
    with translation.override(language):
        return _("%(weekday)s %(day)s %(month)s %(time)s") % _moment(due_at, time_zone)
