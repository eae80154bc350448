"""A case becomes a complaint (case type, agent, customer, detection, API), its deadline is a promise, the register's
fields are checked, and un-flagging is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.models import CaseEvent
from lofte.cases.services import case_transition, case_update
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.complaints import services
from lofte.complaints.models import Category, Complaint, ComplaintSettings, RootCause, Source
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.customers.services import customer_create
from lofte.outbox.models import OutboxMessage
from lofte.promises.calendars import calendar_create
from lofte.promises.models import Promise, PromiseKind, PromiseState, TeamCalendar

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm


@pytest.fixture
def english(db):
    return customer_create(name="Ella English", email="ella@example.com", language="en")


def new_case(customer, team, **kwargs):
    with clock.at(T0):
        return make_case(customer=customer, team=team, **kwargs)


def deadline(complaint: Complaint) -> Promise:
    return Promise.objects.get(subject_type="complaint", subject_id=complaint.pk)


def test_an_agents_flag_makes_a_24_hour_deadline_promise_on_the_case(english, team, agent):
    case = new_case(english, team)
    with clock.at(T0 + timedelta(minutes=30)):
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    assert (complaint.source, complaint.channel, complaint.customer_id) == ("agent", "email", english.pk)
    assert complaint.received_at == T0  # the case arrived then: the clock started with the customer's message
    assert complaint.owner_team_id == team.pk
    promise = deadline(complaint)
    assert (promise.kind, promise.case_id, promise.state) == (PromiseKind.RESOLUTION, case.pk, PromiseState.PENDING)
    assert promise.due_at == T0 + timedelta(hours=24) == complaint.deadline_at
    assert promise.customer_text == (
        "We treat your message as a complaint and will have handled it by Tuesday 17 November 09:00."
    )
    case.refresh_from_db()
    assert case.next_due_at <= promise.due_at
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True).order_by("id"))
    assert kinds[-2:] == ["complaint_flagged", "promise_made"]
    # flagging again changes nothing
    again = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    assert again.pk == complaint.pk
    assert Promise.objects.filter(subject_type="complaint").count() == 1
    assert CaseEvent.objects.filter(case=case, kind="complaint_flagged").count() == 1


def test_a_category_in_business_hours_counts_the_teams_open_time(english, team, agent):
    calendar = calendar_create(name="Office", time_zone="Europe/Stockholm")  # Mon-Fri 08-17
    TeamCalendar.objects.create(team=team, calendar=calendar)
    category = Category.objects.create(name="Billing", deadline_hours=16, deadline_business_hours=True)
    case = new_case(english, team)
    with clock.at(T0):
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        services.complaint_update(complaint=complaint, actor=agent, category=category.pk)
    # the deadline was set when flagged (the default, 24 wall-clock hours); a category chosen later keeps it:
    # a time told to a customer never moves
    assert deadline(complaint).due_at == T0 + timedelta(hours=24)
    # flagged again (its category known): 16 business hours from Monday 09:00 is Tuesday 16:00 in Stockholm
    with clock.at(T0 + timedelta(minutes=5)):
        services.complaint_unflag(complaint=complaint, actor=agent)
        services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    pending = Promise.objects.get(subject_type="complaint", state=PromiseState.PENDING)
    assert pending.due_at == datetime(2026, 11, 17, 15, 0, tzinfo=UTC)
    assert pending.calendar == calendar
    # the settings' default, wall-clock
    other = new_case(english, team, subject="Another")
    ComplaintSettings.objects.update_or_create(pk=1, defaults={"deadline_hours": 16})
    with clock.at(T0):
        services.complaint_flag(case=other, source=Source.AGENT, actor=agent)
    assert deadline(other.complaint).due_at == T0 + timedelta(hours=16)


def test_a_category_with_a_shorter_deadline_chosen_later_brings_it_forward_never_back(english, team, agent, client):
    urgent = Category.objects.create(name="Outage", deadline_hours=4)
    slow = Category.objects.create(name="Other", deadline_hours=72)
    instant = Category.objects.create(name="Instant", deadline_hours=1)
    case = new_case(english, team)
    with clock.at(T0):
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    promise = deadline(complaint)

    # a longer deadline: the 24 hours told stand
    with clock.at(T0 + timedelta(minutes=30)):
        services.complaint_update(complaint=complaint, actor=agent, category=slow.pk)
    promise.refresh_from_db()
    assert promise.due_at == T0 + timedelta(hours=24)
    # a shorter one: 4 hours from when the complaint arrived, the same promise, the customer's sentence with it
    with clock.at(T0 + timedelta(hours=1)):
        complaint = services.complaint_update(complaint=complaint, actor=agent, category=urgent.pk)
    promise.refresh_from_db()
    assert (promise.due_at, promise.state) == (T0 + timedelta(hours=4), PromiseState.PENDING)
    assert Complaint.objects.get(pk=complaint.pk).deadline_at == T0 + timedelta(hours=4)
    assert promise.customer_text.endswith("will have handled it by Monday 16 November 13:00.")
    event = CaseEvent.objects.filter(case=case, kind="complaint_changed").latest("id")
    assert event.data["deadline"] == {
        "from": (T0 + timedelta(hours=24)).isoformat(),
        "to": (T0 + timedelta(hours=4)).isoformat(),
    }
    client.force_login(agent)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "deadline (brought forward by the category)" in page
    # a deadline already past by the new category: the time told stands, never a breach made by a choice
    with clock.at(T0 + timedelta(hours=2)):
        services.complaint_update(complaint=complaint, actor=agent, category=instant.pk)
    promise.refresh_from_db()
    assert promise.due_at == T0 + timedelta(hours=4)
    assert Promise.objects.filter(subject_type="complaint").count() == 1


def test_a_complaint_case_type_makes_a_complaint_at_once_and_when_given_later(english, team, agent):
    complaint_type = CaseTypeFactory(name="Complaint", is_complaint=True)
    case = new_case(english, team, case_type=complaint_type)
    assert Complaint.objects.get(case=case).source == Source.CASE_TYPE
    plain = new_case(english, team, subject="Plain")
    assert not Complaint.objects.filter(case=plain).exists()
    with clock.at(T0 + timedelta(hours=1)):
        case_update(case=plain, actor=agent, case_type=complaint_type)
    assert Complaint.objects.get(case=plain).source == Source.CASE_TYPE


def test_the_acknowledgement_tells_the_deadline(english, team):
    complaint_type = CaseTypeFactory(name="Complaint", is_complaint=True)
    case = new_case(english, team, case_type=complaint_type)
    acknowledge_new_cases(now=T0 + timedelta(seconds=10))
    text = OutboxMessage.objects.get().payload["text"]
    assert deadline(case.complaint).customer_text in text
    assert "will have handled it by Tuesday 17 November 09:00." in text


def test_solving_keeps_the_deadline_and_unflagging_cancels_it(english, team, agent):
    first, second = new_case(english, team), new_case(english, team, subject="Two")
    with clock.at(T0):
        one = services.complaint_flag(case=first, source=Source.AGENT, actor=agent)
        two = services.complaint_flag(case=second, source=Source.AGENT, actor=agent)
    with clock.at(T0 + timedelta(hours=3)):
        case_transition(case=first, actor=agent, status="open")
        case_transition(case=first, actor=agent, status="solved")
        services.complaint_unflag(complaint=two, actor=agent, reason="A question about  the price")
    assert deadline(one).state == PromiseState.KEPT
    assert deadline(two).state == PromiseState.CANCELLED
    two.refresh_from_db()
    assert (two.is_active, two.unflag_reason) == (False, "A question about the price")
    event = CaseEvent.objects.get(case=second, kind="complaint_unflagged")
    assert (event.actor, event.data) == (agent, {"reason": "A question about the price"})


def test_detection_never_overrules_an_agents_not_a_complaint(english, team, agent):
    case = new_case(english, team)
    complaint = services.complaint_flag(case=case, source=Source.DETECTION)
    services.complaint_unflag(complaint=complaint, actor=agent)
    again = services.complaint_flag(case=case, source=Source.DETECTION)
    assert again.is_active is False
    assert Promise.objects.filter(subject_type="complaint", state=PromiseState.PENDING).count() == 0
    # an agent can flag it again: a new deadline
    with clock.at(T0 + timedelta(hours=2)):
        flagged = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    assert (flagged.pk, flagged.is_active, flagged.source) == (complaint.pk, True, "agent")
    assert Promise.objects.filter(subject_type="complaint", state=PromiseState.PENDING).count() == 1


def test_flagged_after_its_deadline_is_due_at_once(english, team, agent):
    case = new_case(english, team)
    with clock.at(T0 + timedelta(days=2)):
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    assert deadline(complaint).due_at == T0 + timedelta(days=2, minutes=1)


def test_detection_mode_follows_the_settings():
    assert services.detection_flags(applied=True) is True
    assert services.detection_flags(applied=False) is False
    ComplaintSettings.objects.create(pk=1, detection="suggested")
    assert services.detection_flags(applied=False) is True
    ComplaintSettings.objects.filter(pk=1).update(detection="off")
    assert services.detection_flags(applied=True) is False


def test_a_qa_reviewer_cannot_flag_or_change_and_nothing_changes(english, team, agent):
    reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
    case = new_case(english, team)
    with pytest.raises(PermissionDenied):
        services.complaint_flag(case=case, source=Source.AGENT, actor=reviewer)
    assert not Complaint.objects.exists()
    complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    with pytest.raises(PermissionDenied):
        services.complaint_update(complaint=complaint, actor=reviewer, severity="high")
    with pytest.raises(PermissionDenied):
        services.complaint_unflag(complaint=complaint, actor=reviewer)
    complaint.refresh_from_db()
    assert (complaint.severity, complaint.is_active) == ("medium", True)


def test_register_fields_are_checked_before_anything_is_written(english, team, agent):
    billing = Category.objects.create(name="Billing")
    wrong_amount = Category.objects.create(name="Wrong amount", parent=billing)
    delivery = Category.objects.create(name="Delivery")
    late = Category.objects.create(name="Late", parent=delivery)
    cause = RootCause.objects.create(name="Price list not updated")
    case = new_case(english, team)
    complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
    bad = [
        ({"category": wrong_amount.pk}, "category"),  # a sub-category is not a main category
        ({"category": billing.pk, "subcategory": late.pk}, "subcategory"),
        ({"severity": "enormous"}, "severity"),
        ({"outcome": "upheld"}, "outcome_reason"),  # an outcome needs the reason given to the customer
        ({"root_cause": 999999}, "root_cause"),
        ({"owner_agent": 999999}, "owner_agent"),
        ({"product": "x" * 201}, "product"),
        ({"category": "abc"}, "category"),
    ]
    for values, field in bad:
        with pytest.raises(ValidationFailed) as caught:
            services.complaint_update(complaint=complaint, actor=agent, **{"severity": "high", **values})
        assert caught.value.field == field, values
    complaint.refresh_from_db()
    assert (complaint.severity, complaint.category_id) == ("medium", None)
    done = services.complaint_update(
        complaint=complaint,
        actor=agent,
        category=billing.pk,
        subcategory=wrong_amount.pk,
        severity="high",
        product="Invoice",
        root_cause=cause.pk,
        outcome="partly_upheld",
        outcome_reason="We refund the fee, not the whole invoice.",
    )
    assert (done.category, done.subcategory, done.root_cause, done.outcome) == (
        billing,
        wrong_amount,
        cause,
        "partly_upheld",
    )
    event = CaseEvent.objects.get(case=case, kind="complaint_changed")
    assert event.data["category"] == {"from": None, "to": "Billing"}
    assert event.data["severity"] == {"from": "medium", "to": "high"}
    # another category clears the sub-category that belonged to the old one
    services.complaint_update(complaint=done, actor=agent, category=delivery.pk)
    done.refresh_from_db()
    assert (done.category, done.subcategory) == (delivery, None)


def test_unflagged_complaints_cannot_be_changed(english, team, agent):
    complaint = services.complaint_flag(case=new_case(english, team), source=Source.AGENT, actor=agent)
    services.complaint_unflag(complaint=complaint, actor=agent)
    with pytest.raises(ValidationFailed):
        services.complaint_update(complaint=complaint, actor=agent, severity="high")


def test_the_complaints_team_owns_new_complaints(english, team, agent):
    complaints_team = TeamFactory(name="Complaints")
    ComplaintSettings.objects.create(pk=1, owner_team=complaints_team)
    complaint = services.complaint_flag(case=new_case(english, team), source=Source.AGENT, actor=agent)
    assert complaint.owner_team == complaints_team
    assert deadline(complaint).owner_team_id == complaints_team.pk


def test_an_unknown_source_is_refused(english, team):
    with pytest.raises(ValidationFailed):
        services.complaint_flag(case=new_case(english, team), source="rumour")
    assert not Complaint.objects.exists()
