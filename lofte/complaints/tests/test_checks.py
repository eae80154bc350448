"""The temperature check: scheduled when a complaint's case is solved, sent N days later on the customer's channel
with a signed single-use link; "no" reopens (or opens a linked follow-up), "yes" closes the loop, silence is
recorded; altered, used and expired links record nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent
from lofte.cases.services import case_transition
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.complaints import checks, services
from lofte.complaints.models import Category, CheckState, Complaint, ComplaintSettings, Source, TemperatureCheck
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.services import customer_create
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm


@pytest.fixture
def lead(team):
    return AgentFactory(role=Role.TEAM_LEAD, teams=[team], name="Lena Lead")


@pytest.fixture
def solved(team, agent, lead) -> Complaint:
    customer = customer_create(name="Ella English", email="ella@example.com", language="en")
    with clock.at(T0):
        case = make_case(customer=customer, team=team, sender="ella@example.com")
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        case_transition(case=case, actor=agent, status="open")
        case_transition(case=case, actor=agent, status="solved")
    return complaint


@pytest.fixture
def day15():
    """The rest of the test happens on day 15 (the check went out on day 14)."""
    with clock.at(T0 + timedelta(days=15)) as moment:
        yield moment


def run(at: datetime) -> dict[str, int]:
    with clock.at(at):
        return checks.checks_run(now=at)


def sent_check(complaint: Complaint) -> TemperatureCheck:
    run(T0 + timedelta(minutes=1))
    run(T0 + timedelta(days=14, minutes=1))
    return TemperatureCheck.objects.get(complaint=complaint)


def test_a_solved_complaint_is_asked_14_days_later_and_the_sending_keeps_its_promise(solved):
    assert run(T0 + timedelta(minutes=1))["scheduled"] == 1
    assert run(T0 + timedelta(minutes=2))["scheduled"] == 0  # once per solving
    check = TemperatureCheck.objects.get()
    assert (check.state, check.due_at) == (CheckState.SCHEDULED, T0 + timedelta(days=14))
    promise = Promise.objects.get(kind=PromiseKind.TEMPERATURE_CHECK)
    assert (promise.case_id, promise.due_at) == (solved.case_id, T0 + timedelta(days=14, hours=1))
    assert run(T0 + timedelta(days=13))["sent"] == 0
    OutboxMessage.objects.all().delete()
    counts = run(T0 + timedelta(days=14, minutes=1))
    assert counts["sent"] == 1
    check.refresh_from_db()
    assert (check.state, check.channel) == (CheckState.SENT, "email")
    assert check.expires_at == T0 + timedelta(days=21, minutes=1)
    [mail] = OutboxMessage.objects.all()
    assert mail.to == "ella@example.com"
    text = mail.payload["text"]
    assert "is the problem still solved?" in text
    assert f"{checks.check_url(check)}?answer=no" in text
    promise.refresh_from_db()
    assert promise.state == PromiseState.KEPT


def test_the_category_sets_the_days(team, agent):
    quick = Category.objects.create(name="Quick", check_after_days=3)
    with clock.at(T0):
        case = make_case(team=team)
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        services.complaint_update(complaint=complaint, actor=agent, category=quick.pk)
        case_transition(case=case, actor=agent, status="solved")
    run(T0 + timedelta(minutes=1))
    assert TemperatureCheck.objects.get().due_at == T0 + timedelta(days=3)


def test_yes_closes_the_loop(solved):
    check = sent_check(solved)
    with clock.at(T0 + timedelta(days=15)):
        answered = checks.check_answer(token=checks.check_token(check), answer="yes", comment="  All good <b>now</b> ")
    check.refresh_from_db()
    assert (check.state, check.comment) == (CheckState.YES, "All good <b>now</b>")  # kept as text, shown escaped
    assert answered.reopened is None
    solved.case.refresh_from_db()
    assert solved.case.status == "solved"
    event = CaseEvent.objects.filter(case=solved.case, kind="temperature_check").last()
    assert event.data == {"what": "yes", "comment": "All good <b>now</b>"}


def test_no_reopens_the_case_with_a_promise_and_tells_the_lead(solved, lead):
    check = sent_check(solved)
    at = T0 + timedelta(days=15)
    with clock.at(at):
        answered = checks.check_answer(token=checks.check_token(check), answer="no", comment="It broke again")
    case = Case.objects.get(pk=solved.case_id)
    assert case.status == "open"
    assert answered.reopened == case
    follow = Promise.objects.get(kind=PromiseKind.FOLLOW_UP, case=case)
    assert (follow.state, follow.due_at) == (PromiseState.PENDING, at + timedelta(hours=24))
    assert follow.customer_text == answered.told
    assert answered.told == (
        f"Thank you for telling us. We have reopened your case {case.reference} and will contact you by "
        "Wednesday 2 December 09:00."
    )
    [note] = Notification.objects.filter(agent=lead)
    assert case.reference in note.text
    # the same link again: refused, nothing recorded
    with clock.at(at), pytest.raises(checks.LinkUsed):
        checks.check_answer(token=checks.check_token(check), answer="yes")
    check.refresh_from_db()
    assert check.state == CheckState.NO


def test_no_on_a_closed_case_opens_a_linked_follow_up_complaint(solved, agent):
    check = sent_check(solved)
    case_transition(case=solved.case, actor=agent, status="closed")
    with clock.at(T0 + timedelta(days=15)):
        answered = checks.check_answer(token=checks.check_token(check), answer="no")
    follow_up = answered.reopened
    assert follow_up is not None and follow_up.pk != solved.case_id
    assert follow_up.follow_up_of_id == solved.case_id
    assert Complaint.objects.get(case=follow_up).source == "customer"
    assert Case.objects.get(pk=solved.case_id).status == "closed"


def test_silence_is_recorded_and_the_link_stops_working(solved):
    check = sent_check(solved)
    assert run(T0 + timedelta(days=21, minutes=2))["expired"] == 1
    check.refresh_from_db()
    assert check.state == CheckState.NO_ANSWER
    with pytest.raises(checks.LinkExpired):
        checks.check_answer(token=checks.check_token(check), answer="no")
    assert not Promise.objects.filter(kind=PromiseKind.FOLLOW_UP).exists()


def test_altered_and_bad_links_record_nothing(solved, day15):
    check = sent_check(solved)
    token = checks.check_token(check)
    for bad in (token[:-2] + "xx", "nonsense", "", token.replace(":", ";")):
        with pytest.raises(checks.LinkInvalid):
            checks.check_answer(token=bad, answer="no")
    with pytest.raises(ValidationFailed):
        checks.check_answer(token=token, answer="maybe")
    with pytest.raises(ValidationFailed):
        checks.check_answer(token=token, answer="no", comment="x" * 2001)
    # an older link of the same check (before it was sent again) does not work either
    old = checks.check_token(check)
    TemperatureCheck.objects.filter(pk=check.pk).update(nonce="another")
    with pytest.raises(checks.LinkInvalid):
        checks.check_answer(token=old, answer="no")
    check.refresh_from_db()
    assert check.state == CheckState.SENT


def test_a_case_reopened_before_the_check_cancels_it(solved, agent):
    run(T0 + timedelta(minutes=1))
    case_transition(case=solved.case, actor=agent, status="open")
    counts = run(T0 + timedelta(days=14, minutes=1))
    assert counts["cancelled"] == 1
    assert TemperatureCheck.objects.get().state == CheckState.CANCELLED
    assert Promise.objects.get(kind=PromiseKind.TEMPERATURE_CHECK).state == PromiseState.CANCELLED


def test_no_address_leaves_the_check_unsent_and_its_promise_breaks(team, agent):
    customer = customer_create(name="No Address", language="en")
    with clock.at(T0):
        case = make_case(customer=customer, team=team, channel="phone")
        services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        case_transition(case=case, actor=agent, status="solved")
    run(T0 + timedelta(minutes=1))
    assert run(T0 + timedelta(days=14, minutes=1))["unsent"] == 1
    assert TemperatureCheck.objects.get().state == CheckState.UNSENT
    from lofte.promises.services import promises_tick

    promises_tick(now=T0 + timedelta(days=14, hours=2))
    assert Promise.objects.get(kind=PromiseKind.TEMPERATURE_CHECK).state == PromiseState.BROKEN


def test_complaints_solved_long_ago_are_not_asked(team, agent):
    ComplaintSettings.objects.create(pk=1, check_after_days=14)
    with clock.at(T0 - timedelta(days=60)):
        case = make_case(team=team)
        services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        case_transition(case=case, actor=agent, status="solved")
    assert run(T0)["scheduled"] == 0
    assert not TemperatureCheck.objects.exists()


def test_the_page_asks_on_get_and_records_on_post(client, solved, day15):
    check = sent_check(solved)
    url = f"/check/{checks.check_token(check)}"
    page = client.get(f"{url}?answer=no")
    assert page.status_code == 200
    assert "Is the problem still solved?" in page.content.decode()
    check.refresh_from_db()
    assert check.state == CheckState.SENT  # a mail scanner opening the link answers nothing
    response = client.post(url, {"answer": "no", "comment": "<script>alert(1)</script>"})
    assert response.status_code == 200
    assert "We have reopened your case" in response.content.decode()
    event = CaseEvent.objects.filter(case=solved.case, kind="temperature_check").last()
    assert event.data["comment"] == "<script>alert(1)</script>"
    again = client.post(url, {"answer": "yes"})
    assert again.status_code == 409 and "already answered" in again.content.decode()
    assert client.get("/check/forged-token").status_code == 404


def test_the_page_speaks_the_customers_language(client, team, agent):
    customer = customer_create(name="Karin", email="karin2@example.se", language="sv")
    with clock.at(T0):
        case = make_case(customer=customer, team=team)
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        case_transition(case=case, actor=agent, status="solved")
    check = sent_check(complaint)
    with clock.at(T0 + timedelta(days=15)):
        page = client.get(f"/check/{checks.check_token(check)}").content.decode()
    assert 'lang="sv"' in page


def test_a_longer_complaint_gets_an_update_promise_each_time_the_last_is_kept(team, agent):
    from lofte.cases.services import case_reply

    slow = Category.objects.create(name="Slow", update_hours=48)
    with clock.at(T0):
        case = make_case(team=team)
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        services.complaint_update(complaint=complaint, actor=agent, category=slow.pk)
    assert run(T0 + timedelta(minutes=1))["updates"] == 1
    assert run(T0 + timedelta(minutes=2))["updates"] == 0  # one at a time
    first = Promise.objects.get(kind=PromiseKind.NEXT_UPDATE, subject_type="complaint")
    assert (first.case_id, first.due_at) == (case.pk, T0 + timedelta(minutes=1, hours=48))
    with clock.at(T0 + timedelta(hours=5)):
        case_reply(case=case, author=agent, body="We are still looking into it.")
    first.refresh_from_db()
    assert first.state == PromiseState.KEPT
    assert run(T0 + timedelta(hours=5, minutes=1))["updates"] == 1
    assert Promise.objects.filter(kind=PromiseKind.NEXT_UPDATE, subject_type="complaint", state="pending").count() == 1
    # solved: no more updates
    with clock.at(T0 + timedelta(hours=6)):
        case_transition(case=case, actor=agent, status="solved")
    assert run(T0 + timedelta(hours=6, minutes=1))["updates"] == 0


def test_a_missed_update_is_told_to_the_customer_with_a_new_time_whatever_the_case_type_says(team, agent):
    from lofte.cases.models import Message
    from lofte.promises.tasks import promise_tick

    slow = Category.objects.create(name="Slow", update_hours=48)
    quiet = CaseTypeFactory(name="Faktura", breach_notice=False)  # the case type asks for no breach notices
    customer = customer_create(name="Karin", email="karin3@example.se", language="en")
    with clock.at(T0):
        case = make_case(customer=customer, team=team, case_type=quiet)
        complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
        services.complaint_update(complaint=complaint, actor=agent, category=slow.pk)
    run(T0 + timedelta(minutes=1))
    update = Promise.objects.get(kind=PromiseKind.NEXT_UPDATE, subject_type="complaint")
    told_before = Message.objects.filter(case=case, direction="out").count()

    late = update.due_at + timedelta(minutes=1)
    with clock.at(late):
        promise_tick.call()

    update.refresh_from_db()
    assert update.state == PromiseState.BROKEN and update.settled_at is not None  # renewed
    out = list(Message.objects.filter(case=case, direction="out").order_by("id"))
    assert len(out) == told_before + 1
    renewed = Promise.objects.get(kind=PromiseKind.NEXT_UPDATE, subject_type="complaint", state=PromiseState.PENDING)
    assert renewed.due_at == late + timedelta(hours=services.BREACH_NOTICE_HOURS)
    assert renewed.customer_text == out[-1].body_text
    assert "Wednesday 18 November" in out[-1].body_text  # the new time, told in the customer's words
    # while the customer holds that time, no second notice and no new update promise
    with clock.at(late + timedelta(minutes=5)):
        promise_tick.call()
    assert run(late + timedelta(minutes=6))["updates"] == 0
    assert Message.objects.filter(case=case, direction="out").count() == told_before + 1


def test_a_case_type_without_notices_still_tells_nothing_for_a_case_that_is_no_complaint(team):
    from lofte.cases.models import Message
    from lofte.promises.policies import policy_create
    from lofte.promises.tasks import promise_tick

    policy_create(name="Standard", first_response_minutes=60)
    quiet = CaseTypeFactory(name="Faktura", breach_notice=False)
    with clock.at(T0):
        case = make_case(team=team, case_type=quiet)
    first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    before = Message.objects.filter(case=case, direction="out").count()

    with clock.at(first.due_at + timedelta(minutes=1)):
        promise_tick.call()

    assert Promise.objects.get(pk=first.pk).state == PromiseState.BROKEN
    assert Message.objects.filter(case=case, direction="out").count() == before
