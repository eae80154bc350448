"""Every new case on an answerable channel is acknowledged once, with a predicted time that becomes its promise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from lofte.cases.acknowledgements import acknowledge_new_cases, preview, template_check
from lofte.cases.models import AcknowledgementTemplate, Case, CaseEvent, EventKind
from lofte.cases.services import case_reply
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.policies import policy_create

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm


@pytest.fixture
def policy():
    return policy_create(name="Standard", first_response_minutes=8 * 60)


def new_case(customer, team, **kwargs) -> Case:
    kwargs.setdefault("channel", "email")
    with clock.at(T0):
        return make_case(customer=customer, team=team, **kwargs)


def first_response(case: Case) -> Promise:
    return Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE, state=PromiseState.PENDING)


def test_a_new_case_is_acknowledged_once_and_its_promise_is_the_time_sent(policy, customer, team):
    case = new_case(customer, team)
    sla_due = first_response(case).due_at
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 1, "skipped": 0}
    row = OutboxMessage.objects.get()
    assert (row.to, row.automatic, row.payload["automatic"]) == ("karin@example.se", True, True)
    text = row.payload["text"]
    assert case.reference in text
    assert "/portal/" in text
    promise = first_response(case)
    assert promise.due_at <= sla_due  # never later than the SLA
    assert promise.customer_text
    assert promise.customer_text in text  # the sentence sent is the promise
    assert promise.eta_basis
    case.refresh_from_db()
    assert case.acknowledged_at == T0 + timedelta(seconds=10)
    assert case.first_response_at is None  # an acknowledgement is not an answer
    event = CaseEvent.objects.get(case=case, kind=EventKind.MESSAGE_OUT)
    assert event.data["acknowledgement"] is True
    # the next run sends nothing more
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=25)) == {"sent": 0, "skipped": 0}
    assert OutboxMessage.objects.count() == 1


def test_the_text_is_in_the_customers_language_from_the_case_types_template(policy, customer, team):
    invoice = CaseTypeFactory(name="Invoice", public_names={"sv": "Faktura", "en": "Invoice"})
    AcknowledgementTemplate.objects.create(
        case_type=invoice, language="sv", body="Hej {customer_name}! Ärende {reference} ({case_type}). {eta}"
    )
    AcknowledgementTemplate.objects.create(case_type=None, language="sv", body="Allmän mall {reference}")
    case = new_case(customer, team, case_type=invoice)
    other = new_case(customer, team)
    acknowledge_new_cases(now=T0 + timedelta(seconds=10))
    texts = {m.case_message.case_id: m.payload["text"] for m in OutboxMessage.objects.select_related("case_message")}
    assert texts[case.pk].startswith(f"Hej Karin Kund! Ärende {case.reference} (Faktura). ")
    assert texts[case.pk].endswith(first_response(case).customer_text)
    assert texts[other.pk] == f"Allmän mall {other.reference}"


@pytest.mark.parametrize("channel", ["phone", "api"])
def test_channels_that_cannot_be_answered_get_nothing(policy, customer, team, channel):
    new_case(customer, team, channel=channel)
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 0, "skipped": 1}
    assert OutboxMessage.objects.count() == 0


def test_a_case_an_agent_already_answered_gets_no_acknowledgement(policy, customer, team, agent):
    case = new_case(customer, team)
    with clock.at(T0 + timedelta(seconds=5)):
        case_reply(case=case, author=agent, body="Hej, vi tittar på det.")
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 0, "skipped": 1}
    assert OutboxMessage.objects.count() == 1  # only the agent's reply


def test_old_cases_are_not_acknowledged_after_an_upgrade(policy, customer, team, settings):
    settings.LOFTE_ACK_WINDOW_MINUTES = 60
    new_case(customer, team)
    assert acknowledge_new_cases(now=T0 + timedelta(hours=2)) == {"sent": 0, "skipped": 0}


def test_over_the_hourly_limit_of_automatic_mail_nothing_is_sent(policy, customer, team, settings):
    settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR = 1
    new_case(customer, team)
    new_case(customer, team)
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 1, "skipped": 1}
    assert OutboxMessage.objects.count() == 1


def test_templates_are_checked_and_previewed():
    assert template_check("Hej {customer_name}, {reference}") == []
    assert template_check("Hej {name}")[0].startswith("{name} is not a placeholder; use {reference}")
    assert "unmatched" in template_check("Hej {reference")[0]
    text = preview(body="{reference}: {eta}", language="en", now=T0)
    assert text.startswith(f"LF-{T0.year}-000123: ")


def test_the_admin_refuses_an_unknown_placeholder_and_shows_a_preview(admin_client):
    response = admin_client.post("/admin/cases/acknowledgementtemplate/add/", {"language": "en", "body": "Hi {nme}"})
    assert response.status_code == 200
    assert "{nme} is not a placeholder" in response.text
    assert AcknowledgementTemplate.objects.count() == 0
    response = admin_client.post(
        "/admin/cases/acknowledgementtemplate/add/", {"language": "en", "body": "Hi {customer_name}, {reference}"}
    )
    assert response.status_code == 302
    template = AcknowledgementTemplate.objects.get()
    page = admin_client.get(f"/admin/cases/acknowledgementtemplate/{template.pk}/change/")
    assert "Hi Karin Lind, LF-" in page.text


def test_a_phone_caller_who_agreed_gets_the_acknowledgement_by_sms(policy, agent, settings):
    from lofte.callbacks.services import call_log

    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    with clock.at(T0):
        logged = call_log(agent=agent, direction="in", number="070-765 43 21", outcome="answered", acknowledge=True)
        silent = call_log(agent=agent, direction="in", number="070-111 22 33", outcome="answered")
    row = OutboxMessage.objects.get()
    assert (row.channel, row.to, row.automatic) == ("sms", "+46707654321", True)
    assert logged.case.reference in row.payload["text"]
    assert first_response(logged.case).customer_text in row.payload["text"]
    # without consent a phone case is never written to; the job skips it
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 0, "skipped": 1}
    assert not OutboxMessage.objects.filter(to="+46701112233").exists()
    assert silent.case.channel == "phone"


# --- every time told is a promise, in the team's hours ------------------------------------------------------------


@pytest.fixture
def weekdays(team):
    """The Support team works Monday to Friday 08:00-17:00 in Stockholm."""
    from lofte.promises.calendars import calendar_create, team_calendar_set

    calendar = calendar_create(name="Vardagar", time_zone="Europe/Stockholm", country="SE")
    team_calendar_set(team=team, calendar=calendar)
    return calendar


@pytest.mark.parametrize("channel", ["email", "web", "sms"])
def test_without_a_policy_the_time_told_is_a_first_response_promise(customer, team, weekdays, settings, channel):
    # given: no SLA policy matches; an SMS case is answered by SMS
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    case = new_case(customer, team, channel=channel)
    assert not Promise.objects.filter(case=case).exists()
    # when
    assert acknowledge_new_cases(now=T0) == {"sent": 1, "skipped": 0}
    # then: the time told is a pending first-response promise due then, in the team's hours, whose text is the
    # sentence sent
    promise = first_response(case)
    text = OutboxMessage.objects.get().payload["text"]
    eight_business_hours = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)  # Monday 09:00 + 8 hours: 17:00 in Stockholm
    assert (promise.due_at, promise.origin, promise.eta_basis) == (eight_business_hours, "system", "default")
    assert (promise.calendar, promise.owner_team, promise.owner_agent, promise.policy) == (weekdays, team, None, None)
    assert promise.customer_text == "Vi återkommer till dig inom 8 timmar."
    assert promise.customer_text in text
    case.refresh_from_db()
    assert case.next_due_at == eight_business_hours
    made = CaseEvent.objects.get(case=case, kind=EventKind.PROMISE_MADE)
    assert (made.data["kind"], made.data["eta"]) == ("first_response", True)


def test_without_a_policy_or_team_hours_the_time_told_is_still_a_promise(customer, team):
    case = new_case(customer, team)
    assert acknowledge_new_cases(now=T0) == {"sent": 1, "skipped": 0}
    promise = first_response(case)
    assert (promise.due_at, promise.calendar, promise.origin) == (T0 + timedelta(hours=8), None, "system")
    assert promise.customer_text in OutboxMessage.objects.get().payload["text"]


def test_a_phone_caller_who_agreed_holds_a_promise_without_a_policy(agent, team, weekdays, settings):
    from lofte.callbacks.services import call_log

    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    with clock.at(T0):
        logged = call_log(agent=agent, direction="in", number="070-765 43 21", outcome="answered", acknowledge=True)
    row = OutboxMessage.objects.get()
    promise = first_response(logged.case)
    assert (promise.origin, promise.calendar, promise.due_at) == (
        "system",
        weekdays,
        datetime(2026, 11, 16, 16, 0, tzinfo=UTC),
    )
    assert promise.customer_text in row.payload["text"]


SATURDAY_10 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)  # Saturday 21 November, 10:00 in Stockholm
MONDAY_8 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def complaints(db):
    """A complaint SLA on a 24/7 calendar: a first response within 18 hours of wall-clock time."""
    from lofte.promises.calendars import calendar_create

    always = calendar_create(name="Dygnet runt", time_zone="Europe/Stockholm", always_open=True)
    return policy_create(
        name="Reklamation",
        first_response_minutes=18 * 60,
        first_response_calendar=always,
        resolution_minutes=3 * 24 * 60,
        resolution_calendar=always,
    )


def test_a_time_told_on_a_24_7_calendar_falls_in_the_teams_hours(customer, team, weekdays, complaints):
    from lofte.promises.eta import eta_text

    # given: a complaint on Saturday 10:00: the SLA is Sunday 04:00 and the prediction (8 hours without
    # figures) Saturday 18:00, both when the team does not work
    with clock.at(SATURDAY_10):
        case = make_case(customer=customer, team=team, channel="email")
    resolution = Promise.objects.get(case=case, kind=PromiseKind.RESOLUTION)
    # when
    acknowledge_new_cases(now=SATURDAY_10)
    # then: the customer is told Monday 08:00, and that is the promise
    promise = first_response(case)
    assert promise.due_at == MONDAY_8
    assert promise.customer_text == eta_text(
        due_at=MONDAY_8, now=SATURDAY_10, language="sv", time_zone="Europe/Stockholm"
    )
    assert "08:00" in promise.customer_text and "23 november" in promise.customer_text
    assert promise.customer_text in OutboxMessage.objects.get().payload["text"]
    # the internal target (nothing told) keeps the policy's own time: Tuesday 10:00
    resolution.refresh_from_db()
    assert resolution.due_at == SATURDAY_10 + timedelta(days=3)
    assert resolution.customer_text == ""


def test_a_wall_clock_policy_tells_the_time_as_computed(customer, team, weekdays, complaints):
    from lofte.promises.policies import policy_update

    policy_update(policy=complaints, wall_clock=True)
    with clock.at(SATURDAY_10):
        case = make_case(customer=customer, team=team, channel="email")
    acknowledge_new_cases(now=SATURDAY_10)
    assert first_response(case).due_at == SATURDAY_10 + timedelta(hours=8)  # Saturday 18:00


# --- a burst is acknowledged in groups ------------------------------------------------------------------------


def burst(team, n: int, start: int = 0) -> list[Case]:
    from lofte.customers.services import customer_create

    return [
        new_case(customer_create(name=f"Kund {i}", email=f"kund{i}@example.se", language="sv"), team)
        for i in range(start, start + n)
    ]


def test_a_burst_costs_a_bounded_number_of_queries_per_case_and_one_wake_per_group(
    policy, team, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lofte.cases.acknowledgements import GROUP, GROUP_DEFAULT

    size = GROUP.get(connection.vendor, GROUP_DEFAULT)
    burst(team, 12)
    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as queries:
        assert acknowledge_new_cases(now=T0 + timedelta(seconds=20)) == {"sent": 12, "skipped": 0}
    # per case only its own work: ETA figures, the hourly limit, the thread, outbox row, message, two events, the
    # promise, the next due time, the case; its savepoints. The case, its customer and addresses, whether it was
    # answered, its first-response promise and the team's hours are read once per group (one case at a time this
    # was 23 queries and a commit per case).
    groups = -(-12 // size)
    assert len(queries) <= 12 * 15 + groups * 8 + 2, [q["sql"][:70] for q in queries.captured_queries]
    # the delivery worker is woken once per commit, not once per case (here every group is a savepoint of the
    # test's own transaction; the test of two workers below counts real commits)
    assert [c.__name__ for c in callbacks].count("_wake_worker") == 1
    assert OutboxMessage.objects.count() == 12
    assert Case.objects.filter(acknowledged_at__isnull=True).count() == 0
    # every case got its own text and its own promise
    for case in Case.objects.all():
        text = OutboxMessage.objects.get(case_message__case=case).payload["text"]
        assert case.reference in text and first_response(case).customer_text in text


def test_a_case_that_fails_is_marked_and_the_rest_of_its_group_is_acknowledged(policy, team, monkeypatch, caplog):
    from lofte.cases import acknowledgements

    cases = burst(team, 3)
    broken = cases[1]
    real = acknowledgements.case_send_automatic

    def send(*, case, **kwargs):  # type: ignore[no-untyped-def]
        message = real(case=case, **kwargs)  # written, then the failure: all of it must be rolled back
        if case.pk == broken.pk:
            raise RuntimeError("the disk is full")
        return message

    monkeypatch.setattr(acknowledgements, "case_send_automatic", send)
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 2, "skipped": 1}
    assert f"Acknowledging case {broken.pk} failed" in caplog.text
    assert sorted(OutboxMessage.objects.values_list("case_message__case", flat=True)) == [
        cases[0].pk,
        cases[2].pk,
    ]
    assert not CaseEvent.objects.filter(case=broken, kind=EventKind.MESSAGE_OUT).exists()
    assert first_response(broken).customer_text == ""  # no time was told, so none is promised
    broken.refresh_from_db()
    assert broken.acknowledged_at == T0 + timedelta(seconds=10)  # marked: never retried forever
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=20)) == {"sent": 0, "skipped": 0}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's IMMEDIATE transactions serialise the workers; on PostgreSQL the claim's row locks must.",
)
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_acknowledge_each_case_exactly_once(policy, team):
    from django_tasks_db.models import DBTaskResult

    from lofte.core.tests.concurrency import run_concurrently

    burst(team, 30)
    counts = run_concurrently(2, lambda: acknowledge_new_cases(now=T0 + timedelta(seconds=10)))
    assert sum(c["sent"] for c in counts) == 30
    assert sum(c["skipped"] for c in counts) == 0
    assert OutboxMessage.objects.count() == 30
    assert OutboxMessage.objects.values("case_message__case").distinct().count() == 30
    # one delivery task per group's commit (30 cases make at most 2 groups per worker), not one per case
    assert 2 <= DBTaskResult.objects.filter(task_path__endswith="deliver_outbox").count() <= 4


def test_a_case_whose_group_cannot_be_read_is_marked_alone_and_the_others_are_acknowledged(
    policy, team, monkeypatch, caplog
):
    from lofte.cases import acknowledgements

    cases = burst(team, 3)
    broken = cases[2]
    real = acknowledgements._claim

    def claim(ids, now):  # type: ignore[no-untyped-def]
        if broken.pk in ids:  # e.g. a row the group's reads cannot load
            raise RuntimeError("cannot read")
        return real(ids, now)

    monkeypatch.setattr(acknowledgements, "_claim", claim)
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=10)) == {"sent": 2, "skipped": 1}
    assert "together failed; one at a time" in caplog.text
    assert f"Acknowledging case {broken.pk} failed" in caplog.text
    assert sorted(OutboxMessage.objects.values_list("case_message__case", flat=True)) == [cases[0].pk, cases[1].pk]
    broken.refresh_from_db()
    assert broken.acknowledged_at == T0 + timedelta(seconds=10)  # marked: the next run does not try it again
    assert acknowledge_new_cases(now=T0 + timedelta(seconds=20)) == {"sent": 0, "skipped": 0}
