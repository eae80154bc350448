"""During an outage, a new contact that text understanding (L11) is sure only asks how things are going, and that
none of the customer's own cases answers, is linked to the active incident and told where to follow it; below the
model's apply threshold it is only a suggestion (the agent links with one click)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import CaseEvent, Direction, Message
from lofte.cases.services import case_promise_make
from lofte.core import clock
from lofte.customers.models import Proof
from lofte.customers.services import Identifier
from lofte.incidents import selectors, services
from lofte.incidents.models import IncidentCase, Severity
from lofte.incidents.tests.conftest import T0
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise
from lofte.triage import predict
from lofte.triage.models import Field, SuggestionState
from lofte.triage.suggest import EVENT_APPLIED, message_triage
from lofte.triage.tests.helpers import install, seed_pairs

pytestmark = pytest.mark.django_db

# none of the incident's words ("bank id", "cannot log in") and no component chosen: only its meaning links it
QUESTION = "Hej, hur går det med mitt ärende? Jag har inte hört något på en vecka."
AT = T0 + timedelta(minutes=5)


@pytest.fixture(autouse=True)
def _fresh_models():  # type: ignore[no-untyped-def]
    predict.forget_all()
    yield
    predict.forget_all()


def _open(lead, bank, title: str = "Online banking is down"):  # type: ignore[no-untyped-def]
    with clock.at(T0):
        return services.incident_open(
            actor=lead,
            title=title,
            severity=Severity.CRITICAL,
            components={bank["login"].pk: "major_outage"},
            match_words="bank id\ncannot log in",
            first_update="Troubleshooting.",
        )


@pytest.fixture
def incident(lead, bank):  # type: ignore[no-untyped-def]
    return _open(lead, bank)


def _status_model(apply_at: float = 0.0):  # type: ignore[no-untyped-def]
    return install(Field.STATUS_QUESTION, seed_pairs(Field.STATUS_QUESTION), apply_at=apply_at)


def _mail(body: str = QUESTION, *, subject: str = "Fråga", thread=None):  # type: ignore[no-untyped-def]
    with clock.at(AT):
        return intake_receive(
            contact=Contact(
                channel="email",
                body=body,
                subject=subject,
                identifiers=[Identifier(kind="email", value="karin@example.se", proof=Proof.MESSAGE)],
                sender="karin@example.se",
                source="email",
                thread=thread,
            )
        )


def _triage(received, *, acknowledged_first: bool = True):  # type: ignore[no-untyped-def]
    with clock.at(AT + timedelta(seconds=30)):
        if acknowledged_first:  # the acknowledgement went before the worker read the message (the usual order)
            acknowledge_new_cases(now=clock.now())
        return message_triage(message_id=received.message.pk, opened=received.outcome == "created", proven=True)


def _texts(case) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.body_text for m in Message.objects.filter(case=case, direction=Direction.OUT).order_by("id")]


def test_a_sure_status_question_is_linked_and_told_where_to_follow_it(incident):
    _status_model(apply_at=0.0)
    received = _mail()
    assert not IncidentCase.objects.exists()  # its words alone matched nothing

    [suggestion] = _triage(received)

    link = IncidentCase.objects.get()
    assert (link.case_id, link.incident_id, link.automatic, link.answered) == (
        received.case.pk,
        incident.pk,
        True,
        True,
    )
    assert (suggestion.state, suggestion.answered) == (SuggestionState.APPLIED, True)
    acknowledgement, told = _texts(received.case)
    assert "Vi känner till problemet" not in acknowledgement
    assert "Vi känner till problemet (Online banking is down)" in told and "/status/" in told
    assert OutboxMessage.objects.filter(to="karin@example.se", automatic=True).count() == 2
    event = CaseEvent.objects.get(case=received.case, kind="incident_linked")
    assert event.data["confidence"] == round(suggestion.confidence, 3)
    # the incident's event says it: no second "answered with the open promise" from text understanding
    assert not CaseEvent.objects.filter(case=received.case, kind=EVENT_APPLIED).exists()
    assert selectors.measures(incident).answered == 1


def test_before_the_acknowledgement_it_says_it_and_nothing_more_is_sent(incident):
    _status_model(apply_at=0.0)
    received = _mail()
    _triage(received, acknowledged_first=False)
    assert _texts(received.case) == []
    acknowledge_new_cases(now=AT + timedelta(minutes=1))
    [acknowledgement] = _texts(received.case)
    assert "Vi känner till problemet (Online banking is down)" in acknowledgement
    assert IncidentCase.objects.get().answered is True


def test_below_the_apply_threshold_it_is_only_a_suggestion(incident):
    _status_model(apply_at=1.01)
    [suggestion] = _triage(_mail())
    assert suggestion.state == SuggestionState.SUGGESTED
    assert not IncidentCase.objects.exists()


def test_with_two_incidents_active_an_agent_sees_which_is_meant(incident, lead, bank):
    _open(lead, bank, title="Card payments fail")
    _status_model(apply_at=0.0)
    [suggestion] = _triage(_mail())
    assert suggestion.state == SuggestionState.SUGGESTED
    assert not IncidentCase.objects.exists()


def test_nothing_is_linked_when_nothing_is_broken(lead, bank):
    _status_model(apply_at=0.0)
    [suggestion] = _triage(_mail())
    assert (suggestion.state, suggestion.answered) == (SuggestionState.SUGGESTED, False)
    assert not IncidentCase.objects.exists()


def test_a_question_about_the_customers_own_case_is_answered_there_not_linked(incident, agent):
    _status_model(apply_at=0.0)
    first = _mail("Jag vill flytta mitt abonnemang till en ny adress.", subject="Flytt")
    with clock.at(AT):
        case_promise_make(
            case=first.case,
            author=agent,
            due_at=AT + timedelta(days=2),
            customer_text="Vi återkommer senast på torsdag.",
        )
    received = _mail(subject="Re: Flytt", thread=first.case)
    [suggestion] = _triage(received)
    assert suggestion.answered is True
    assert f"ditt ärende {first.case.reference}" in _texts(first.case)[-1]  # its own promise
    assert not IncidentCase.objects.exists()


def test_a_reply_on_an_open_case_is_not_linked(incident):
    _status_model(apply_at=0.0)
    first = _mail("Jag vill flytta mitt abonnemang till en ny adress.", subject="Flytt")
    acknowledge_new_cases(now=AT)
    Promise.objects.filter(case=first.case).update(customer_text="")  # nothing the customer holds answers it
    received = _mail(subject="Re: Flytt", thread=first.case)
    assert received.outcome != "created"
    [suggestion] = _triage(received, acknowledged_first=False)
    assert (suggestion.state, suggestion.answered) == (SuggestionState.SUGGESTED, False)
    assert not IncidentCase.objects.exists()


def test_a_case_its_words_linked_already_is_not_told_twice(incident):
    _status_model(apply_at=0.0)
    received = _mail("Hur går det? Jag cannot log in sedan i morse.")
    assert IncidentCase.objects.filter(case=received.case).count() == 1
    _triage(received)
    [acknowledgement] = _texts(received.case)
    assert acknowledgement.count("Vi känner till problemet") == 1
    assert IncidentCase.objects.count() == 1
