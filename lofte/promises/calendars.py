"""Business calendars: validation, writes, and the compiled `Schedule` each due time is computed with.

`calendar_validate` checks every field and returns them normalised (the admin
form and the API call it; the services call it before writing anything).
`calendar_create` and `calendar_update` validate everything first, then save
in one transaction and move `updated_at` forward, which is what makes
`schedule_for` compile the row again.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.promises.business_time import (
    DAY_KEYS,
    Schedule,
    add_business_time,
    format_intervals,
    parse_opening_hours,
    parse_special_hours,
)
from lofte.promises.models import BusinessCalendar, TeamCalendar, default_opening_hours

if TYPE_CHECKING:
    from lofte.accounts.models import Team

NAME_MAX_LENGTH = 100
# The longest due-time preview: a year of minutes, like the longest SLA target.
MAX_PREVIEW_MINUTES = 366 * 24 * 60


@dataclass(frozen=True)
class CalendarFields:
    """Validated, normalised calendar fields, ready to store, and the schedule they compile to."""

    time_zone: str
    country: str
    always_open: bool
    opening_hours: dict[str, list[list[str]]]
    closed_on_eves: bool
    closed_days: list[str]
    special_hours: dict[str, list[list[str]]]
    schedule: Schedule

    def stored(self) -> dict[str, Any]:
        """The model field values (everything but the schedule)."""
        return {
            "time_zone": self.time_zone,
            "country": self.country,
            "always_open": self.always_open,
            "opening_hours": self.opening_hours,
            "closed_on_eves": self.closed_on_eves,
            "closed_days": self.closed_days,
            "special_hours": self.special_hours,
        }


def _check_bool(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationFailed(_("Expected true or false."), field=field)
    return value


def _check_name(name: object, *, calendar: BusinessCalendar | None) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(_("A calendar needs a name."), field="name")
    name = " ".join(name.split())
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            _("A calendar's name can be at most %(max)s characters.") % {"max": NAME_MAX_LENGTH}, field="name"
        )
    others = BusinessCalendar.objects.filter(name__iexact=name)
    if calendar is not None and calendar.pk is not None:
        others = others.exclude(pk=calendar.pk)
    if others.exists():
        raise ValidationFailed(_("There is already a calendar named %(name)s.") % {"name": name}, field="name")
    return name


def calendar_validate(
    *,
    time_zone: object,
    country: object,
    always_open: object,
    opening_hours: object,
    closed_on_eves: object,
    closed_days: object,
    special_hours: object,
) -> CalendarFields:
    """All schedule fields checked together; raises ValidationFailed naming the first bad field.

    Normalises: country upper-cased, each day's intervals sorted, closed days
    sorted and unique, special hours sorted by date. Touching intervals are
    kept as given (the schedule joins them).
    """
    schedule = Schedule.build(
        time_zone=time_zone,
        country=country,
        opening_hours=opening_hours,
        closed_on_eves=_check_bool(closed_on_eves, "closed_on_eves"),
        closed_days=closed_days,
        special_hours=special_hours,
        always_open=_check_bool(always_open, "always_open"),
    )
    weekly = parse_opening_hours(opening_hours)  # as given, not joined
    special = parse_special_hours(special_hours)
    return CalendarFields(
        time_zone=schedule.time_zone,
        country=schedule.country,
        always_open=schedule.always_open,
        opening_hours={day: format_intervals(weekly[index]) for index, day in enumerate(DAY_KEYS)},
        closed_on_eves=schedule.closed_on_eves,
        closed_days=[day.isoformat() for day in sorted(schedule.closed_days)],
        special_hours={day.isoformat(): format_intervals(special[day]) for day in sorted(special)},
        schedule=schedule,
    )


def _next_updated_at(previous: datetime | None) -> datetime:
    """Now, but always later than before, so the schedule cache sees every change (also under a fixed clock)."""
    now = clock.now()
    if previous is not None and now <= previous:
        return previous + timedelta(microseconds=1)
    return now


@transaction.atomic
def calendar_create(
    *,
    name: str,
    time_zone: str = "Europe/Stockholm",
    country: str = "",
    always_open: bool = False,
    opening_hours: object = None,
    closed_on_eves: bool = True,
    closed_days: object = None,
    special_hours: object = None,
) -> BusinessCalendar:
    """A new calendar; nothing is written unless every field is valid. `opening_hours=None` is 08-17 Mon-Fri."""
    clean_name = _check_name(name, calendar=None)
    fields = calendar_validate(
        time_zone=time_zone,
        country=country,
        always_open=always_open,
        opening_hours=default_opening_hours() if opening_hours is None else opening_hours,
        closed_on_eves=closed_on_eves,
        closed_days=[] if closed_days is None else closed_days,
        special_hours={} if special_hours is None else special_hours,
    )
    try:
        with transaction.atomic():
            return BusinessCalendar.objects.create(name=clean_name, updated_at=clock.now(), **fields.stored())
    except IntegrityError:
        raise ValidationFailed(
            _("There is already a calendar named %(name)s.") % {"name": clean_name}, field="name"
        ) from None


@transaction.atomic
def calendar_update(
    *,
    calendar: BusinessCalendar,
    name: str | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    always_open: bool | None = None,
    opening_hours: object = None,
    closed_on_eves: bool | None = None,
    closed_days: object = None,
    special_hours: object = None,
) -> BusinessCalendar:
    """Change the given fields (None leaves one as it is); the whole calendar is validated before anything is saved.

    The row is locked and the given fields are applied to its current values,
    so two concurrent updates of different fields both stay.
    """
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    clean_name = row.name if name is None else _check_name(name, calendar=row)

    def pick(given: object, current: object) -> object:
        return current if given is None else given

    fields = calendar_validate(
        time_zone=pick(time_zone, row.time_zone),
        country=pick(country, row.country),
        always_open=pick(always_open, row.always_open),
        opening_hours=pick(opening_hours, row.opening_hours),
        closed_on_eves=pick(closed_on_eves, row.closed_on_eves),
        closed_days=pick(closed_days, row.closed_days),
        special_hours=pick(special_hours, row.special_hours),
    )
    values = {"name": clean_name, **fields.stored(), "updated_at": _next_updated_at(row.updated_at)}
    for attribute, value in values.items():
        setattr(row, attribute, value)
    try:
        with transaction.atomic():
            row.save(update_fields=list(values))
    except IntegrityError:
        raise ValidationFailed(
            _("There is already a calendar named %(name)s.") % {"name": clean_name}, field="name"
        ) from None
    for attribute, value in values.items():
        setattr(calendar, attribute, value)
    return calendar


@transaction.atomic
def team_calendar_set(*, team: Team, calendar: BusinessCalendar | None) -> TeamCalendar | None:
    """Give the team its business hours (None: none; times told to its customers then keep the policies' times).

    Only new times follow a change: promises already made keep theirs."""
    if calendar is None:
        TeamCalendar.objects.filter(team=team).delete()
        return None
    if calendar.pk is None or not BusinessCalendar.objects.filter(pk=calendar.pk).exists():
        raise ValidationFailed(_("Choose a saved calendar."), field="calendar")
    link, _created = TeamCalendar.objects.update_or_create(team=team, defaults={"calendar": calendar})
    return link


# --- compiled schedules, cached per row version -----------------------------------------------------------------------

_cache: dict[int, tuple[tuple[object, ...], Schedule]] = {}
_cache_lock = threading.Lock()


def _fingerprint(calendar: BusinessCalendar) -> tuple[object, ...]:
    """(updated_at and) the content: a row edited without the services, or a test database reusing a primary key
    with the same fixed clock, still compiles afresh."""
    content = json.dumps([calendar.opening_hours, calendar.closed_days, calendar.special_hours], sort_keys=True)
    return (
        calendar.updated_at,
        calendar.time_zone,
        calendar.country,
        calendar.always_open,
        calendar.closed_on_eves,
        content,
    )


def _compile(calendar: BusinessCalendar) -> Schedule:
    return Schedule.build(
        time_zone=calendar.time_zone,
        country=calendar.country,
        opening_hours=calendar.opening_hours,
        closed_on_eves=calendar.closed_on_eves,
        closed_days=calendar.closed_days,
        special_hours=calendar.special_hours,
        always_open=calendar.always_open,
    )


def schedule_for(calendar: BusinessCalendar) -> Schedule:
    """The row compiled into a Schedule, cached per (pk, updated_at) and content; raises ValidationFailed if invalid."""
    if calendar.pk is None:
        return _compile(calendar)
    key = _fingerprint(calendar)
    with _cache_lock:
        hit = _cache.get(calendar.pk)
    if hit is not None and hit[0] == key:
        return hit[1]
    schedule = _compile(calendar)
    with _cache_lock:
        _cache[calendar.pk] = (key, schedule)
    return schedule


def schedule_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def calendar_due_at(*, calendar: BusinessCalendar, start: datetime, minutes: int) -> datetime:
    """When `minutes` business minutes from `start` end on the calendar (the API's due-time preview).

    In the calendar's zone, unless that zone's offset then was not whole minutes (local mean time, before zones
    were rounded: Stockholm +00:53:28 before 1879, Monrovia -00:44:30 until 1972), which RFC 3339 cannot write:
    then in UTC. A due time beyond datetime's range is a ValidationFailed naming start."""
    if start.tzinfo is None:
        raise ValidationFailed(_("start needs a UTC offset, e.g. 2026-06-18T16:45:00+02:00."), field="start")
    if not 0 <= minutes <= MAX_PREVIEW_MINUTES:
        raise ValidationFailed(_("minutes is 0 to %(max)s (a year).") % {"max": MAX_PREVIEW_MINUTES}, field="minutes")
    try:
        due = add_business_time(schedule_for(calendar), start, timedelta(minutes=minutes))
    except OverflowError:  # a start at the edge of datetime's range (year 1 or 9999)
        raise ValidationFailed(_("The due time would fall outside the years 1 to 9999."), field="start") from None
    offset = due.utcoffset()
    if offset is None or offset.total_seconds() % 60:
        return due.astimezone(UTC)
    return due
