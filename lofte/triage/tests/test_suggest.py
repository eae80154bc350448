"""Suggestions on each customer message: applied at or above the threshold (and marked so on the timeline), shown
below it, nothing under the floor; confirmed or corrected by an agent in one click, which becomes a training
example; a status question answered with the promise the customer holds, and only then."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, CaseEvent, CaseType, Direction, Message, Status
from lofte.cases.services import case_promise_make, case_update
from lofte.complaints.models import Complaint, ComplaintSettings
from lofte.core import clock
from lofte.core.choices import Priority
from lofte.customers.models import Proof
from lofte.customers.services import Identifier
from lofte.outbox.models import OutboxMessage
from lofte.routing.models import RoutingSettings
from lofte.triage import predict
from lofte.triage.models import (
    Field,
    FieldSetting,
    Source,
    Suggestion,
    SuggestionState,
    TrainingExample,
)
from lofte.triage.suggest import EVENT_APPLIED, message_triage, suggestion_decide
from lofte.triage.tests.data import INVOICE, LOGIN, MOVING
from lofte.triage.tests.helpers import install, seed_pairs

pytestmark = pytest.mark.django_db

STATUS_QUESTION = "Hej, hur går det med mitt ärende? Jag har inte hört något på en vecka."
INVOICE_QUESTION = "Hej, varför är fakturan för november så mycket högre än vanligt?"


@pytest.fixture(autouse=True)
def _fresh_process():
    predict.forget_all()
    yield
    predict.forget_all()


@pytest.fixture
def case_types(db):
    return {
        "invoice": CaseType.objects.create(name="Invoice"),
        "moving": CaseType.objects.create(name="Moving"),
        "login": CaseType.objects.create(name="Login"),
    }


def type_pairs(case_types):
    return (
        [(t, str(case_types["invoice"].pk)) for t in INVOICE]
        + [(t, str(case_types["moving"].pk)) for t in MOVING]
        + [(t, str(case_types["login"].pk)) for t in LOGIN]
    )


def mail(body: str, *, sender: str = "karin@example.se", subject: str = "", proven: bool = True, **kwargs):
    proof = Proof.MESSAGE if proven else ""
    return intake_receive(
        contact=Contact(
            channel="email",
            body=body,
            subject=subject,
            identifiers=[Identifier(kind="email", value=sender, proof=proof)],
            sender=sender,
            source="email",
            **kwargs,
        )
    )


def triage(received):
    return message_triage(
        message_id=received.message.pk,
        opened=received.outcome == "created",
        proven=True,
    )


# --- applied, suggested, don't know -------------------------------------------------------------------------


def test_a_sure_case_type_is_applied_and_marked_on_the_timeline(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0)
    received = mail(INVOICE_QUESTION, subject="Fakturan")
    made = triage(received)
    case = Case.objects.get(pk=received.case.pk)
    assert case.case_type == case_types["invoice"]
    [suggestion] = made
    assert (suggestion.field, suggestion.state, suggestion.label) == (
        Field.CASE_TYPE,
        SuggestionState.APPLIED,
        str(case_types["invoice"].pk),
    )
    event = CaseEvent.objects.get(case=case, kind=EVENT_APPLIED)
    assert event.data["field"] == "case_type" and event.data["confidence"] == suggestion.confidence
    assert event.actor is None
    # asked again (a retried task): nothing new
    assert message_triage(message_id=received.message.pk, opened=True, proven=True) == []
    assert Suggestion.objects.count() == 1


def test_below_the_threshold_it_is_only_suggested(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    received = mail(INVOICE_QUESTION)
    [suggestion] = triage(received)
    assert suggestion.state == SuggestionState.SUGGESTED
    assert Case.objects.get(pk=received.case.pk).case_type is None
    assert not CaseEvent.objects.filter(kind=EVENT_APPLIED).exists()


def test_an_admin_who_switched_applying_off_gets_suggestions_only(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0)
    FieldSetting.objects.create(field=Field.CASE_TYPE, auto_apply=False)
    [suggestion] = triage(mail(INVOICE_QUESTION))
    assert suggestion.state == SuggestionState.SUGGESTED


def test_the_admins_threshold_wins_over_the_models(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0)
    FieldSetting.objects.create(field=Field.CASE_TYPE, apply_at=1.0)
    [suggestion] = triage(mail(INVOICE_QUESTION))
    assert suggestion.confidence < 1.0 and suggestion.state == SuggestionState.SUGGESTED


def test_under_the_floor_nothing_is_suggested(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), floor=2.0)  # no surety reaches it
    received = mail(INVOICE_QUESTION)
    assert triage(received) == []
    assert not Suggestion.objects.exists()
    assert Case.objects.get(pk=received.case.pk).case_type is None


def test_a_case_type_the_form_chose_stays(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0)
    received = mail(INVOICE_QUESTION, case_type=case_types["login"])
    [suggestion] = triage(received)
    assert suggestion.state == SuggestionState.SUGGESTED
    assert Case.objects.get(pk=received.case.pk).case_type == case_types["login"]


def test_a_case_type_removed_since_training_is_not_suggested(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0)
    case_types["invoice"].is_active = False
    case_types["invoice"].save()
    made = triage(mail(INVOICE_QUESTION))
    assert all(s.label != str(case_types["invoice"].pk) for s in made)


def test_a_team_moves_the_case_out_of_the_triage_team(case_types):
    triage_team, billing, moving = TeamFactory(name="Triage"), TeamFactory(name="Billing"), TeamFactory(name="Moves")
    RoutingSettings.objects.update_or_create(pk=1, defaults={"triage_team": triage_team})
    pairs = [(t, str(billing.pk)) for t in INVOICE] + [(t, str(moving.pk)) for t in MOVING + LOGIN]
    install(Field.TEAM, pairs, apply_at=0.0)
    received = mail(INVOICE_QUESTION)
    assert Case.objects.get(pk=received.case.pk).team == triage_team  # routing put it there on opening
    [suggestion] = triage(received)
    assert suggestion.state == SuggestionState.APPLIED
    assert Case.objects.get(pk=received.case.pk).team == billing


def test_a_team_a_rule_or_an_agent_chose_stays(case_types):
    billing, support = TeamFactory(name="Billing"), TeamFactory(name="Support desk")
    pairs = [(t, str(billing.pk)) for t in INVOICE] + [(t, str(support.pk)) for t in MOVING + LOGIN]
    install(Field.TEAM, pairs, apply_at=0.0)
    received = mail(INVOICE_QUESTION, team=support)
    [suggestion] = triage(received)
    assert suggestion.state == SuggestionState.SUGGESTED
    assert Case.objects.get(pk=received.case.pk).team == support


def test_priority_is_applied_only_over_the_default():
    urgent = ["Strömmen är borta i hela huset och vi har ett spädbarn", "Vatten forsar in, akut!", "Akut: ingen ström"]
    normal = ["Kan ni skicka en ny faktura?", "Jag vill byta adress", "Hur loggar jag in?"]
    pairs = [(t, str(Priority.URGENT.value)) for t in urgent * 3] + [
        (t, str(Priority.NORMAL.value)) for t in normal * 3
    ]
    install(Field.PRIORITY, pairs, apply_at=0.0)
    received = mail("Akut! Ingen ström i huset sedan i morse och vi har ett spädbarn")
    [suggestion] = triage(received)
    assert suggestion.state == SuggestionState.APPLIED
    assert Case.objects.get(pk=received.case.pk).priority == Priority.URGENT
    high = mail("Akut! Ingen ström i huset sedan i morse", sender="olle@example.se", priority=Priority.HIGH)
    [kept] = triage(high)
    assert kept.state == SuggestionState.SUGGESTED
    assert Case.objects.get(pk=high.case.pk).priority == Priority.HIGH


def test_a_complaint_is_tagged_and_an_agent_can_say_it_is_not(agent):
    install(Field.COMPLAINT, seed_pairs(Field.COMPLAINT), apply_at=0.0)
    received = mail(
        "Jag är mycket missnöjd. Ni lovade att ringa tillbaka tre gånger och ingen har hört av sig. "
        "Jag vill framföra ett formellt klagomål."
    )
    made = triage(received)
    [suggestion] = [s for s in made if s.field == Field.COMPLAINT]
    assert (suggestion.label, suggestion.state) == ("complaint", SuggestionState.APPLIED)
    case = Case.objects.get(pk=received.case.pk)
    assert [t.name for t in case.tags.all()] == ["complaint"]
    complaint = Complaint.objects.get(case=case)  # in the register, with its deadline (the settings' default)
    assert (complaint.source, complaint.is_active) == ("detection", True)
    case_update(case=case, actor=None, team=agent.teams.first())
    suggestion_decide(agent=agent, suggestion=suggestion, answer="other")
    assert list(case.tags.all()) == []
    complaint.refresh_from_db()
    assert (complaint.is_active, complaint.unflag_reason) == (False, "Corrected Lofte's suggestion")
    example = TrainingExample.objects.get(source=Source.CORRECTION)
    assert (example.field, example.label, example.case_id) == (Field.COMPLAINT, "other", case.pk)
    assert "formellt klagomål" in example.text


@pytest.mark.parametrize(
    ("mode", "apply_at", "flagged"), [("applied", 1.5, False), ("suggested", 1.5, True), ("off", 0.0, False)]
)
def test_whether_a_detected_complaint_enters_the_register_is_the_admins_choice(agent, mode, apply_at, flagged):
    ComplaintSettings.objects.create(pk=1, detection=mode)
    install(Field.COMPLAINT, seed_pairs(Field.COMPLAINT), apply_at=apply_at)
    received = mail("Jag vill framföra ett formellt klagomål: ni har inte ringt tillbaka trots tre löften.")
    [suggestion] = [s for s in triage(received) if s.field == Field.COMPLAINT]
    assert suggestion.label == "complaint"
    assert Complaint.objects.filter(case=received.case, is_active=True).exists() is flagged
    if not flagged and mode == "applied":
        suggestion_decide(agent=agent, suggestion=suggestion, answer="complaint")  # the agent confirms it
        assert Complaint.objects.get(case=received.case).source == "agent"


def test_an_ordinary_question_is_no_complaint_and_says_nothing():
    install(Field.COMPLAINT, seed_pairs(Field.COMPLAINT), apply_at=0.0)
    assert triage(mail("Hej! Kan ni skicka en kopia av fakturan till min nya mejladress? Tack!")) == []


def test_bad_input_is_filed_and_gets_a_dont_know(case_types):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=0.0, floor=None)  # the floor training chose
    bodies = ("—", "x" * 1_000_000, "مرحبا، أين طلبي؟ " * 20, "你好，我的包裹在哪里？我等了三个星期了。")
    for number, body in enumerate(bodies):
        received = mail(body, sender=f"bad{number}@example.se", subject="?")
        assert triage(received) == [], body[:20]  # "don't know": nothing suggested, nothing applied
        case = Case.objects.get(pk=received.case.pk)
        assert case.case_type is None and case.messages.count() == 1  # filed as usual
    assert not Suggestion.objects.exists()
    # a clear message among them is still understood
    [understood] = triage(mail(INVOICE_QUESTION, sender="clear@example.se"))
    assert understood.label == str(case_types["invoice"].pk)


# --- the agent's answer -------------------------------------------------------------------------------------


def test_confirming_a_suggestion_applies_it_and_keeps_an_example(case_types, agent):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    received = mail(INVOICE_QUESTION, team=agent.teams.first())
    [suggestion] = triage(received)
    decided = suggestion_decide(agent=agent, suggestion=suggestion, answer=suggestion.label)
    assert (decided.state, decided.decided_by) == (SuggestionState.CONFIRMED, agent)
    assert Case.objects.get(pk=received.case.pk).case_type == case_types["invoice"]
    example = TrainingExample.objects.get(source=Source.CORRECTION)
    assert (example.label, example.language) == (suggestion.label, "sv")
    # answered again, the other way: one example, the newer answer
    suggestion_decide(agent=agent, suggestion=decided, answer=str(case_types["login"].pk))
    assert list(TrainingExample.objects.values_list("label", flat=True)) == [str(case_types["login"].pk)]
    assert Suggestion.objects.get().state == SuggestionState.CORRECTED
    assert Case.objects.get(pk=received.case.pk).case_type == case_types["login"]


def test_an_answer_not_offered_is_refused_and_changes_nothing(case_types, agent):
    from lofte.core.errors import ValidationFailed

    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    [suggestion] = triage(mail(INVOICE_QUESTION, team=agent.teams.first()))
    for answer in ("", "999999", "<script>", str(case_types["invoice"].pk) + " "):
        with pytest.raises(ValidationFailed) as exc:
            suggestion_decide(agent=agent, suggestion=suggestion, answer=answer)
        assert exc.value.field == "answer"
    assert not TrainingExample.objects.exists()
    assert Suggestion.objects.get().state == SuggestionState.SUGGESTED


def test_the_case_page_shows_the_suggestion_and_one_click_confirms_it(client, case_types, agent):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    received = mail(INVOICE_QUESTION, team=agent.teams.first())
    [suggestion] = triage(received)
    client.force_login(agent)
    page = client.get(f"/cases/{received.case.reference}/").content.decode()
    assert "Lofte&#x27;s suggestions" in page or "Lofte's suggestions" in page
    assert f'data-suggestion="{suggestion.pk}"' in page and "Invoice" in page
    response = client.post(f"/suggestions/{suggestion.pk}/decide", {"answer": suggestion.label})
    assert response.status_code == 302 and response["Location"] == f"/cases/{received.case.reference}/"
    assert Case.objects.get(pk=received.case.pk).case_type == case_types["invoice"]
    after = client.get(f"/cases/{received.case.reference}/").content.decode()
    assert f'data-suggestion="{suggestion.pk}"' not in after  # answered: off the panel
    assert "confirmed Lofte's suggestion: Invoice" in after  # on the timeline, with who did it
    client.post(f"/suggestions/{suggestion.pk}/decide", {"answer": str(case_types["login"].pk)})
    after = client.get(f"/cases/{received.case.reference}/").content.decode()
    assert "corrected Lofte's suggestion Invoice to Login" in after


def test_answered_from_htmx_the_case_comes_back_in_place(client, case_types, agent):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    received = mail(INVOICE_QUESTION, team=agent.teams.first())
    [suggestion] = triage(received)
    client.force_login(agent)
    url = f"/suggestions/{suggestion.pk}/decide"
    response = client.post(url, {"answer": suggestion.label}, headers={"HX-Request": "true"}, follow=True)
    # the browser follows the redirect as HTMX: the case's body, for #case
    assert response.redirect_chain == [(f"/cases/{received.case.reference}/", 302)]
    body = response.content.decode()
    assert '<div id="case"' in body[:300] and "<html" not in body
    assert f'data-suggestion="{suggestion.pk}"' not in body
    # an answer not offered: the whole page again, with the message
    response = client.post(url, {"answer": "nope"}, headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Redirect"]) == (204, f"/cases/{received.case.reference}/")
    assert "Choose one of the answers offered." in client.get(f"/cases/{received.case.reference}/").content.decode()


def test_a_suggestion_on_a_case_the_agent_cannot_see_is_not_found(client, case_types, agent, outsider):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    [suggestion] = triage(mail(INVOICE_QUESTION, team=agent.teams.first()))
    client.force_login(outsider)
    response = client.post(f"/suggestions/{suggestion.pk}/decide", {"answer": suggestion.label})
    assert response.status_code == 404
    assert Suggestion.objects.get().state == SuggestionState.SUGGESTED and not TrainingExample.objects.exists()


def test_a_reviewer_may_read_but_not_answer(client, case_types, agent):
    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    [suggestion] = triage(mail(INVOICE_QUESTION, team=agent.teams.first()))
    reviewer = AgentFactory(email="qa@example.com", role=Role.QA_REVIEWER, teams=[agent.teams.first()])
    client.force_login(reviewer)
    assert client.post(f"/suggestions/{suggestion.pk}/decide", {"answer": suggestion.label}).status_code == 403
    assert Suggestion.objects.get().state == SuggestionState.SUGGESTED


# --- status questions ---------------------------------------------------------------------------------------


@pytest.fixture
def status_model(db):
    return install(Field.STATUS_QUESTION, seed_pairs(Field.STATUS_QUESTION), apply_at=0.0)


def _promised(case, agent, *, text="Jag återkommer senast på torsdag kl. 14.", hours=48):
    return case_promise_make(case=case, author=agent, due_at=clock.now() + timedelta(hours=hours), customer_text=text)


def _outbound(case):
    return list(Message.objects.filter(case=case, direction=Direction.OUT, author__isnull=True))


def test_a_status_question_on_a_case_with_an_open_promise_is_answered_with_it(case, agent, status_model):
    _promised(case, agent)
    received = mail(STATUS_QUESTION, subject=f"Re: {case.subject}", thread=case)
    made = triage(received)
    [suggestion] = made
    assert (suggestion.state, suggestion.answered) == (SuggestionState.APPLIED, True)
    [answer] = _outbound(case)
    assert "Jag återkommer senast på torsdag kl. 14." in answer.body_text
    assert case.reference in answer.body_text
    assert OutboxMessage.objects.filter(pk=answer.outbox_message_id, to="karin@example.se", automatic=True).exists()
    assert Case.objects.filter(customer=case.customer).count() == 1  # no new case for it
    # asked again at once: an agent answers that one
    again = mail("Hallå? Hur går det med ärendet? Något nytt?", subject=f"Re: {case.subject}", thread=case)
    [second] = triage(again)
    assert (second.state, second.answered) == (SuggestionState.SUGGESTED, False)
    assert len(_outbound(case)) == 1


def test_no_promise_the_customer_holds_no_answer(case, agent, status_model):
    case_promise_make(case=case, author=agent, due_at=clock.now() + timedelta(hours=4))  # an internal target
    [suggestion] = triage(mail(STATUS_QUESTION, thread=case))
    assert (suggestion.state, suggestion.answered) == (SuggestionState.SUGGESTED, False)
    assert _outbound(case) == []


def test_a_promise_already_past_is_never_told_again(case, agent, status_model):
    from lofte.promises.models import Promise

    promise = _promised(case, agent, hours=1)
    Promise.objects.filter(pk=promise.pk).update(due_at=clock.now() - timedelta(minutes=1))  # not yet ticked
    [suggestion] = triage(mail(STATUS_QUESTION, thread=case))
    assert not suggestion.answered and _outbound(case) == []


def test_a_case_type_that_does_not_answer_status_questions(case, agent, status_model):
    quiet = CaseType.objects.create(name="Legal", answers_status_questions=False)
    case_update(case=case, actor=agent, case_type=quiet)
    _promised(case, agent)
    [suggestion] = triage(mail(STATUS_QUESTION, thread=case))
    assert not suggestion.answered and _outbound(case) == []


def test_a_new_status_question_from_a_proven_address_joins_the_open_case(case, agent, status_model):
    _promised(case, agent)
    received = mail(STATUS_QUESTION, subject="Mitt ärende")  # a new mail, not a reply
    assert received.case.pk != case.pk
    [suggestion] = triage(received)
    assert (suggestion.answered, suggestion.case_id) == (True, case.pk)
    new = Case.objects.get(pk=received.case.pk)
    assert new.status == Status.CLOSED
    assert Message.objects.get(pk=received.message.pk).case_id == case.pk
    assert len(_outbound(case)) == 1
    assert Case.objects.filter(customer=case.customer).exclude(status=Status.CLOSED).count() == 1
    # the merged case is not acknowledged afterwards: the customer got their answer on the open one
    from lofte.cases.acknowledgements import acknowledge_new_cases

    acknowledge_new_cases(now=clock.now())
    assert not Message.objects.filter(case=new).exists()
    assert not Case.objects.filter(pk=new.pk, acknowledged_at__isnull=True).exists()


def test_a_claimed_address_never_reaches_anybodys_case(case, agent, status_model):
    _promised(case, agent)
    # somebody types Karin's address into a form: found, but not proven
    received = mail(STATUS_QUESTION, proven=False)
    made = message_triage(message_id=received.message.pk, opened=True, proven=False)
    assert [s.answered for s in made] == [False]
    assert Message.objects.get(pk=received.message.pk).case_id == received.case.pk
    assert _outbound(case) == []


def test_with_two_open_cases_an_agent_sees_which_is_meant(case, agent, status_model, customer):
    from lofte.cases.services import case_create

    other = case_create(
        customer=customer, subject="Flytt", body="Vi flyttar", channel="email", team=agent.teams.first()
    )
    _promised(case, agent)
    _promised(other, agent)
    received = mail(STATUS_QUESTION, subject="Hur går det?")
    [suggestion] = triage(received)
    assert not suggestion.answered
    assert Case.objects.get(pk=received.case.pk).status != Status.CLOSED


# --- the seam ------------------------------------------------------------------------------------------------


def test_a_customer_message_is_queued_for_after_the_commit(django_capture_on_commit_callbacks, case_types):
    install(Field.CASE_TYPE, type_pairs(case_types))
    with django_capture_on_commit_callbacks(execute=True):
        received = mail(INVOICE_QUESTION)
    queued = DBTaskResult.objects.get(task_path__endswith="triage_message")
    assert queued.args_kwargs["args"] == [received.message.pk, True, False]  # a customer new with it: not proven


def test_nothing_is_queued_without_a_model_or_for_an_agents_call_notes(django_capture_on_commit_callbacks, case_types):
    with django_capture_on_commit_callbacks(execute=True):
        mail(INVOICE_QUESTION)
    install(Field.CASE_TYPE, type_pairs(case_types))
    with django_capture_on_commit_callbacks(execute=True):
        mail("Kunden ringde om fakturan", sender="call@example.se", customers_words=False)
    assert not DBTaskResult.objects.filter(task_path__endswith="triage_message").exists()


# --- the API -------------------------------------------------------------------------------------------------


def test_the_api_lists_a_cases_suggestions_and_takes_an_answer(case_types, agent, outsider):
    from lofte.accounts.tests.api_client import Api

    install(Field.CASE_TYPE, type_pairs(case_types), apply_at=1.01)
    received = mail(INVOICE_QUESTION, team=agent.teams.first())
    [suggestion] = triage(received)
    api = Api(agent)
    with CaptureQueriesContext(connection) as queries:
        listed = api.get(f"/cases/{received.case.reference}/suggestions")
    assert listed.status_code == 200
    assert not [q for q in queries.captured_queries if "artifact" in q["sql"]]  # a model's megabytes stay put
    [row] = listed.json()
    assert (row["id"], row["field"], row["name"], row["state"], row["answer"]) == (
        suggestion.pk,
        "case_type",
        "Invoice",
        "suggested",
        "",
    )
    assert row["model_version"] == 1 and row["message_id"] == received.message.pk
    refused = api.post(f"/suggestions/{suggestion.pk}/decide", {"answer": "no such type"})
    assert refused.status_code == 422 and refused.json()["field"] == "answer"
    assert Api(outsider).post(f"/suggestions/{suggestion.pk}/decide", {"answer": suggestion.label}).status_code == 404
    answer = str(case_types["moving"].pk)
    with CaptureQueriesContext(connection) as queries:
        decided = api.post(f"/suggestions/{suggestion.pk}/decide", {"answer": answer})
    assert decided.status_code == 200
    assert not [q for q in queries.captured_queries if "artifact" in q["sql"]]
    assert (decided.json()["state"], decided.json()["answer"]) == ("corrected", answer)
    assert Case.objects.get(pk=received.case.pk).case_type == case_types["moving"]


def test_a_status_question_an_agent_answered_before_the_worker_came_is_left_to_them(case, agent, status_model):
    from lofte.cases.services import case_reply

    _promised(case, agent)
    received = mail(STATUS_QUESTION, thread=case)
    case_reply(case=case, author=agent, body="Hej Karin, vi är nästan klara.")  # while the task waited
    [suggestion] = triage(received)
    assert not suggestion.answered and _outbound(case) == []
