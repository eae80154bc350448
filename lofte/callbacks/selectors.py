"""Reads for callbacks: free slots, the agents' callback queue, a case's calls, callbacks kept on time per team."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.callbacks.models import Call, Callback, CallbackCapacity, CallbackSlot, CallbackState
from lofte.cases.models import Case
from lofte.core.errors import NotFound, ValidationFailed
from lofte.promises.business_time import Schedule
from lofte.promises.calendars import schedule_for
from lofte.promises.models import BusinessCalendar
from lofte.promises.stats import CallbackKeptRow as KeptRow  # noqa: F401  (re-exported)
from lofte.promises.stats import callbacks_kept_on_time as callbacks_kept_on_time

MAX_DAYS = 31
QUEUE_ROWS = 200


@dataclass(frozen=True)
class FreeSlot:
    start: datetime
    end: datetime
    free: int


def capacity_for(*, team: Team) -> CallbackCapacity:
    """The team's active callback capacity, or a validation error naming the team."""
    capacity = CallbackCapacity.objects.select_related("calendar", "team").filter(team=team, is_active=True).first()
    if capacity is None:
        raise ValidationFailed(_("%(team)s does not take callback requests.") % {"team": team.name}, field="team")
    return capacity


def default_callback_team() -> Team | None:
    """settings.LOFTE_CALLBACK_DEFAULT_TEAM (a name or id), else the first team with callback capacity."""
    wanted = str(settings.LOFTE_CALLBACK_DEFAULT_TEAM or "").strip()
    qs = CallbackCapacity.objects.filter(is_active=True).select_related("team").order_by("team__name", "id")
    if wanted:
        row = qs.filter(Q(team__name=wanted) | Q(team_id=int(wanted) if wanted.isdigit() else None)).first()
        if row is not None:
            return row.team
    row = qs.first()
    return row.team if row is not None else None


def callback_teams() -> list[Team]:
    return [
        c.team for c in CallbackCapacity.objects.filter(is_active=True).select_related("team").order_by("team__name")
    ]


def slot_starts(schedule: Schedule, *, minutes: int, start: datetime, end: datetime) -> list[datetime]:
    """Slot starts (UTC) in [start, end): each open interval cut into whole slots from its opening."""
    length = timedelta(minutes=minutes)
    day = schedule.local_date(start) - timedelta(days=1)
    last = schedule.local_date(end) + timedelta(days=1)
    out: list[datetime] = []
    while day <= last:
        for open_at, close_at in schedule.intervals_on(day):
            moment = open_at
            while moment + length <= close_at:
                if start <= moment < end:
                    out.append(moment)
                moment += length
        day += timedelta(days=1)
    return sorted(set(out))


def is_slot_start(schedule: Schedule, *, minutes: int, moment: datetime) -> bool:
    instant = moment.astimezone(UTC)
    return instant in slot_starts(schedule, minutes=minutes, start=instant, end=instant + timedelta(seconds=1))


def callback_slots(*, team: Team, start: datetime, days: int, limit: int | None = None) -> list[FreeSlot]:
    """The team's free slots starting after `start` over `days` days; bookings counted in one query."""
    if start.tzinfo is None:
        raise ValidationFailed(_("The time needs a time zone."), field="start")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(_("Choose between 1 and %(max)d days.") % {"max": MAX_DAYS}, field="days")
    capacity = capacity_for(team=team)
    schedule = schedule_for(capacity.calendar)
    begin = start.astimezone(UTC)
    starts = slot_starts(schedule, minutes=capacity.slot_minutes, start=begin, end=begin + timedelta(days=days))
    starts = [s for s in starts if s > begin]
    if not starts:
        return []
    booked = dict(
        CallbackSlot.objects.filter(team=team, start__gte=starts[0], start__lte=starts[-1]).values_list(
            "start", "booked"
        )
    )
    length = timedelta(minutes=capacity.slot_minutes)
    free = [
        FreeSlot(start=s, end=s + length, free=capacity.per_slot - booked.get(s, 0))
        for s in starts
        if booked.get(s, 0) < capacity.per_slot
    ]
    return free[:limit] if limit is not None else free


# --- the queue -------------------------------------------------------------------


def callbacks_visible_to(agent: Agent) -> QuerySet[Callback]:
    """The callbacks of cases the agent may see (lofte.accounts.access: the same rule as the inbox)."""
    return Callback.objects.filter(access.case_scope_q(agent, prefix="case__"))


@dataclass
class Queue:
    due_now: list[Callback] = field(default_factory=list)
    upcoming: list[Callback] = field(default_factory=list)
    overdue: list[Callback] = field(default_factory=list)


def callback_queue(*, agent: Agent, now: datetime, team: int | None = None) -> Queue:
    """Pending callbacks in one query: overdue (the window told has passed), due now (in the window), upcoming."""
    qs = callbacks_visible_to(agent).filter(state=CallbackState.PENDING)
    if team is not None:
        qs = qs.filter(team_id=team)
    rows = list(
        qs.select_related("case", "case__customer", "team", "promise").order_by("next_attempt_at", "id")[:QUEUE_ROWS]
    )
    queue = Queue()
    for row in rows:
        if row.window_end <= now:
            queue.overdue.append(row)
        elif row.next_attempt_at <= now:
            queue.due_now.append(row)
        else:
            queue.upcoming.append(row)
    return queue


def callback_get(*, callback_id: int) -> Callback:
    """A callback by id, for the signed confirmation link (no agent)."""
    row = Callback.objects.select_related("promise", "case").filter(pk=callback_id).first()
    if row is None:
        raise NotFound(_("There is no callback %(id)s.") % {"id": callback_id})
    return row


def callback_get_for_agent(*, agent: Agent, callback_id: int) -> Callback:
    row = (
        callbacks_visible_to(agent)
        .select_related("case", "case__customer", "team", "promise", "promise__calendar")
        .filter(pk=callback_id)
        .first()
    )
    if row is None:
        raise NotFound(_("There is no callback %(id)s.") % {"id": callback_id})
    return row


def calls_for_case(*, case: Case) -> list[Call]:
    return list(Call.objects.filter(case=case).select_related("agent").order_by("-created_at", "-id")[:50])


def callbacks_for_case(*, case: Case) -> list[Callback]:
    return list(
        Callback.objects.filter(case=case).select_related("promise").prefetch_related("attempt_log").order_by("-id")
    )


def callback_calendar(team_id: int) -> BusinessCalendar | None:
    """The calendar the team's callbacks are made in (its hours when it has none of its own), or None."""
    capacity = CallbackCapacity.objects.select_related("calendar").filter(team_id=team_id, is_active=True).first()
    return capacity.calendar if capacity is not None else None
