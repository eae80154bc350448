"""The promise engine through the case services: policies make promises, domain events keep them, the tick
reminds, breaks and escalates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import CaseEvent, Status
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.calendars import calendar_create
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create, policy_update
from lofte.promises.services import policy_for_case, promises_tick
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

# Monday 16 November 2026, 09:00 in Stockholm (UTC+1)
MONDAY_9 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


@pytest.fixture
def office(db):
    return calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")


@pytest.fixture
def policy(office):
    return policy_create(
        name="Standard",
        first_response_minutes=120,
        first_response_calendar=office,
        next_update_minutes=8 * 60,
        next_update_calendar=office,
        resolution_minutes=3 * 9 * 60,
        resolution_calendar=office,
    )


def pending(case, kind):
    return Promise.objects.get(case=case, kind=kind, state=PromiseState.PENDING)


def kinds_of_events(case):
    return list(case.events.filter(kind__startswith="promise_").order_by("id").values_list("kind", "data__kind"))


class TestPolicies:
    def test_most_specific_policy_wins_then_order(self, policy, customer, team, office):
        email = policy_create(name="Email", channel="email", first_response_minutes=60, order=5)
        email_team = policy_create(name="Email support", channel="email", team=team, first_response_minutes=30, order=9)
        second = policy_create(name="Email support 2", channel="email", team=team, first_response_minutes=20, order=10)
        case = make_case(customer=customer, team=team, channel="email")
        assert policy_for_case(case) == email_team
        web = make_case(customer=customer, team=team, channel="web")
        assert policy_for_case(web) == policy
        policy_update(policy=email_team, is_active=False)
        assert policy_for_case(case) == second
        policy_update(policy=second, is_active=False)
        assert policy_for_case(case) == email

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"first_response_minutes": 0}, "first_response_minutes"),
            ({"resolution_minutes": -5}, "resolution_minutes"),
            ({}, "first_response_minutes"),
            ({"channel": "fax", "first_response_minutes": 5}, "channel"),
            ({"tier": "D", "first_response_minutes": 5}, "tier"),
            ({"priority": 9, "first_response_minutes": 5}, "priority"),
            ({"pause_statuses": ["solved"], "first_response_minutes": 5}, "pause_statuses"),
        ],
    )
    def test_bad_policies_are_refused_naming_the_field(self, values, field):
        with pytest.raises(ValidationFailed) as err:
            policy_create(name="Bad", **values)
        assert err.value.field == field
        assert not Promise.objects.exists()

    def test_inactive_case_type_can_never_match(self):
        with pytest.raises(ValidationFailed) as err:
            policy_create(name="Old", case_type=CaseTypeFactory(is_active=False), first_response_minutes=5)
        assert err.value.field == "case_type"


class TestLifecycle:
    def test_a_new_case_gets_first_response_and_resolution_in_business_time(self, policy, customer, team):
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team)
        first = pending(case, PromiseKind.FIRST_RESPONSE)
        resolution = pending(case, PromiseKind.RESOLUTION)
        assert first.due_at == MONDAY_9 + timedelta(hours=2)  # 11:00 Stockholm
        assert resolution.due_at == datetime(2026, 11, 19, 8, 0, tzinfo=UTC)  # 27 business hours: Thu 09:00
        assert (first.origin, first.owner_team, first.customer_text) == ("policy", team, "")
        case.refresh_from_db()
        assert case.next_due_at == first.due_at
        assert kinds_of_events(case) == [("promise_made", "first_response"), ("promise_made", "resolution")]

    def test_reply_keeps_first_response_and_makes_the_next_update(self, policy, customer, team, agent):
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team)
        with clock.at(MONDAY_9 + timedelta(minutes=30)):
            services.case_reply(case=case, author=agent, body="Vi tittar på det.")
        first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
        assert (first.state, first.kept_at) == (PromiseState.KEPT, MONDAY_9 + timedelta(minutes=30))
        update = pending(case, PromiseKind.NEXT_UPDATE)
        assert update.due_at == datetime(2026, 11, 17, 7, 30, tzinfo=UTC)  # 8 business hours: Tue 08:30
        with clock.at(MONDAY_9 + timedelta(hours=3)):
            services.case_reply(case=case, author=agent, body="Uppdatering.")
        update.refresh_from_db()
        assert update.state == PromiseState.KEPT
        assert Promise.objects.filter(case=case, kind=PromiseKind.NEXT_UPDATE, state=PromiseState.PENDING).count() == 1
        case.refresh_from_db()
        assert case.next_due_at == pending(case, PromiseKind.NEXT_UPDATE).due_at

    def test_waiting_on_customer_pauses_and_their_reply_resumes_with_what_remained(self, policy, customer, team, agent):
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team)
        with clock.at(MONDAY_9 + timedelta(hours=1)):
            services.case_reply(case=case, author=agent, body="Fakturanummer?", status=Status.WAITING_ON_CUSTOMER)
        resolution = pending(case, PromiseKind.RESOLUTION)
        assert resolution.paused_at == MONDAY_9 + timedelta(hours=1)
        assert resolution.remaining == timedelta(hours=26)
        case.refresh_from_db()
        assert case.next_due_at is None  # nothing runs while we wait for the customer
        # the customer answers the next morning at 10:00 Stockholm
        tuesday_10 = datetime(2026, 11, 17, 9, 0, tzinfo=UTC)
        with clock.at(tuesday_10):
            services.case_add_inbound(case=case, body="Nr 123", channel="email")
        resolution.refresh_from_db()
        assert resolution.paused_at is None
        assert resolution.due_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 26 h from Tue 10:00 = Fri 09:00
        case.refresh_from_db()
        assert case.status == Status.OPEN
        assert ("promise_resumed", "resolution") in kinds_of_events(case)

    def test_third_party_wait_does_not_pause(self, policy, customer, team, agent):
        case = make_case(customer=customer, team=team)
        services.case_transition(case=case, actor=agent, status=Status.WAITING_ON_THIRD_PARTY)
        assert pending(case, PromiseKind.RESOLUTION).paused_at is None

    def test_solving_keeps_resolution_and_closing_cancels(self, policy, customer, team, agent):
        case = make_case(customer=customer, team=team)
        services.case_reply(case=case, author=agent, body="Klart!", status=Status.SOLVED)
        assert Promise.objects.get(case=case, kind=PromiseKind.RESOLUTION).state == PromiseState.KEPT
        assert not Promise.objects.filter(case=case, state=PromiseState.PENDING).exists()
        other = make_case(customer=customer, team=team)
        services.case_transition(case=other, actor=agent, status=Status.CLOSED)
        states = set(Promise.objects.filter(case=other).values_list("state", "cancel_reason"))
        assert states == {(PromiseState.CANCELLED, "case closed")}

    def test_changing_a_policy_never_moves_a_promise_already_made(self, policy, customer, team):
        case = make_case(customer=customer, team=team)
        due = pending(case, PromiseKind.FIRST_RESPONSE).due_at
        policy_update(policy=policy, first_response_minutes=5)
        assert pending(case, PromiseKind.FIRST_RESPONSE).due_at == due
        assert pending(make_case(customer=customer, team=team), PromiseKind.FIRST_RESPONSE).due_at < due


class TestAgentPromises:
    def test_agent_promises_a_follow_up_by_a_time(self, case, agent):
        with clock.at(MONDAY_9):
            promise = services.case_promise_make(
                case=case, author=agent, due_at=MONDAY_9 + timedelta(days=3), customer_text="Jag hör av mig på torsdag."
            )
        assert (promise.kind, promise.origin, promise.owner_agent, promise.customer_text) == (
            "follow_up",
            "agent",
            agent,
            "Jag hör av mig på torsdag.",
        )
        case.refresh_from_db()
        assert case.next_due_at == MONDAY_9 + timedelta(days=3)

    def test_a_promise_in_the_past_is_refused(self, case, agent):
        with pytest.raises(ValidationFailed) as err:
            services.case_promise_make(case=case, author=agent, due_at=clock.now() - timedelta(minutes=1))
        assert err.value.field == "due_at"
        assert not Promise.objects.exists()

    def test_reply_with_a_follow_up_tells_the_customer_in_their_language(self, case, agent):
        with clock.at(MONDAY_9):
            message = services.case_reply(
                case=case,
                author=agent,
                body="Hej Karin!",
                follow_up_at=datetime(2026, 11, 19, 13, 0, tzinfo=UTC),
                follow_up_text="Jag återkommer senast torsdag 19 november 14:00.",
            )
        assert message.body_text == "Hej Karin!\n\nJag återkommer senast torsdag 19 november 14:00."
        promise = pending(case, PromiseKind.FOLLOW_UP)
        assert promise.customer_text == "Jag återkommer senast torsdag 19 november 14:00."


class TestTick:
    def test_reminds_then_breaks_then_escalates_once_each(self, policy, customer, team, agent):
        lead = AgentFactory(role=Role.TEAM_LEAD, teams=[team], email="lead@example.com")
        admin = AgentFactory(role=Role.ADMIN, email="boss@example.com")
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team, assignee=agent)
        first = pending(case, PromiseKind.FIRST_RESPONSE)  # due 11:00, reminder 20 % before: 10:36
        assert first.remind_at == MONDAY_9 + timedelta(minutes=96)
        with clock.at(MONDAY_9 + timedelta(minutes=100)):
            promise_tick.call()
            promise_tick.call()  # a second tick at once does nothing more
        reminders = Notification.objects.filter(kind="promise_reminder")
        assert [(n.agent, n.url) for n in reminders] == [(agent, f"/cases/{case.reference}/")]
        assert OutboxMessage.objects.filter(to=agent.email).count() == 1

        with clock.at(MONDAY_9 + timedelta(hours=2, minutes=1)):
            result = promises_tick(now=clock.now())
        first.refresh_from_db()
        assert result.broken == [first.pk]
        assert (first.state, first.escalation_level) == (PromiseState.BROKEN, 1)
        assert Notification.objects.filter(kind="promise_broken").get().agent == agent

        with clock.at(MONDAY_9 + timedelta(hours=2, minutes=40)):
            promises_tick(now=clock.now())
        with clock.at(MONDAY_9 + timedelta(hours=3, minutes=20)):
            promises_tick(now=clock.now())
            promises_tick(now=clock.now())
        escalated = list(
            Notification.objects.filter(kind="promise_escalated").order_by("id").values_list("agent", flat=True)
        )
        assert escalated == [lead.pk, admin.pk]
        first.refresh_from_db()
        assert (first.escalation_level, first.next_escalation_at) == (3, None)

    def test_breach_goes_on_the_timeline_and_stays_the_next_due_time_until_settled(self, policy, customer, team, agent):
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team)
        with clock.at(MONDAY_9 + timedelta(hours=3)):
            # no reminder for a promise already due: the breach goes out instead
            assert promise_tick.call() == {"reminded": 0, "broken": 1, "escalated": 0, "notices": 0}
        assert CaseEvent.objects.filter(case=case, kind="promise_broken").count() == 1
        first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
        case.refresh_from_db()
        assert case.next_due_at == first.due_at  # the broken promise, still owed
        with clock.at(MONDAY_9 + timedelta(hours=4)):
            services.case_reply(case=case, author=agent, body="Here is the answer.")
        first.refresh_from_db()
        assert (first.state, first.settled_at, first.next_escalation_at) == (
            PromiseState.BROKEN,
            MONDAY_9 + timedelta(hours=4),
            None,
        )
        case.refresh_from_db()
        assert case.next_due_at == min(
            pending(case, PromiseKind.RESOLUTION).due_at, pending(case, PromiseKind.NEXT_UPDATE).due_at
        )

    def test_a_paused_promise_is_neither_reminded_nor_broken(self, policy, customer, team, agent):
        with clock.at(MONDAY_9):
            case = make_case(customer=customer, team=team)
            services.case_reply(case=case, author=agent, body="?", status=Status.WAITING_ON_CUSTOMER)
        with clock.at(MONDAY_9 + timedelta(days=30)):
            result = promises_tick(now=clock.now())
        assert (result.reminded, result.broken) == ([], [])

    def test_tick_cost_does_not_grow_with_pending_promises_that_are_not_due(self, policy, customer, team):
        def count() -> int:
            with CaptureQueriesContext(connection) as ctx, clock.at(MONDAY_9 + timedelta(minutes=1)):
                promises_tick(now=clock.now())
            return len(ctx.captured_queries)

        with clock.at(MONDAY_9):
            for _ in range(3):
                make_case(customer=customer, team=team)
        few = count()
        with clock.at(MONDAY_9):
            for _ in range(30):
                make_case(customer=customer, team=team)
        assert count() == few


def test_an_honest_message_with_a_new_time_follows_a_broken_promise(policy, customer, team):
    case_type = CaseTypeFactory(name="Faktura", breach_notice=True, breach_notice_hours=4)
    with clock.at(MONDAY_9):
        case = make_case(customer=customer, team=team, case_type=case_type)
    with clock.at(MONDAY_9 + timedelta(hours=3)):  # first response was due 11:00; now 12:00 Stockholm
        assert promise_tick.call()["notices"] == 1
    notice = case.messages.get(direction="out")
    assert notice.author is None
    assert notice.recipients == ["karin@example.se"]
    assert notice.body_text == (
        "Vi har inte lyckats svara inom den tid vi lovade, och det beklagar vi. "
        "Du hör av oss senast måndag 16 november 16:00."
    )
    renewed = pending(case, PromiseKind.FIRST_RESPONSE)
    assert (renewed.origin, renewed.due_at, renewed.customer_text) == (
        "system",
        datetime(2026, 11, 16, 15, 0, tzinfo=UTC),
        notice.body_text,
    )
    assert OutboxMessage.objects.filter(to="karin@example.se").count() == 1
    # nobody wrote it: it goes out marked automatic (Auto-Submitted), under the hourly loop limit
    assert notice.outbox_message.automatic is True
    assert notice.outbox_message.payload["automatic"] is True
    with clock.at(MONDAY_9 + timedelta(hours=3, minutes=1)):
        assert promise_tick.call()["notices"] == 0  # told once


def test_no_honest_message_beyond_the_hourly_limit_of_automatic_mail(policy, customer, team, settings):
    settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR = 1
    case_type = CaseTypeFactory(name="Faktura", breach_notice=True, breach_notice_hours=4)
    with clock.at(MONDAY_9):
        first = make_case(customer=customer, team=team, case_type=case_type)
        second = make_case(customer=customer, team=team, case_type=case_type)
    with clock.at(MONDAY_9 + timedelta(hours=3)):
        assert promise_tick.call()["notices"] == 1
    told = [c for c in (first, second) if c.messages.filter(direction="out").exists()]
    assert len(told) == 1
    assert OutboxMessage.objects.filter(to="karin@example.se", automatic=True).count() == 1
