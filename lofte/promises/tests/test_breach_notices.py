"""Breach notices, the honest message after a broken promise: one bad row never stops the others and is
reported; a customer is never told two times at once; the new time falls in the team's hours.

The clock: Monday 16 November 2026, 09:00 in Stockholm (UTC+1); the office is open Monday to Friday
08:00-17:00; a first response is due in 2 business hours; a breach notice promises an answer within 4."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import Case, CaseEvent, Message
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.customers.models import Customer
from lofte.customers.services import customer_create
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises import calendars
from lofte.promises.calendars import calendar_create, team_calendar_set
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026 given in Stockholm."""
    return datetime(2026, 11, day, hour - 1, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_schedule_cache():  # type: ignore[no-untyped-def]
    calendars.schedule_cache_clear()
    yield
    calendars.schedule_cache_clear()


@pytest.fixture
def office(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    return calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")


@pytest.fixture
def policy(office):  # type: ignore[no-untyped-def]
    return policy_create(
        name="Standard",
        first_response_minutes=120,
        first_response_calendar=office,
        resolution_minutes=3 * 9 * 60,
        resolution_calendar=office,
    )


@pytest.fixture
def invoices(db):  # type: ignore[no-untyped-def]
    return CaseTypeFactory(name="Faktura", breach_notice=True, breach_notice_hours=4)


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    """An admin by being a Django superuser: the access module counts that as an admin, whatever the role."""
    return AgentFactory(email="root@example.com", role=Role.AGENT, is_superuser=True)


def notices(case: Case) -> list[str]:
    return list(Message.objects.filter(case=case, direction="out").order_by("id").values_list("body_text", flat=True))


def snapshot(case: Case) -> tuple:
    """What a breach notice would change on a case (the tick's own broken event aside)."""
    return (
        list(Message.objects.filter(case=case).values_list("pk", flat=True)),
        list(CaseEvent.objects.filter(case=case).exclude(kind="promise_broken").values_list("pk", flat=True)),
        list(Promise.objects.filter(case=case).order_by("id").values_list("pk", "settled_at", "next_escalation_at")),
        OutboxMessage.objects.filter(case_message__case=case).count(),
    )


# --- one bad row never stops the others, and is reported ----------------------------------------------------------


def test_a_customer_with_a_time_zone_that_is_none_still_hears_and_the_admins_are_told(
    policy, invoices, team, admin, caplog
):
    # given: two broken first responses; one customer's stored time zone is no time zone (an old row)
    good = customer_create(name="Karin Kund", email="karin@example.se", language="sv", time_zone="Europe/Helsinki")
    bad = customer_create(name="Bo Bad", email="bo@example.se", language="sv")
    Customer.objects.filter(pk=bad.pk).update(time_zone="Not/AZone")
    with clock.at(MONDAY_9):
        first = make_case(customer=good, team=team, case_type=invoices)
        second = make_case(customer=bad, team=team, case_type=invoices)

    # when: the tick at 12:00, an hour after both were due
    with clock.at(local(16, 12)):
        result = promise_tick.call()

    # then: the tick returns normally and both customers are told, the one with the bad zone in the site's
    assert result == {"reminded": 0, "broken": 2, "escalated": 0, "notices": 2}
    sorry = "Vi har inte lyckats svara inom den tid vi lovade, och det beklagar vi. Du hör av oss senast "
    assert notices(first) == [sorry + "måndag 16 november 17:00."]  # 16:00 in Stockholm, 17:00 in Helsinki
    assert notices(second) == [sorry + "måndag 16 november 16:00."]
    # and the admins are told which customer to correct
    report = Notification.objects.get(kind="breach_notice_time_zone")
    assert report.agent == admin
    assert report.url == f"/cases/{second.reference}/"
    assert report.text == (
        f"The customer of {second.reference} has a time zone Lofte does not know (Not/AZone): the breach notice "
        "told the time in Europe/Stockholm. Correct the customer's time zone."
    )


def test_a_notice_that_fails_is_reported_and_the_other_cases_are_told(policy, invoices, team, admin, office, caplog):
    # given: two broken first responses; the second's calendar has a stored time zone that is none (an old row),
    # so its new time cannot be computed
    broken_calendar = calendar_create(name="Gammal", time_zone="Europe/Stockholm")
    policy_create(name="Webb", channel="web", first_response_minutes=120, first_response_calendar=broken_calendar)
    with clock.at(MONDAY_9):
        good = make_case(team=team, case_type=invoices, channel="email")
        bad = make_case(team=team, case_type=invoices, channel="web")
    BusinessCalendar.objects.filter(pk=broken_calendar.pk).update(time_zone="Not/AZone")
    before = snapshot(bad)

    # when
    with clock.at(local(16, 12)), caplog.at_level(logging.ERROR, logger="lofte.cases.breaches"):
        result = promise_tick.call()

    # then: the tick returns normally; the good case is told, the bad one is reported and left as it was
    assert result == {"reminded": 0, "broken": 2, "escalated": 0, "notices": 1}
    assert len(notices(good)) == 1
    assert Promise.objects.filter(case=good, state=PromiseState.PENDING, renewal_of__isnull=False).count() == 1
    assert snapshot(bad)[:2] == before[:2] and snapshot(bad)[3] == before[3]  # no message, event or email
    assert CaseEvent.objects.filter(case=bad, kind="promise_broken").count() == 1
    broken = Promise.objects.get(case=bad, kind=PromiseKind.FIRST_RESPONSE)
    assert (broken.state, broken.settled_at) == (PromiseState.BROKEN, None)  # still owed, on the board
    assert not Promise.objects.filter(case=bad, renewal_of__isnull=False).exists()
    report = Notification.objects.get(kind="breach_notice_failed")
    assert report.agent == admin
    assert report.url == f"/cases/{bad.reference}/"
    assert report.text == (
        f"Could not send the breach notice for {bad.reference}: 'Not/AZone' is not a known time zone."
    )
    assert f"Could not send the breach notice for {bad.reference}" in caplog.text


# --- a customer is never told two times at once -------------------------------------------------------------------


def test_one_notice_per_case_renews_every_broken_promise_to_one_time_and_no_second_while_it_is_pending(
    office, invoices, team, agent, customer
):
    # given: a first response due 11:00 and a resolution due 11:30, both broken in the same tick
    policy_create(
        name="Snabb",
        first_response_minutes=120,
        first_response_calendar=office,
        resolution_minutes=150,
        resolution_calendar=office,
    )
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, case_type=invoices)

    # when: the tick at 12:00
    with clock.at(local(16, 12)):
        assert promise_tick.call() == {"reminded": 0, "broken": 2, "escalated": 0, "notices": 1}

    # then: one notice, one new time (16:00), both renewed to it and both broken ones settled
    assert notices(case) == [
        "Vi har inte lyckats svara inom den tid vi lovade, och det beklagar vi. "
        "Du hör av oss senast måndag 16 november 16:00."
    ]
    renewed = list(
        Promise.objects.filter(case=case, renewal_of__isnull=False)
        .order_by("kind")
        .values_list("kind", "state", "due_at", "origin", "renewal_of__kind")
    )
    assert renewed == [
        ("first_response", "pending", local(16, 16), "system", "first_response"),
        ("resolution", "pending", local(16, 16), "system", "resolution"),
    ]
    assert set(Promise.objects.filter(case=case, state=PromiseState.BROKEN).values_list("settled_at", flat=True)) == {
        local(16, 12)
    }
    case.refresh_from_db()
    assert case.next_due_at == local(16, 16)

    # given: the agent promised something by 13:00, which breaks while the renewed time is pending
    with clock.at(local(16, 12, 10)):
        services.case_promise_make(case=case, author=agent, due_at=local(16, 13), customer_text="I will call you.")
    with clock.at(local(16, 13, 30)):
        result = promise_tick.call()
    # then: no second notice (the customer holds 16:00); the broken follow-up stays owed
    assert (result["broken"], result["notices"]) == (1, 0)
    assert len(notices(case)) == 1
    follow_up = Promise.objects.get(case=case, kind=PromiseKind.FOLLOW_UP)
    assert (follow_up.state, follow_up.settled_at) == (PromiseState.BROKEN, None)
    case.refresh_from_db()
    assert case.next_due_at == local(16, 13)  # the broken follow-up, shown as broken

    # when: the renewed time passes too
    with clock.at(local(16, 16, 30)):
        result = promise_tick.call()
    # then: one new notice renews everything still owed (the two renewed promises and the follow-up) to one
    # new time: 4 business hours after 16:30 is Tuesday 11:30
    assert (result["broken"], result["notices"]) == (2, 1)
    assert len(notices(case)) == 2
    assert notices(case)[-1].endswith("tisdag 17 november 11:30.")
    pending = list(Promise.objects.filter(case=case, state=PromiseState.PENDING).values_list("kind", "due_at"))
    assert sorted(pending) == [
        ("first_response", local(17, 11, 30)),
        ("follow_up", local(17, 11, 30)),
        ("resolution", local(17, 11, 30)),
    ]
    assert not Promise.objects.filter(case=case, state=PromiseState.BROKEN, settled_at__isnull=True).exists()


# --- the new time falls in the team's hours -----------------------------------------------------------------------


@pytest.fixture
def always(db) -> BusinessCalendar:  # type: ignore[no-untyped-def]
    return calendar_create(name="Dygnet runt", time_zone="Europe/Stockholm", always_open=True)


def test_a_notices_new_time_on_wall_clock_falls_in_the_teams_hours(always, office, invoices, team, customer):
    # given: a complaint SLA on a 24/7 calendar; the team works weekdays
    team_calendar_set(team=team, calendar=office)
    policy_create(name="Reklamation", first_response_minutes=60, first_response_calendar=always)
    with clock.at(local(20, 15)):  # Friday 15:00
        case = make_case(customer=customer, team=team, case_type=invoices)
    # when: broken at 16:00; 4 hours of wall-clock time later is Friday 20:00
    with clock.at(local(20, 16, 1)):
        assert promise_tick.call()["notices"] == 1
    # then: the customer is told Monday 08:00, and that is the promise
    renewed = Promise.objects.get(case=case, state=PromiseState.PENDING, kind=PromiseKind.FIRST_RESPONSE)
    assert renewed.due_at == local(23, 8)
    assert notices(case)[0].endswith("måndag 23 november 08:00.")
    assert renewed.customer_text == notices(case)[0]


def test_a_wall_clock_policys_notice_keeps_its_time(always, office, invoices, team, customer):
    team_calendar_set(team=team, calendar=office)
    policy_create(name="Drift", first_response_minutes=60, first_response_calendar=always, wall_clock=True)
    with clock.at(local(20, 15)):
        case = make_case(customer=customer, team=team, case_type=invoices)
    with clock.at(local(20, 16, 1)):
        promise_tick.call()
    renewed = Promise.objects.get(case=case, state=PromiseState.PENDING, kind=PromiseKind.FIRST_RESPONSE)
    assert renewed.due_at == local(20, 20, 1)
