"""Booking, slots, attempts and calls, with exact outcomes (the clock fixed on Monday 23 November 2026 10:00
in Stockholm; the team is open Mon-Fri 08:00-17:00, 2 callbacks per 15-minute slot)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.callbacks import selectors, services
from lofte.callbacks.models import Call, Callback, CallbackAttempt, CallbackSlot, CallbackState, Source
from lofte.cases.models import Case, CaseEvent, Message
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.models import Customer, CustomerIdentity
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    """A time on a day of November 2026 given in Stockholm (UTC+1 in November)."""
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


# --- slots -------------------------------------------------------------------------------


def test_slots_are_whole_slots_inside_business_hours_after_now(capacity, now):
    slots = selectors.callback_slots(team=capacity.team, start=now, days=1)
    # Monday 10:15-16:45 (27 slots; 10:00 has begun), then Tuesday 08:00-09:45 up to 24 hours from now (8 slots)
    assert len(slots) == 35
    assert (slots[0].start, slots[0].end, slots[0].free) == (at(10, 15), at(10, 30), 2)
    assert slots[26].start == at(16, 45)
    assert slots[27].start == at(8, 0, day=24)
    assert slots[-1].start == at(9, 45, day=24)


def test_slots_skip_full_ones_and_count_bookings_in_one_query(capacity, now, django_assert_num_queries):
    CallbackSlot.objects.create(team=capacity.team, start=at(10, 15), booked=2)
    CallbackSlot.objects.create(team=capacity.team, start=at(10, 30), booked=1)
    with django_assert_num_queries(2):  # the capacity with its calendar, the bookings
        slots = selectors.callback_slots(team=capacity.team, start=now, days=1)
    assert [(s.start, s.free) for s in slots[:2]] == [(at(10, 30), 1), (at(10, 45), 2)]


def test_weekend_has_no_slots(capacity):
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    slots = selectors.callback_slots(team=capacity.team, start=saturday, days=2)
    assert slots[0].start == at(8, 0, day=30)  # Monday's opening


def test_a_team_without_capacity_is_refused(team, now):
    with pytest.raises(ValidationFailed) as exc:
        selectors.callback_slots(team=team, start=now, days=1)
    assert exc.value.field == "team"


# --- booking -------------------------------------------------------------------------------


def test_booking_from_the_site_opens_a_phone_case_with_a_callback_promise_due_at_the_slot_end(
    capacity, now, email_only
):
    callback = services.callback_book(
        team=capacity.team, slot_start=at(10, 30), phone="070-765 43 21", name="Per Persson", language="en"
    )
    case = Case.objects.get()
    customer = Customer.objects.get()
    assert (case.channel, case.team, case.customer, case.status) == ("phone", capacity.team, customer, "new")
    assert list(customer.identities.values_list("kind", "value")) == [("phone", "+46707654321")]
    assert customer.name == "Per Persson"
    promise = Promise.objects.get(kind=PromiseKind.CALLBACK)
    assert (promise.case, promise.due_at, promise.state, promise.origin) == (
        case,
        at(10, 45),
        PromiseState.PENDING,
        PromiseOrigin.SYSTEM,
    )
    assert promise.owner_team == capacity.team
    assert promise.customer_text == "We will call you on Monday 23 November between 10:30 and 10:45 from 08-123 456 78."
    assert (callback.phone, callback.slot_start, callback.slot_end, callback.source) == (
        "+46707654321",
        at(10, 30),
        at(10, 45),
        Source.WEB,
    )
    assert (callback.next_attempt_at, callback.window_end, callback.state) == (at(10, 30), at(10, 45), "pending")
    assert CallbackSlot.objects.get().booked == 1
    case.refresh_from_db()
    assert case.next_due_at == at(10, 45)
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True)) == ["created", "promise_made"]
    # a customer known only by phone, and no SMS transport: nothing can be sent
    assert OutboxMessage.objects.count() == 0


def test_the_confirmation_goes_by_email_to_a_known_customer_in_their_language(capacity, customer, now, email_only):
    services.callback_book(team=capacity.team, slot_start=at(14, 0, day=24), phone="+46 70 123 45 67")
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to, row.automatic) == ("email", "karin@example.se", True)
    promise = Promise.objects.get()
    assert promise.customer_text.startswith("Vi ringer dig tisdag 24 november mellan kl. 14:00 och 14:15")
    assert row.payload["text"] == promise.customer_text
    message = Message.objects.get(direction="out")
    assert (message.outbox_message, message.case.customer) == (row, customer)


def test_the_confirmation_goes_by_sms_when_sms_is_configured(capacity, customer, now, with_sms):
    services.callback_book(team=capacity.team, slot_start=at(14, 0), phone="0701234567", language="en")
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to, row.payload["text"]) == (
        "sms",
        "+46701234567",
        Promise.objects.get().customer_text,
    )


def test_the_customers_time_zone_is_used(capacity, customer, now, email_only):
    customer.time_zone = "Europe/Helsinki"
    customer.language = "en"
    customer.save()
    services.callback_book(team=capacity.team, slot_start=at(14, 0), phone="0701234567")
    assert "between 15:00 and 15:15" in Promise.objects.get().customer_text


def test_booking_on_an_existing_case_by_an_agent(capacity, case, agent, now, email_only):
    callback = services.callback_book(
        team=capacity.team, slot_start=at(11, 0), phone="0701234567", case=case, source=Source.AGENT, actor=agent
    )
    assert callback.case == case
    assert Case.objects.count() == 1
    promise = callback.promise
    assert promise is not None
    assert (promise.origin, promise.owner_agent, promise.created_by) == (PromiseOrigin.AGENT, agent, agent)


@pytest.mark.parametrize("phone", ["12", "not a number", "", "+46 70 123"])
def test_an_invalid_number_is_refused_and_nothing_is_stored(capacity, now, phone):
    with pytest.raises(ValidationFailed) as exc:
        services.callback_book(team=capacity.team, slot_start=at(10, 30), phone=phone)
    assert exc.value.field == "phone"
    assert (Case.objects.count(), Customer.objects.count(), CallbackSlot.objects.count(), Promise.objects.count()) == (
        0,
        0,
        0,
        0,
    )


@pytest.mark.parametrize(
    "slot",
    [
        at(9, 45),  # begun already
        at(10, 0),  # begins now
        at(17, 0),  # closed
        at(16, 50),  # not a slot start
        datetime(2026, 11, 28, 10, 0, tzinfo=UTC),  # Saturday
    ],
)
def test_a_time_that_is_not_a_future_slot_is_refused(capacity, now, slot):
    with pytest.raises(ValidationFailed) as exc:
        services.callback_book(team=capacity.team, slot_start=slot, phone="0701234567")
    assert exc.value.field == "slot_start"
    assert (Case.objects.count(), CallbackSlot.objects.count()) == (0, 0)


def test_a_full_slot_answers_with_the_next_free_ones_and_stores_nothing(capacity, now, email_only):
    for number in ("0701111111", "0702222222"):
        services.callback_book(team=capacity.team, slot_start=at(10, 30), phone=number)
    with pytest.raises(services.SlotFull) as exc:
        services.callback_book(team=capacity.team, slot_start=at(10, 30), phone="0703333333")
    assert exc.value.code == "slot_full"
    assert [s.start for s in exc.value.next_slots] == [at(10, 15), at(10, 45), at(11, 0), at(11, 15), at(11, 30)]
    assert CallbackSlot.objects.get().booked == 2
    assert (Callback.objects.count(), Case.objects.count()) == (2, 2)
    assert not CustomerIdentity.objects.filter(value="+46703333333").exists()


# --- attempts -------------------------------------------------------------------------------


@pytest.fixture
def booked(capacity, customer, now, email_only):  # type: ignore[no-untyped-def]
    return services.callback_book(team=capacity.team, slot_start=at(10, 30), phone="0701234567", language="en")


def test_reaching_the_customer_keeps_the_promise(booked, agent):
    with clock.at(at(10, 35)):
        attempt = services.callback_attempt_log(callback=booked, agent=agent, outcome="reached", note="Sorted.")
    promise = Promise.objects.get()
    assert (promise.state, promise.kept_at) == (PromiseState.KEPT, at(10, 35))
    booked.refresh_from_db()
    assert (booked.state, booked.attempts, booked.done_at) == (CallbackState.REACHED, 1, at(10, 35))
    assert (attempt.outcome, attempt.note, attempt.agent) == ("reached", "Sorted.", agent)
    events = list(CaseEvent.objects.filter(case=booked.case).order_by("id").values_list("kind", "data"))
    assert events[-2][0] == "callback_attempt" and events[-2][1]["outcome"] == "reached"
    assert events[-1] == ("promise_kept", {**events[-1][1], "on_time": True, "kind": "callback"})
    booked.case.refresh_from_db()
    assert booked.case.next_due_at is None
    assert OutboxMessage.objects.count() == 1  # only the confirmation


def test_a_failed_attempt_schedules_the_next_and_tells_the_customer(booked, agent):
    with clock.at(at(10, 35)):
        services.callback_attempt_log(callback=booked, agent=agent, outcome="no_answer")
    booked.refresh_from_db()
    assert (booked.state, booked.attempts, booked.next_attempt_at, booked.window_end) == (
        "pending",
        1,
        at(10, 50),
        at(11, 5),
    )
    promise = Promise.objects.get()
    assert (promise.state, promise.due_at) == (PromiseState.PENDING, at(11, 5))
    text = (
        "We tried to call you at 10:35 but could not reach you. "
        "We will try again on Monday 23 November between 10:50 and 11:05 from 08-123 456 78."
    )
    assert promise.customer_text == text
    notice = OutboxMessage.objects.order_by("id").last()
    assert notice is not None and (notice.to, notice.payload["text"], notice.automatic) == (
        "karin@example.se",
        text,
        True,
    )


def test_a_retry_after_closing_moves_to_the_next_opening(capacity, customer, agent, now, email_only):
    callback = services.callback_book(team=capacity.team, slot_start=at(16, 45), phone="0701234567")
    with clock.at(at(16, 55)):
        services.callback_attempt_log(callback=callback, agent=agent, outcome="busy")
    callback.refresh_from_db()
    assert (callback.next_attempt_at, callback.window_end) == (at(8, 0, day=24), at(8, 15, day=24))


def test_out_of_attempts_breaks_the_promise_tells_the_customer_and_leaves_the_case_open(booked, agent):
    for minute in (35, 50):
        with clock.at(at(10, minute)):
            services.callback_attempt_log(callback=booked, agent=agent, outcome="no_answer")
    with clock.at(at(11, 10)):
        services.callback_attempt_log(callback=booked, agent=agent, outcome="voicemail", note="Left a message")
    booked.refresh_from_db()
    assert (booked.state, booked.attempts, booked.done_at) == (CallbackState.FAILED, 3, at(11, 10))
    promise = Promise.objects.get()
    assert (promise.state, promise.broken_at, promise.escalation_level) == (PromiseState.BROKEN, at(11, 10), 1)
    case = Case.objects.get()
    assert case.status == "new"
    # the broken callback is the case's next promise (the inbox shows it as broken) until a reply settles it
    assert case.next_due_at == promise.due_at
    last = OutboxMessage.objects.order_by("id").last()
    assert last is not None and last.payload["text"].startswith(
        "We tried to call you 3 times, the last time at 11:10, but could not reach you."
    )
    assert CaseEvent.objects.filter(case=case, kind="promise_broken").count() == 1
    assert CallbackAttempt.objects.filter(callback=booked).count() == 3
    with pytest.raises(ValidationFailed):
        services.callback_attempt_log(callback=booked, agent=agent, outcome="reached")


def test_a_wrong_number_ends_the_attempts_and_never_texts_that_number(capacity, customer, agent, now, with_sms):
    callback = services.callback_book(team=capacity.team, slot_start=at(10, 30), phone="0701234567")
    with clock.at(at(10, 31)):
        services.callback_attempt_log(callback=callback, agent=agent, outcome="wrong_number")
    assert Promise.objects.get().state == PromiseState.BROKEN
    assert list(OutboxMessage.objects.order_by("id").values_list("channel", "to")) == [
        ("sms", "+46701234567"),
        ("email", "karin@example.se"),
    ]


def test_an_unknown_outcome_is_refused(booked, agent):
    with pytest.raises(ValidationFailed) as exc:
        services.callback_attempt_log(callback=booked, agent=agent, outcome="maybe")
    assert exc.value.field == "outcome"
    assert CallbackAttempt.objects.count() == 0


# --- calls ------------------------------------------------------------------------------------


def test_a_call_without_a_case_opens_one_for_the_numbers_customer(agent, customer, now):
    logged = services.call_log(
        agent=agent, direction="in", number="070-123 45 67", duration_seconds=95, notes="Asked about the invoice.",
        outcome="answered",
    )  # fmt: skip
    case = logged.case
    assert (case.channel, case.customer, case.assignee, case.team.name) == ("phone", customer, agent, "Support")
    assert case.subject == "Inbound call from +46 70 123 45 67"
    call = Call.objects.get()
    assert (call.case, call.number, call.duration_seconds, call.direction, call.outcome) == (
        case,
        "+46701234567",
        95,
        "in",
        "answered",
    )
    assert CaseEvent.objects.filter(case=case, kind="call").get().data["call"] == call.pk
    assert logged.kept == []


def test_an_agents_notes_of_a_call_say_nothing_of_the_customers_language(agent, now):
    """A Finnish number, notes in English: the case is Finnish (the number's country), the customer is not set to
    English, and the notes are not marked as written in a language."""
    logged = services.call_log(
        agent=agent, direction="in", number="+358 40 123 4567", outcome="answered",
        notes="The customer asked why the November invoice is higher than usual and wants a call back.",
    )  # fmt: skip
    case = logged.case
    assert (case.language, case.customer.language, case.messages.get().language) == ("fi", "fi", "")


def test_an_answered_outbound_call_keeps_the_pending_callback(booked, agent):
    with clock.at(at(10, 40)):
        logged = services.call_log(
            case=booked.case, agent=agent, direction="out", number="0701234567", outcome="answered"
        )
    assert logged.kept == [booked]
    assert Promise.objects.get().state == PromiseState.KEPT
    booked.refresh_from_db()
    assert (booked.state, booked.attempts) == (CallbackState.REACHED, 1)


def test_an_unanswered_call_keeps_nothing(booked, agent):
    services.call_log(case=booked.case, agent=agent, direction="out", number="0701234567", outcome="no_answer")
    assert Promise.objects.get().state == PromiseState.PENDING


def test_a_call_with_an_invalid_number_stores_nothing(agent, now):
    with pytest.raises(ValidationFailed) as exc:
        services.call_log(agent=agent, direction="in", number="123", outcome="answered")
    assert exc.value.field == "number"
    assert (Case.objects.count(), Call.objects.count(), Customer.objects.count()) == (0, 0, 0)


def test_kept_on_time_per_team(booked, agent, capacity):
    with clock.at(at(10, 35)):
        services.callback_attempt_log(callback=booked, agent=agent, outcome="reached")
    rows = selectors.callbacks_kept_on_time(agent=agent, since=at(8, 0) - timedelta(days=1))
    assert [(r.team_name, r.on_time, r.late, r.broken, r.percent) for r in rows] == [("Support", 1, 0, 0, 100)]


def test_a_retry_is_never_planned_before_the_booked_slot(capacity, customer, agent, now, email_only):
    # given: a callback booked for Tuesday 14:00; the agent tries early, on Monday at 10:05, and gets no answer
    callback = services.callback_book(team=capacity.team, slot_start=at(14, 0, day=24), phone="0701234567")
    with clock.at(at(10, 5)):
        services.callback_attempt_log(callback=callback, agent=agent, outcome="no_answer")
    # then: the next try is the slot the customer booked, not Monday 10:20
    callback.refresh_from_db()
    assert (callback.next_attempt_at, callback.window_end) == (at(14, 0, day=24), at(14, 15, day=24))
    promise = Promise.objects.get()
    assert (promise.state, promise.due_at) == (PromiseState.PENDING, at(14, 15, day=24))
    assert "tisdag 24 november mellan kl. 14:00 och 14:15" in promise.customer_text


def test_a_retry_window_never_runs_past_closing(capacity, customer, agent, now, email_only):
    # given: the last slot of the day; no answer at 16:40, so 15 minutes later would be 16:55-17:10
    callback = services.callback_book(team=capacity.team, slot_start=at(16, 30), phone="0701234567")
    with clock.at(at(16, 40)):
        services.callback_attempt_log(callback=callback, agent=agent, outcome="busy")
    # then: the whole window lies in the team's hours: Tuesday's opening
    callback.refresh_from_db()
    assert (callback.next_attempt_at, callback.window_end) == (at(8, 0, day=24), at(8, 15, day=24))
    assert Promise.objects.get().due_at == at(8, 15, day=24)


def test_a_retry_window_start_fits_the_whole_window_in_open_hours():
    from lofte.promises.business_time import Schedule

    lunch = Schedule.build(
        time_zone="Europe/Stockholm",
        opening_hours={
            day: ([["08:00", "12:00"], ["13:00", "17:00"]] if day not in ("sat", "sun") else [])
            for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        },
    )
    fifteen = timedelta(minutes=15)
    # open for the whole window: as it is
    assert services.retry_window_start(lunch, earliest=at(10, 0), length=fifteen) == at(10, 0)
    # the window would run into lunch: after lunch
    assert services.retry_window_start(lunch, earliest=at(11, 50), length=fifteen) == at(13, 0)
    # closed: the next opening; Friday evening: Monday morning
    assert services.retry_window_start(lunch, earliest=at(12, 30), length=fifteen) == at(13, 0)
    assert services.retry_window_start(lunch, earliest=at(16, 50, day=27), length=fifteen) == at(8, 0, day=30)


def test_a_customer_time_zone_that_is_none_is_read_as_the_calendars(booked, agent):
    Customer.objects.filter(pk=booked.case.customer_id).update(time_zone="Not/AZone")
    booked.case.customer.refresh_from_db()
    with clock.at(at(10, 35)):
        services.callback_attempt_log(callback=booked, agent=agent, outcome="no_answer")
    assert Promise.objects.get().customer_text == (
        "We tried to call you at 10:35 but could not reach you. "
        "We will try again on Monday 23 November between 10:50 and 11:05 from 08-123 456 78."
    )
