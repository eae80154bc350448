"""Business time: the pure functions every due time is computed with.

A `Schedule` is a compiled, immutable business calendar (build one with
`Schedule.build(...)`, or from a `BusinessCalendar` row with
`lofte.promises.calendars.schedule_for`). Two functions use it:

    add_business_time(schedule, start, duration) -> datetime
    business_time_between(schedule, start, end) -> timedelta

plus `is_open(schedule, moment)`, `next_open(schedule, moment)` and
`Schedule.intervals_on(day)`.

Semantics, exactly
------------------
* Inputs are aware datetimes (a naive one raises ValueError); results are in
  the schedule's time zone. All arithmetic is done on absolute time (UTC):
  a business hour is 60 real minutes, also on the night clocks change.
  Callers should do the same: Python adds a timedelta to a zoned datetime,
  and compares two datetimes of one zone, by wall clock (ignoring `fold`),
  and never finds a time in the repeated autumn hour == a time in another
  zone. So `due.astimezone(UTC) - timedelta(...)`, not `due - timedelta(...)`
  (the database stores UTC, so values read back are safe).
* Opening hours are local wall-clock intervals ``[open, close)`` per day,
  from 00:00 to 24:00 ("24:00" is allowed as a close). A wall-clock time is
  the first instant at which a clock on the wall shows that time or later:
  on the spring-forward day a time inside the gap (02:00-03:00 in Stockholm,
  03:00-04:00 in Helsinki) is the moment the clocks jump, so 01:00-04:00 is
  2 real hours that day, and an interval wholly inside the gap is empty; on
  the fall-back day an ambiguous time is its first occurrence, so
  01:00-04:00 is 4 real hours. A day of 08:00-17:00 is 9 hours on every day,
  DST-change days included, because the changes happen at night.
* ``add_business_time``: a duration of zero returns the start unchanged (as
  the same instant in the schedule's time zone), even inside a closed period.
  Otherwise counting starts at `start` if the schedule is open then, else at
  the next opening (before opening: at opening; after closing: at the next
  day's opening). The result is the instant at which `duration` of open time
  has elapsed, so it always lies in an open interval or exactly at its end:
  08:00-17:00, 16:45 + 15 minutes is 17:00 the same day, never the next
  opening. Negative durations raise ValueError. A schedule with no open time
  in 3 years after the point reached raises `CalendarNeverOpen` (no endless
  loop); validation already refuses a calendar with no weekly hours.
* ``business_time_between(start, end)`` is the open time in ``[start, end)``.
  It is antisymmetric: with end < start it returns
  ``-business_time_between(end, start)`` (useful for "how late, in business
  time"). For every start s and duration d >= 0,
  ``business_time_between(c, s, add_business_time(c, s, d)) == d`` exactly.
* ``always_open`` (24/7): adding is plain addition of elapsed time and
  measuring is plain subtraction; 24 hours from 12:00 on the Saturday before
  the spring change in Stockholm is 13:00 on Sunday, local time.
* Both functions walk day by day over open intervals (never minute by
  minute); each day's intervals are converted to UTC once and kept in the
  schedule (a bounded cache), and public holidays are computed once per
  (country, year) per process.

What closes a day, in order of precedence
-----------------------------------------
1. ``special_hours`` for the date: those intervals replace the day's hours,
   also on a public holiday, an eve or a weekend ("10:00-14:00 on 23
   December", "open 10:00-12:00 on Boxing Day"). An empty list closes the day.
2. ``closed_days``: closed. (Validation refuses a date that is both a closed
   day and has special hours.)
3. A public holiday of `country` (the ``holidays`` package, category
   "public"), or, with ``closed_on_eves``, an eve (below): closed.
4. Otherwise the weekday's opening hours.

Eves (``closed_on_eves``), per country
--------------------------------------
* SE: Midsommarafton (the Friday between 19 and 25 June), Julafton (24 Dec),
  Nyårsafton (31 Dec). None of them is a public holiday in the package (they
  are in its "de_facto" category).
* FI: Juhannusaatto (the Friday between 19 and 25 June), Jouluaatto (24 Dec),
  Uudenvuodenaatto (31 Dec). The package lists Juhannusaatto and Jouluaatto
  as public holidays; here the flag decides, so a Finnish calendar with
  ``closed_on_eves=False`` is open on them (they are de facto, not statutory,
  days off; a contact centre that works them must be able to say so).
* DK: Juleaftensdag (24 Dec), Nytårsaften (31 Dec). NO: Julaften (24 Dec),
  Nyttårsaften (31 Dec). Sankthansaften (23 June) is an evening bonfire,
  not a closing day, in both, so it is not an eve here. Maundy Thursday
  (Skærtorsdag, Skjærtorsdag) is a statutory public holiday in DK and NO
  (and IS) and is in the package: it is closed whatever the flag says (open
  it with special hours). In SE and FI it is an ordinary working day.
* IS: Aðfangadagur (24 Dec) and Gamlársdagur (31 Dec), closed for the whole
  day (the package's "half_day" says from 13:00; use special hours for the
  morning).
* Any other country: 24 Dec and 31 Dec are added when the flag is on; the
  package's own holidays on those dates are never removed. Without a country
  there are no holidays and no eves.
* Easter Eve, Whitsun Eve, Grundlovsdag and the like are not eves here: add
  them as closed days if the team closes.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from types import MappingProxyType
from zoneinfo import ZoneInfo, available_timezones

import holidays
from django.utils.dates import WEEKDAYS as WEEKDAY_NAMES
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60
MAX_IDLE_DAYS = 3 * 366  # add_business_time gives up after this many days in a row without open time
NORDIC = frozenset({"SE", "DK", "NO", "FI", "IS"})  # countries whose eves the flag fully governs

Interval = tuple[int, int]  # minutes after local midnight, [start, end), 0 <= start < end <= 1440
Span = tuple[datetime, datetime]  # absolute [start, end) in UTC

_HHMM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DAY_CACHE_SIZE = 4096


class CalendarNeverOpen(ValidationFailed):
    """add_business_time found no open time at all in years of calendar."""

    code = "calendar_never_open"


# --- parsing and validation (pure; raise ValidationFailed naming the field) -------------------------------------------


def check_time_zone(value: object) -> str:
    if not isinstance(value, str) or value not in _time_zones():
        raise ValidationFailed(_("'%(value)s' is not a known time zone.") % {"value": value}, field="time_zone")
    return value


def check_country(value: object) -> str:
    """An ISO 3166 alpha-2 code the `holidays` package supports, upper-cased; "" for no holidays."""
    if not isinstance(value, str):
        raise ValidationFailed(_("The country must be a two-letter code."), field="country")
    code = value.strip().upper()
    if code and (len(code) != 2 or code not in _countries()):
        raise ValidationFailed(
            _("'%(value)s' is not a country whose public holidays are known.") % {"value": value}, field="country"
        )
    return code


def parse_intervals(value: object, *, where: str, field: str) -> tuple[Interval, ...]:
    """A list of ["HH:MM", "HH:MM"] as sorted (start, end) minutes; `where` names the day in messages."""
    if not isinstance(value, list | tuple):
        raise ValidationFailed(
            _('%(where)s: expected a list of ["HH:MM", "HH:MM"] intervals.') % {"where": where}, field=field
        )
    intervals: list[Interval] = []
    for item in value:
        start = end = None
        if isinstance(item, list | tuple) and len(item) == 2:
            start, end = _minute(item[0], close=False), _minute(item[1], close=True)
        if start is None or end is None:
            raise ValidationFailed(
                _('%(where)s: %(item)s is not a pair of times like ["08:00", "17:00"] between 00:00 and 24:00.')
                % {"where": where, "item": _show(item)},
                field=field,
            )
        if start >= end:
            raise ValidationFailed(
                _("%(where)s: %(start)s-%(end)s must start before it ends.")
                % {"where": where, "start": item[0], "end": item[1]},
                field=field,
            )
        intervals.append((start, end))
    intervals.sort()
    for (a_start, a_end), (b_start, b_end) in pairwise(intervals):
        if b_start < a_end:
            raise ValidationFailed(
                _("%(where)s: %(first)s and %(second)s overlap.")
                % {
                    "where": where,
                    "first": f"{format_minute(a_start)}-{format_minute(a_end)}",
                    "second": f"{format_minute(b_start)}-{format_minute(b_end)}",
                },
                field=field,
            )
    return tuple(intervals)


def parse_opening_hours(value: object) -> tuple[tuple[Interval, ...], ...]:
    """{"mon": [...], ..., "sun": [...]} (exactly these keys) as seven sorted interval tuples, Monday first."""
    if not isinstance(value, Mapping):
        raise ValidationFailed(_("Opening hours must map each weekday (mon..sun) to intervals."), field="opening_hours")
    keys = set(value)
    if keys != set(DAY_KEYS):
        missing = [day for day in DAY_KEYS if day not in keys]
        unknown = sorted(str(key) for key in keys - set(DAY_KEYS))
        raise ValidationFailed(
            _(
                "Opening hours need exactly the days mon, tue, wed, thu, fri, sat, sun "
                "(missing: %(missing)s; unknown: %(unknown)s)."
            )
            % {"missing": ", ".join(missing) or "-", "unknown": ", ".join(unknown) or "-"},
            field="opening_hours",
        )
    return tuple(
        parse_intervals(value[day], where=str(WEEKDAY_NAMES[index]), field="opening_hours")
        for index, day in enumerate(DAY_KEYS)
    )


def parse_date(value: object, *, field: str) -> date:
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValidationFailed(_("'%(value)s' is not a date like 2026-12-24.") % {"value": _show(value)}, field=field)


def parse_closed_days(value: object) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValidationFailed(_('Closed days must be a list of dates like "2026-12-24".'), field="closed_days")
    return frozenset(item if type(item) is date else parse_date(item, field="closed_days") for item in value)


def parse_special_hours(value: object) -> dict[date, tuple[Interval, ...]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationFailed(
            _('Special hours must map dates to intervals: {"2026-12-23": [["10:00", "14:00"]]}.'),
            field="special_hours",
        )
    parsed: dict[date, tuple[Interval, ...]] = {}
    for key, intervals in value.items():
        day = key if type(key) is date else parse_date(key, field="special_hours")
        parsed[day] = parse_intervals(intervals, where=day.isoformat(), field="special_hours")
    return parsed


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def format_intervals(intervals: Iterable[Interval]) -> list[list[str]]:
    return [[format_minute(start), format_minute(end)] for start, end in intervals]


def _minute(value: object, *, close: bool) -> int | None:
    if not isinstance(value, str):
        return None
    if close and value == "24:00":
        return MINUTES_PER_DAY
    if not _HHMM.fullmatch(value):
        return None
    return int(value[:2]) * 60 + int(value[3:])


def _show(value: object) -> str:
    return (value if isinstance(value, str) else json.dumps(value, default=str))[:60]


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


# --- holidays and eves ------------------------------------------------------------------------------------------------


def midsummer_eve(year: int) -> date:
    """The Friday between 19 and 25 June (Midsommarafton, Juhannusaatto)."""
    first = date(year, 6, 19)
    return first + timedelta(days=(4 - first.weekday()) % 7)


def eves(country: str, year: int) -> frozenset[date]:
    """The eves that close a calendar of `country` with `closed_on_eves` (see the module docstring)."""
    if not country:
        return frozenset()
    days = {date(year, 12, 24), date(year, 12, 31)}
    if country in ("SE", "FI"):
        days.add(midsummer_eve(year))
    return frozenset(days)


@functools.lru_cache(maxsize=1024)
def closed_dates(country: str, closed_on_eves: bool, year: int) -> frozenset[date]:
    """Public holidays of `country` in `year`, with the eves added (flag on) or, in the Nordics, removed (flag off)."""
    if not country:
        return frozenset()
    public = frozenset(holidays.country_holidays(country, years=year).keys())
    year_eves = eves(country, year)
    if closed_on_eves:
        return public | year_eves
    return public - year_eves if country in NORDIC else public


# --- the compiled schedule --------------------------------------------------------------------------------------------


def _merge(intervals: Iterable[Interval]) -> tuple[Interval, ...]:
    """Sorted, non-overlapping intervals with touching ones joined (08-12 + 12-17 is 08-17)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


@dataclass(frozen=True, eq=False)
class Schedule:
    """A business calendar compiled for computing: immutable, no database. Build it with `Schedule.build`."""

    time_zone: str
    country: str
    always_open: bool
    closed_on_eves: bool
    weekly: tuple[tuple[Interval, ...], ...]  # Monday first, merged
    closed_days: frozenset[date]
    special_hours: Mapping[date, tuple[Interval, ...]]
    tz: ZoneInfo = field(init=False, repr=False)
    _days: dict[date, tuple[Span, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tz", ZoneInfo(self.time_zone))

    @classmethod
    def build(
        cls,
        *,
        time_zone: object = "Europe/Stockholm",
        country: object = "",
        opening_hours: object = None,
        closed_on_eves: bool = True,
        closed_days: object = None,
        special_hours: object = None,
        always_open: bool = False,
    ) -> Schedule:
        """Validate and compile; raises ValidationFailed naming the field. `opening_hours=None` is 08-17 Mon-Fri."""
        zone = check_time_zone(time_zone)
        code = check_country(country)
        if opening_hours is None:
            opening_hours = {day: ([["08:00", "17:00"]] if day not in ("sat", "sun") else []) for day in DAY_KEYS}
        weekly = parse_opening_hours(opening_hours)
        if not always_open and not any(weekly):
            raise ValidationFailed(
                _("A calendar that is not open 24/7 needs opening hours on at least one weekday."),
                field="opening_hours",
            )
        closed = parse_closed_days(closed_days)
        special = parse_special_hours(special_hours)
        both = sorted(closed & special.keys())
        if both:
            raise ValidationFailed(
                _("%(date)s is both a closed day and a day with special hours; keep one.")
                % {"date": both[0].isoformat()},
                field="special_hours",
            )
        return cls(
            time_zone=zone,
            country=code,
            always_open=bool(always_open),
            closed_on_eves=bool(closed_on_eves),
            weekly=tuple(_merge(day) for day in weekly),
            closed_days=closed,
            special_hours=MappingProxyType({day: _merge(intervals) for day, intervals in special.items()}),
        )

    def local_hours(self, day: date) -> tuple[Interval, ...]:
        """The day's wall-clock opening intervals after special hours, closed days, holidays and eves."""
        if self.always_open:
            return ((0, MINUTES_PER_DAY),)
        special = self.special_hours.get(day)
        if special is not None:
            return special
        if day in self.closed_days or day in closed_dates(self.country, self.closed_on_eves, day.year):
            return ()
        return self.weekly[day.weekday()]

    def intervals_on(self, day: date) -> tuple[Span, ...]:
        """The day's open intervals as absolute [start, end) UTC datetimes, empty ones dropped."""
        spans = self._days.get(day)
        if spans is None:
            converted = ((self._instant(day, start), self._instant(day, end)) for start, end in self.local_hours(day))
            spans = tuple((start, end) for start, end in converted if end > start)
            if len(self._days) >= _DAY_CACHE_SIZE:
                self._days.clear()
            self._days[day] = spans
        return spans

    def _instant(self, day: date, minute: int) -> datetime:
        """The first instant at which the local wall clock shows `day` at `minute` or later, in UTC."""
        wall = datetime.combine(day, time()) + timedelta(minutes=minute)
        instant = wall.replace(tzinfo=self.tz).astimezone(UTC)  # fold=0: the first of an ambiguous pair
        if instant.astimezone(self.tz).replace(tzinfo=None) == wall:
            return instant
        # `wall` falls in a spring-forward gap: find the jump, the first instant whose reading is >= wall.
        other = wall.replace(tzinfo=self.tz, fold=1).astimezone(UTC)
        low, high = min(instant, other), max(instant, other)  # reading(low) < wall <= reading(high)
        while high - low > timedelta(seconds=1):
            middle = low + (high - low) / 2
            middle = middle.replace(microsecond=0)
            if middle <= low:
                break
            if middle.astimezone(self.tz).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle
        return high

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


# --- the functions ----------------------------------------------------------------------------------------------------


def _aware(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    return moment.astimezone(UTC)


def is_open(calendar: Schedule, moment: datetime) -> bool:
    """Whether `moment` lies in an open interval [open, close)."""
    instant = _aware(moment, "moment")
    if calendar.always_open:
        return True
    day = calendar.local_date(instant)
    return any(
        start <= instant < end
        for offset in (-1, 0, 1)  # a neighbour day too, for zones whose clocks fall back across midnight
        for start, end in calendar.intervals_on(day + timedelta(days=offset))
    )


def next_open(calendar: Schedule, moment: datetime) -> datetime:
    """`moment` when the calendar is open then, else the next opening after it; in the calendar's time zone.

    Raises `CalendarNeverOpen` as `add_business_time` does when nothing opens within three years.
    """
    instant = _aware(moment, "moment")
    if calendar.always_open or is_open(calendar, instant):
        return instant.astimezone(calendar.tz)
    day = calendar.local_date(instant) - timedelta(days=1)  # the day before too: see is_open
    idle_days = 0
    while True:
        opening = next((start for start, end in calendar.intervals_on(day) if start > instant and end > start), None)
        if opening is not None:
            return opening.astimezone(calendar.tz)
        idle_days = 0 if calendar.intervals_on(day) else idle_days + 1
        if idle_days > MAX_IDLE_DAYS:
            raise CalendarNeverOpen(
                _("The calendar has no open time in the three years after %(day)s.") % {"day": day.isoformat()},
                field="opening_hours",
            )
        day += timedelta(days=1)


def add_business_time(calendar: Schedule, start: datetime, duration: timedelta) -> datetime:
    """The instant `duration` of open time after `start`, in the calendar's time zone (see the module docstring)."""
    instant = _aware(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration!r}")
    if not duration or calendar.always_open:
        return (instant + duration).astimezone(calendar.tz)
    remaining = duration
    day = calendar.local_date(instant) - timedelta(days=1)  # the day before too: see is_open
    idle_days = 0
    while True:
        found = False
        for open_at, close_at in calendar.intervals_on(day):
            if close_at <= instant:
                continue
            found = True
            begin = max(open_at, instant)
            available = close_at - begin
            if remaining <= available:
                return (begin + remaining).astimezone(calendar.tz)
            remaining -= available
        idle_days = 0 if found else idle_days + 1
        if idle_days > MAX_IDLE_DAYS:
            raise CalendarNeverOpen(
                _("The calendar has no open time in the three years after %(day)s.") % {"day": day.isoformat()},
                field="opening_hours",
            )
        day += timedelta(days=1)


def business_time_between(calendar: Schedule, start: datetime, end: datetime) -> timedelta:
    """Open time in [start, end); negative (antisymmetric) when end < start."""
    low, high = _aware(start, "start"), _aware(end, "end")
    if high < low:
        return -business_time_between(calendar, end, start)
    if calendar.always_open:
        return high - low
    total = timedelta(0)
    day, last = calendar.local_date(low) - timedelta(days=1), calendar.local_date(high) + timedelta(days=1)
    while day <= last:
        for open_at, close_at in calendar.intervals_on(day):
            begin, finish = max(open_at, low), min(close_at, high)
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total
