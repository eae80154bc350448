"""Writes for callbacks and calls: booking a slot, logging attempts, logging calls.

A callback is a promise of kind callback, due at the end of the window the
customer was told. A slot's places are taken by one conditional UPDATE
(`booked = booked + 1 WHERE booked < capacity`), so concurrent bookings never
exceed the capacity on SQLite or PostgreSQL: the loser gets `SlotFull` with
the next free slots.

After a failed attempt with attempts left, the customer is told when we try
again, and the promise's due time moves to the end of that new window (the
time they were told last is what the promise is measured against). Out of
attempts, the promise is broken at once, the customer is told, and the case
stays open. Reaching the customer, or an answered outbound call logged on the
case, keeps the promise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import formats, translation
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, Team
from lofte.callbacks.models import (
    Call,
    Callback,
    CallbackAttempt,
    CallbackCapacity,
    CallbackSlot,
    CallbackState,
    CallDirection,
    CallOutcome,
    Outcome,
    Source,
)
from lofte.callbacks.selectors import FreeSlot, callback_slots, capacity_for, is_slot_start
from lofte.cases import notices
from lofte.cases.acknowledgements import acknowledge_case
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, Channel, Message, NoticeKind
from lofte.cases.services import case_promises_record, case_send_automatic
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.core.errors import DomainError, ValidationFailed
from lofte.customers.identities import format_phone, language_for_phone, normalise
from lofte.customers.models import Customer, IdentityKind, Proof
from lofte.customers.services import Identifier
from lofte.outbox.services import AutomaticLimitReached
from lofte.outbox.transports import channel_on
from lofte.promises import services as promises
from lofte.promises.business_time import Schedule, add_business_time, business_time_between, next_open
from lofte.promises.calendars import schedule_for
from lofte.promises.live import promises_changed
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseOrigin, PromiseState

NEXT_SLOTS = 5
FAILED_OUTCOMES = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.VOICEMAIL)
# timeline kinds written here (registered with their labels and templates in lofte.callbacks.seams)
EVENT_CALLBACK_ATTEMPT = "callback_attempt"
EVENT_CALL = "call"
CALLBACK = "callback"  # the subject type of a callback's promise (lofte.promises.subjects)


class SlotFull(DomainError):
    """The slot's places were all taken (maybe just now); `next_slots` are the next free ones."""

    code = "slot_full"
    status = 409

    def __init__(self, message: str, *, next_slots: list[FreeSlot]):
        super().__init__(message, field="slot_start")
        self.next_slots = next_slots


# --- texts for the customer, in their language and time zone -------------------------


def _language(customer: Customer, case: Case | None) -> str:
    """The case's language, else the customer's, when Lofte has it; else the site's."""
    known = dict(settings.LANGUAGES)
    for language in ((case.language if case else ""), customer.language):
        if language and language in known:
            return language
    return settings.LANGUAGE_CODE


def _zone(customer: Customer, calendar_zone: str) -> ZoneInfo:
    """The customer's time zone, else the calendar's, else the site's; a stored name that is no zone is skipped."""
    for name in (customer.time_zone, calendar_zone, settings.TIME_ZONE):
        try:
            if name:
                return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def _day(moment: datetime, zone: ZoneInfo) -> str:
    return str(formats.date_format(moment.astimezone(zone), "l j F"))


def _time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def confirmation_text(*, customer: Customer, case: Case | None, start: datetime, end: datetime, zone: str) -> str:
    """ "We will call you on Tuesday 26 November between 10:00 and 10:15 from 08-123 456 78.": the admins' text
    for the customer's language, else the built-in one (lofte.cases.notices)."""

    tz = _zone(customer, zone)
    language = _language(customer, case)
    with translation.override(language):
        values = {
            "day": _day(start, tz),
            "start": _time(start, tz),
            "end": _time(end, tz),
            "number": settings.LOFTE_CALLBACK_FROM_NUMBER,
            "reference": case.reference if case else "",
            "customer_name": customer.name or _("customer"),
        }
    return notices.notice_text(kind=NoticeKind.CALLBACK_CONFIRMATION, language=language, values=values)


def retry_text(*, callback: Callback, tried_at: datetime, start: datetime, end: datetime, zone: str) -> str:
    """The next try after a missed call, in the customer's language and time zone (lofte.cases.notices)."""

    customer = callback.case.customer
    tz = _zone(customer, zone)
    language = _language(customer, callback.case)
    with translation.override(language):
        values = {
            "tried": _time(tried_at, tz),
            "day": _day(start, tz),
            "start": _time(start, tz),
            "end": _time(end, tz),
            "number": settings.LOFTE_CALLBACK_FROM_NUMBER,
            "reference": callback.case.reference,
            "customer_name": customer.name or _("customer"),
        }
    return notices.notice_text(kind=NoticeKind.CALLBACK_RETRY, language=language, values=values)


def gave_up_text(*, callback: Callback, tried_at: datetime, zone: str, wrong_number: bool) -> str:
    """No more tries: the number was wrong, or every try went unanswered (lofte.cases.notices)."""

    customer = callback.case.customer
    tz = _zone(customer, zone)
    language = _language(customer, callback.case)
    with translation.override(language):
        values = {
            "tried": _time(tried_at, tz),
            "phone": format_phone(callback.phone),
            "count": str(callback.attempts),
            "reference": callback.case.reference,
            "customer_name": customer.name or _("customer"),
        }
    kind = NoticeKind.CALLBACK_WRONG_NUMBER if wrong_number else NoticeKind.CALLBACK_GAVE_UP
    return notices.notice_text(kind=kind, language=language, values=values)


# --- sending to the customer -----------------------------------------------------------


def _tell_customer(*, case: Case, phone: str, text: str, now: datetime, sms_ok: bool = True) -> Message | None:
    """By SMS to the callback number when an SMS transport is configured, else by email to the customer's
    address; an outbound automatic message on the timeline. None when there is no way (or the hourly limit)."""
    if sms_ok and channel_on(Channel.SMS):
        channel, to = Channel.SMS, phone
    else:
        emails = sorted(
            (i for i in case.customer.identities.all() if i.kind == IdentityKind.EMAIL),
            key=lambda i: (not i.is_primary, i.pk),
        )
        if not emails or not channel_on(Channel.EMAIL):
            return None
        channel, to = Channel.EMAIL, emails[0].value
    try:
        return case_send_automatic(case=case, body=text, now=now, channel=channel, to=to)
    except (AutomaticLimitReached, ValidationFailed):
        return None


def _take_place(*, team: Team, start: datetime, capacity: int) -> bool:
    """One place in the slot, or False when it is full: the slot's row is created if missing (a no-op when it
    exists), then one conditional UPDATE; two bookings racing for the last place cannot both win."""
    CallbackSlot.objects.bulk_create([CallbackSlot(team=team, start=start, booked=0)], ignore_conflicts=True)
    taken = CallbackSlot.objects.filter(team=team, start=start, booked__lt=capacity).update(booked=F("booked") + 1)
    return taken == 1


def _check_slot(capacity: CallbackCapacity, slot_start: datetime, now: datetime) -> datetime:
    if slot_start.tzinfo is None:
        raise ValidationFailed(_("The time needs a time zone."), field="slot_start")
    start = slot_start.astimezone(UTC)
    if start <= now:
        raise ValidationFailed(_("That time has passed; choose a later one."), field="slot_start")
    if not is_slot_start(schedule_for(capacity.calendar), minutes=capacity.slot_minutes, moment=start):
        raise ValidationFailed(
            _("We do not make callbacks at that time; choose one of the times offered."), field="slot_start"
        )
    return start


def callback_book(
    *,
    team: Team,
    slot_start: datetime,
    phone: str,
    name: str = "",
    case: Case | None = None,
    source: str = Source.WEB,
    actor: Agent | None = None,
    language: str = "",
) -> Callback:
    """Book a place in the slot, open (or use) the case, make the callback promise, and confirm to the customer.

    Nothing is stored when the number is invalid, the time is not a free future slot, or the slot is full
    (SlotFull with the next free slots)."""
    number = normalise(IdentityKind.PHONE, phone or "", field="phone")
    if source not in Source.values:
        raise ValidationFailed(_("'%(value)s' is not a source.") % {"value": source}, field="source")
    name = " ".join((name or "").split())[:200]
    capacity = capacity_for(team=team)
    now = clock.now()
    start = _check_slot(capacity, slot_start, now)
    try:
        return _book(
            capacity=capacity, start=start, number=number, name=name, case=case, source=source, actor=actor,
            language=language, now=now,
        )  # fmt: skip
    except _Full:
        pass
    next_slots = callback_slots(team=team, start=now, days=settings.LOFTE_CALLBACK_DAYS, limit=NEXT_SLOTS)
    raise SlotFull(_("That time has just been taken; please choose another."), next_slots=next_slots)


class _Full(Exception):
    pass


@transaction.atomic
def _book(
    *,
    capacity: CallbackCapacity,
    start: datetime,
    number: str,
    name: str,
    case: Case | None,
    source: str,
    actor: Agent | None,
    language: str,
    now: datetime,
) -> Callback:
    team = capacity.team
    if not _take_place(team=team, start=start, capacity=capacity.per_slot):
        raise _Full
    end = start + timedelta(minutes=capacity.slot_minutes)
    zone = capacity.calendar.time_zone
    if case is None:
        local = start.astimezone(ZoneInfo(zone))
        body = _("Callback requested to %(phone)s on %(day)s between %(start)s and %(end)s.") % {
            "phone": format_phone(number),
            "day": local.strftime("%Y-%m-%d"),
            "start": local.strftime("%H:%M"),
            "end": end.astimezone(ZoneInfo(zone)).strftime("%H:%M"),
        }
        # the number is typed (by the customer on /callback, or by an agent for them): a claim, which finds
        # a customer but joins none (the identity rule, lofte.customers.services)
        case = intake_receive(
            contact=Contact(
                channel=Channel.PHONE,
                body=body,
                identifiers=[Identifier(kind=IdentityKind.PHONE, value=number, field="number")],
                name=name,
                subject=_("Callback request: %(name)s") % {"name": name or format_phone(number)},
                language=language,
                language_hint=language_for_phone(number),
                customers_words=False,  # Lofte wrote the request, in the page's (or the agent's) language
                sender=number,
                team=team,
                actor=actor,
            )
        ).case
    elif case.status == "closed":
        raise ValidationFailed(_("The case is closed; book the callback on a new case."), field="case")
    customer = case.customer
    text = confirmation_text(customer=customer, case=case, start=start, end=end, zone=zone)
    promise = Promise(
        kind=PromiseKind.CALLBACK,
        case=case,
        subject_type=CALLBACK,  # its subject_id once the callback exists, below
        due_at=end,
        owner_agent=actor if actor is not None else case.assignee,
        owner_team=team,
        customer_text=text,
        origin=PromiseOrigin.AGENT if actor is not None else PromiseOrigin.SYSTEM,
        calendar=capacity.calendar,
        created_by=actor,
        created_at=now,
        remind_at=end - promises.reminder_lead(PromiseKind.CALLBACK, end - now),
    )
    promise.save()
    promises_changed([promise])
    callback = Callback.objects.create(
        team=team,
        case=case,
        promise=promise,
        phone=number,
        name=name,
        slot_start=start,
        slot_end=end,
        source=source,
        next_attempt_at=start,
        window_end=end,
        created_by=actor,
        created_at=now,
    )
    promise.subject_id = callback.pk
    promise.save(update_fields=["subject_id"])
    case_promises_record(case=case, changes=[promises.PromiseChange(promise, "made")], actor=actor, now=now)
    _tell_customer(case=case, phone=number, text=text, now=now)
    return callback


# --- attempts -----------------------------------------------------------------------------


MAX_WINDOW_TRIES = 400  # openings tried for a retry window that fits; a calendar always has one far sooner


def retry_window_start(schedule: Schedule, *, earliest: datetime, length: timedelta) -> datetime:
    """The first moment at or after `earliest` when the calendar is open for the whole window [start, start +
    length): a retry told to the customer lies in the team's hours, never across a closing."""
    start = next_open(schedule, earliest).astimezone(UTC)
    for _try in range(MAX_WINDOW_TRIES):
        open_time = business_time_between(schedule, start, start + length)
        if open_time >= length:
            return start
        # the interval closes inside the window: try from the next opening after that closing
        start = next_open(schedule, add_business_time(schedule, start, open_time)).astimezone(UTC)
    return start  # pragma: no cover - only a calendar whose every interval is shorter than a slot gets here


def _attempt_event(callback: Callback, attempt: CallbackAttempt, *, actor: Agent | None, now: datetime) -> None:
    case_event_add(
        case=callback.case,
        kind=EVENT_CALLBACK_ATTEMPT,
        actor=actor,
        data={
            "callback": callback.pk,
            "attempt": callback.attempts,
            "outcome": attempt.outcome,
            "note": attempt.note[:500],
            "phone": callback.phone,
        },
        now=now,
    )


@transaction.atomic
def callback_attempt_log(*, callback: Callback, agent: Agent, outcome: str, note: str = "") -> CallbackAttempt:
    """Log one attempt: reached keeps the promise; a failed one schedules the next attempt and tells the customer;
    the last failed one (or a wrong number) breaks the promise honestly and tells the customer. The case stays
    open either way."""
    if outcome not in Outcome.values:
        raise ValidationFailed(
            _("'%(value)s' is not an outcome; use one of %(choices)s.")
            % {"value": outcome, "choices": ", ".join(Outcome.values)},
            field="outcome",
        )
    row = (
        Callback.objects.select_for_update(of=("self",))
        .select_related("case", "case__customer", "promise", "promise__calendar")
        .get(pk=callback.pk)
    )
    if row.state != CallbackState.PENDING:
        raise ValidationFailed(_("This callback is already done."), field="outcome")
    now = clock.now()
    row.attempts += 1
    attempt = CallbackAttempt.objects.create(
        callback=row, agent=agent, outcome=outcome, note=(note or "").strip(), created_at=now
    )
    _attempt_event(row, attempt, actor=agent, now=now)
    fields = ["attempts"]
    promise = row.promise
    if outcome == Outcome.REACHED:
        row.state, row.done_at = CallbackState.REACHED, now
        fields += ["state", "done_at"]
        if promise is not None and (change := promises.promise_keep(promise=promise, now=now)):
            case_promises_record(case=row.case, changes=[change], actor=agent, now=now)
    elif outcome in FAILED_OUTCOMES and row.attempts < settings.LOFTE_CALLBACK_MAX_ATTEMPTS:
        capacity = CallbackCapacity.objects.select_related("calendar").get(team_id=row.team_id)
        calendar = promise.calendar if promise is not None and promise.calendar else capacity.calendar
        length = timedelta(minutes=capacity.slot_minutes)
        # never before the slot the customer booked, and in the team's hours for the whole window
        earliest = max(now + timedelta(minutes=settings.LOFTE_CALLBACK_RETRY_MINUTES), row.slot_start)
        retry_at = retry_window_start(schedule_for(calendar), earliest=earliest, length=length)
        window_end = retry_at + length
        text = retry_text(callback=row, tried_at=now, start=retry_at, end=window_end, zone=calendar.time_zone)
        row.next_attempt_at, row.window_end = retry_at, window_end
        fields += ["next_attempt_at", "window_end"]
        if promise is not None and promise.state == PromiseState.PENDING:
            # the customer has been told a new window: the promise is measured against it
            promises.promise_retime(promise=promise, due_at=window_end, customer_text=text, now=now)
            row.case.next_due_at = promises.next_due_for_case(case=row.case)
            row.case.save(update_fields=["next_due_at"])
        _tell_customer(case=row.case, phone=row.phone, text=text, now=now)
    else:
        row.state, row.done_at = CallbackState.FAILED, now
        fields += ["state", "done_at"]
        zone = promise.calendar.time_zone if promise and promise.calendar else settings.TIME_ZONE
        wrong = outcome == Outcome.WRONG_NUMBER
        if promise is not None and (change := promises.promise_break(promise=promise, now=now)):
            case_promises_record(case=row.case, changes=[change], actor=agent, now=now)
        text = gave_up_text(callback=row, tried_at=now, zone=zone, wrong_number=wrong)
        # an SMS to a wrong number reaches someone else: then only by email
        _tell_customer(case=row.case, phone=row.phone, text=text, now=now, sms_ok=not wrong)
    row.save(update_fields=fields)
    for name in fields:
        setattr(callback, name, getattr(row, name))
    return attempt


# --- calls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallLogged:
    call: Call
    case: Case
    kept: list[Callback]


@transaction.atomic
def call_log(
    *,
    agent: Agent,
    direction: str,
    number: str,
    outcome: str,
    case: Case | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    acknowledge: bool = False,
) -> CallLogged:
    """A call on a case (a call without one opens a case on the phone channel for the number's customer).
    An answered outbound call keeps the case's pending callbacks and their promises. `acknowledge`: the
    caller agreed to get the new case's acknowledgement (case number, when they will hear from us) by SMS
    or email."""
    if direction not in CallDirection.values:
        raise ValidationFailed(_("Direction is 'in' or 'out'."), field="direction")
    if outcome not in CallOutcome.values:
        raise ValidationFailed(
            _("'%(value)s' is not an outcome; use one of %(choices)s.")
            % {"value": outcome, "choices": ", ".join(CallOutcome.values)},
            field="outcome",
        )
    if duration_seconds is None or duration_seconds < 0 or duration_seconds > 24 * 3600:
        raise ValidationFailed(_("The duration is between 0 and 86400 seconds."), field="duration_seconds")
    clean = normalise(IdentityKind.PHONE, number or "", field="number")
    notes = (notes or "").replace("\r\n", "\n").strip()
    now = clock.now()
    opened = case is None
    if case is None:
        what = _("Inbound call from %(phone)s") if direction == CallDirection.IN else _("Call to %(phone)s")
        subject = what % {"phone": format_phone(clean)}
        # a call came from (or was answered at) the number: proven, as a message from it would be
        case = intake_receive(
            contact=Contact(
                channel=Channel.PHONE,
                body=notes or subject,
                identifiers=[Identifier(kind=IdentityKind.PHONE, value=clean, proof=Proof.MESSAGE, field="number")],
                subject=subject,
                language_hint=language_for_phone(clean),
                customers_words=False,  # the agent's notes of the call
                sender=clean,
                team=agent.teams.order_by("name").first(),
                assignee=agent,
                actor=agent,
            )
        ).case
    call = Call.objects.create(
        case=case,
        agent=agent,
        direction=direction,
        number=clean,
        duration_seconds=duration_seconds,
        outcome=outcome,
        notes=notes,
        created_at=now,
    )
    case_event_add(
        case=case,
        kind=EVENT_CALL,
        actor=agent,
        data={
            "call": call.pk,
            "direction": direction,
            "number": clean,
            "duration_seconds": duration_seconds,
            "outcome": outcome,
            "notes": notes[:500],
        },
        now=now,
    )
    if opened and acknowledge:
        acknowledge_case(case_id=case.pk, now=now, consent=True)
    kept: list[Callback] = []
    if direction == CallDirection.OUT and outcome == CallOutcome.ANSWERED:
        pending = list(
            Callback.objects.select_for_update(of=("self",))
            .filter(case=case, state=CallbackState.PENDING)
            .select_related("promise")
            .order_by("id")
        )
        for callback in pending:
            callback.attempts += 1
            callback.state, callback.done_at = CallbackState.REACHED, now
            callback.save(update_fields=["attempts", "state", "done_at"])
            CallbackAttempt.objects.create(
                callback=callback, agent=agent, outcome=Outcome.REACHED, note=notes, created_at=now
            )
            promise = callback.promise
            if promise is not None and (change := promises.promise_keep(promise=promise, now=now)):
                case_promises_record(case=case, changes=[change], actor=agent, now=now)
            kept.append(callback)
    if not kept:
        case.updated_at = now
        case.save(update_fields=["updated_at"])
    return CallLogged(call=call, case=case, kept=kept)


# --- capacity ------------------------------------------------------------------------------


@transaction.atomic
def callback_capacity_set(
    *, team: Team, per_slot: int, slot_minutes: int, calendar: BusinessCalendar, is_active: bool
) -> CallbackCapacity:
    """How many callbacks the team can make per slot, how long a slot is, on which business calendar, and
    whether /callback offers them. Bookings already made stay as they are."""
    if not 1 <= per_slot <= 100:
        raise ValidationFailed(_("Callbacks per slot is between 1 and 100."), field="per_slot")
    if not 5 <= slot_minutes <= 240:
        raise ValidationFailed(_("A slot is between 5 and 240 minutes long."), field="slot_minutes")
    capacity, _created = CallbackCapacity.objects.update_or_create(
        team=team,
        defaults={"per_slot": per_slot, "slot_minutes": slot_minutes, "calendar": calendar, "is_active": is_active},
    )
    return capacity
