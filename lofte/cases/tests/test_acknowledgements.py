"""Every new case on an answerable channel is acknowledged once, with a predicted time that becomes its promise."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

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
