"""What the settings pages show beside a calendar or an SLA policy: previews computed by the engine itself.

A calendar's preview is the next days' open hours (`Schedule.local_hours`, the hours every due time is
computed on), its next opening (`next_open`) and the coming days it is closed or has special hours
(`closed_dates`, the same holidays and eves the engine closes). A policy's preview is which active policy a
sample case would get (`policy_for_case`) and the due times its targets would give (`due_after`, and the
time a customer would be told, `told_time`). Nothing here computes a time a second way: only the names of
holidays (for the reader, in their language) come from the `holidays` package directly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import holidays
from django.utils.translation import gettext as _

from lofte.promises.business_time import (
    CalendarNeverOpen,
    Schedule,
    closed_dates,
    eves,
    format_minute,
    midsummer_eve,
    next_open,
)
from lofte.promises.models import BusinessCalendar, PromiseKind, SlaPolicy
from lofte.promises.policies import TARGETS
from lofte.promises.services import due_after, policy_for_case, told_time

if TYPE_CHECKING:
    from lofte.cases.models import Case

PREVIEW_DAYS = 7
UPCOMING_LIMIT = 8
UPCOMING_HORIZON_DAYS = 366

# why a day has the hours it has (the engine's order of precedence: lofte.promises.business_time)
ALWAYS_OPEN = "always_open"
SPECIAL = "special"
CLOSED_DAY = "closed_day"
HOLIDAY = "holiday"
EVE = "eve"
WEEKLY = "weekly"


@dataclass(frozen=True)
class DayHours:
    day: date
    hours: list[tuple[str, str]]  # local wall-clock intervals, "HH:MM"
    reason: str
    name: str = ""  # the holiday's or eve's name, in the reader's language

    @property
    def is_open(self) -> bool:
        return bool(self.hours)


@dataclass(frozen=True)
class CalendarPreview:
    time_zone: str
    today: date
    days: list[DayHours]
    upcoming: list[DayHours]  # the next holidays, eves, closed days and special days, in date order
    next_open: datetime | None  # None: the calendar is never open
    is_open_now: bool


def _holiday_language(country: str, language: str) -> str | None:
    """The `holidays` language closest to the reader's (sv, da, nb, fi, en), or None for the country's own."""
    supported = _supported_languages(country)
    wanted = {"nb": ["no", "nb"], "en": ["en_US", "en_GB", "en"]}.get(language, [language])
    wanted += [f"{language}_{country}"]
    for code in wanted:
        if code in supported:
            return code
    return "en_US" if "en_US" in supported and language == "en" else None


@functools.cache
def _supported_languages(country: str) -> tuple[str, ...]:
    try:
        return tuple(holidays.country_holidays(country).supported_languages)
    except NotImplementedError:  # pragma: no cover - the country was validated against the package's list
        return ()


@functools.lru_cache(maxsize=256)
def _holiday_names(country: str, year: int, language: str) -> dict[date, str]:
    code = _holiday_language(country, language)
    found = (
        holidays.country_holidays(country, years=year, language=code)
        if code
        else holidays.country_holidays(country, years=year)
    )
    return {day: str(name) for day, name in found.items()}


def _eve_name(day: date) -> str:
    if day.month == 12 and day.day == 24:
        return _("Christmas Eve")
    if day.month == 12 and day.day == 31:
        return _("New Year's Eve")
    if day == midsummer_eve(day.year):
        return _("Midsummer Eve")
    return _("Eve")


def _holiday_or_eve(schedule: Schedule, day: date, *, language: str) -> tuple[str, str] | None:
    """(reason, name) when the engine closes the day for a public holiday or an eve (`closed_dates`)."""
    if not schedule.country or day not in closed_dates(schedule.country, schedule.closed_on_eves, day.year):
        return None
    name = _holiday_names(schedule.country, day.year, language).get(day, "")
    if schedule.closed_on_eves and day in eves(schedule.country, day.year):
        return EVE, name or _eve_name(day)
    return HOLIDAY, name


def day_hours(schedule: Schedule, day: date, *, language: str) -> DayHours:
    """The day's hours as the engine has them (`Schedule.local_hours`), and why (in its order of precedence)."""
    hours = [(format_minute(start), format_minute(end)) for start, end in schedule.local_hours(day)]
    if schedule.always_open:
        return DayHours(day, hours, ALWAYS_OPEN)
    closing = _holiday_or_eve(schedule, day, language=language)
    name = closing[1] if closing else ""
    if day in schedule.special_hours:
        return DayHours(day, hours, SPECIAL, name)
    if day in schedule.closed_days:
        return DayHours(day, hours, CLOSED_DAY, name)
    if closing is not None:
        return DayHours(day, hours, closing[0], name)
    return DayHours(day, hours, WEEKLY)


def calendar_preview(schedule: Schedule, *, now: datetime, language: str, days: int = PREVIEW_DAYS) -> CalendarPreview:
    """The next `days` days from today (in the calendar's zone) and the coming exceptions to the weekly hours."""
    today = schedule.local_date(now)
    rows = [day_hours(schedule, today + timedelta(days=offset), language=language) for offset in range(days)]
    upcoming: list[DayHours] = []
    if not schedule.always_open:
        horizon = today + timedelta(days=UPCOMING_HORIZON_DAYS)
        candidates: set[date] = set(schedule.closed_days) | set(schedule.special_hours)
        if schedule.country:
            for year in range(today.year, horizon.year + 1):
                candidates |= closed_dates(schedule.country, schedule.closed_on_eves, year)
        for day in sorted(d for d in candidates if today <= d <= horizon)[:UPCOMING_LIMIT]:
            upcoming.append(day_hours(schedule, day, language=language))
    try:
        opening: datetime | None = next_open(schedule, now)
    except CalendarNeverOpen:
        opening = None
    return CalendarPreview(
        time_zone=schedule.time_zone,
        today=today,
        days=rows,
        upcoming=upcoming,
        next_open=opening,
        is_open_now=opening is not None and opening <= now,
    )


# --- SLA policies ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A case as far as a policy looks at it."""

    channel: str
    priority: int
    tier: str
    case_type_id: int | None
    team_id: int | None

    def as_case(self) -> Case:
        """What `policy_for_case` reads of a case (its conditions and the customer's tier), nothing more."""
        return cast(
            "Case",
            SimpleNamespace(
                channel=self.channel,
                priority=self.priority,
                case_type_id=self.case_type_id,
                team_id=self.team_id,
                customer=SimpleNamespace(tier=self.tier),
            ),
        )


@dataclass(frozen=True)
class TargetDue:
    kind: str
    label: str
    minutes: int
    calendar: BusinessCalendar | None
    due_at: datetime
    told_at: datetime  # the time a customer would be told (moved into the team's hours unless wall-clock)

    @property
    def moved(self) -> bool:
        return self.told_at != self.due_at


@dataclass
class PolicyPreview:
    now: datetime
    policy: SlaPolicy | None  # the active policy the sample gets
    targets: list[TargetDue] = field(default_factory=list)
    this_policy: SlaPolicy | None = None  # the policy on the page, when it is not the one that applies
    this_targets: list[TargetDue] = field(default_factory=list)


def policy_due_times(policy: SlaPolicy, *, sample: Sample, now: datetime) -> list[TargetDue]:
    """The due time of each of the policy's targets for a case opened `now` (`due_after`, as the engine makes
    them), and the time a customer would be told (`told_time`)."""
    labels: dict[str, Any] = dict(PromiseKind.choices)
    memo: dict[int | None, BusinessCalendar | None] = {}
    rows = []
    for kind in TARGETS:
        minutes = getattr(policy, f"{kind}_minutes")
        if not minutes:
            continue
        calendar = getattr(policy, f"{kind}_calendar")
        due = due_after(calendar, now, minutes)
        told = told_time(due_at=due, calendar=calendar, policy=policy, team_id=sample.team_id, hours_memo=memo)
        rows.append(TargetDue(kind, str(labels[kind]), minutes, calendar, due, told))
    return rows


def policy_preview(*, sample: Sample, now: datetime, policy: SlaPolicy | None = None) -> PolicyPreview:
    """Which active policy the sample case gets and its due times; with `policy` (the one on the page) when
    the sample does not get it, also the times that one would give if it applied."""
    chosen = policy_for_case(sample.as_case())
    preview = PolicyPreview(now=now, policy=chosen)
    if chosen is not None:
        preview.targets = policy_due_times(chosen, sample=sample, now=now)
    if policy is not None and (chosen is None or chosen.pk != policy.pk):
        preview.this_policy = policy
        preview.this_targets = policy_due_times(policy, sample=sample, now=now)
    return preview
