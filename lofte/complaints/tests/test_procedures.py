"""A complaint's procedure: steps of its category and sub-category, a team lead's sign-off, and no solving by an
agent until every step is done (the customer may still say in the portal that it is solved)."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import CaseEvent
from lofte.cases.services import case_reply, case_transition, case_update
from lofte.cases.tests.factories import make_case
from lofte.complaints import procedures, services
from lofte.complaints.models import Category, ProcedureStep, Source, StepDone
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    return AgentFactory(role=Role.TEAM_LEAD, teams=[team], name="Lena Lead")


@pytest.fixture
def setup(team, agent):
    billing = Category.objects.create(name="Billing")
    double = Category.objects.create(name="Charged twice", parent=billing)
    call = ProcedureStep.objects.create(
        category=billing, order=1, text="Call the customer", texts={"sv": "Ring kunden"}
    )
    sign = ProcedureStep.objects.create(category=billing, order=2, text="Lead signs off", required_role="team_lead")
    refund = ProcedureStep.objects.create(category=double, order=1, text="Check the bank statement")
    ProcedureStep.objects.create(category=billing, order=3, text="Old step", is_active=False)
    case = make_case(team=team)
    complaint = services.complaint_flag(case=case, source=Source.API)
    complaint = services.complaint_update(complaint=complaint, actor=agent, category=billing.pk, subcategory=double.pk)
    return complaint, call, sign, refund


def test_the_checklist_is_the_categorys_steps_then_the_sub_categorys(setup):
    complaint, call, sign, refund = setup
    assert [s.step for s in procedures.checklist(complaint=complaint)] == [call, sign, refund]


def test_an_agent_cannot_solve_until_every_step_is_done(setup, agent, lead):
    complaint, call, sign, refund = setup
    case = complaint.case
    case_transition(case=case, actor=agent, status="open")
    with pytest.raises(ValidationFailed) as caught:
        case_transition(case=case, actor=agent, status="solved")
    assert caught.value.message == (
        "Complete the complaint's procedure before solving the case: 3 steps are left "
        "(“Call the customer”, “Lead signs off”, “Check the bank statement”)."
    )
    procedures.step_done(complaint=complaint, step_id=call.pk, actor=agent)
    procedures.step_done(complaint=complaint, step_id=refund.pk, actor=agent)
    with pytest.raises(PermissionDenied) as caught:
        procedures.step_done(complaint=complaint, step_id=sign.pk, actor=agent)
    assert "team lead" in caught.value.message
    with pytest.raises(ValidationFailed):  # a reply that solves is refused before anything is sent
        case_reply(case=case, author=agent, body="All done", status="solved")
    assert not OutboxMessage.objects.exists()
    with pytest.raises(ValidationFailed):
        case_update(case=case, actor=agent, status="solved")
    case.refresh_from_db()
    assert case.status == "open"
    procedures.step_done(complaint=complaint, step_id=sign.pk, actor=lead)
    case_transition(case=case, actor=agent, status="solved")
    case.refresh_from_db()
    assert case.status == "solved"
    steps = list(CaseEvent.objects.filter(case=case, kind="complaint_step").values_list("data", flat=True))
    assert steps == [
        {"step": "Call the customer", "done": True},
        {"step": "Check the bank statement", "done": True},
        {"step": "Lead signs off", "done": True},
    ]


def test_the_customer_may_say_it_is_solved_in_the_portal(setup):
    complaint, *_ = setup
    case_transition(case=complaint.case, actor=None, status="solved", reason="customer_portal")
    complaint.case.refresh_from_db()
    assert complaint.case.status == "solved"


def test_done_is_idempotent_and_undo_removes_it(setup, agent, team):
    complaint, call, *_ = setup
    first = procedures.step_done(complaint=complaint, step_id=call.pk, actor=agent)
    other = AgentFactory(teams=[team])
    assert procedures.step_done(complaint=complaint, step_id=call.pk, actor=other).done_by == agent
    assert first.pk == StepDone.objects.get().pk
    procedures.step_undo(complaint=complaint, step_id=call.pk, actor=other)
    assert not StepDone.objects.exists()
    procedures.step_undo(complaint=complaint, step_id=call.pk, actor=other)  # nothing to undo: nothing happens
    assert CaseEvent.objects.filter(case=complaint.case, kind="complaint_step").count() == 2


def test_a_step_of_another_category_is_not_found(setup, agent):
    complaint, *_ = setup
    stranger = ProcedureStep.objects.create(category=Category.objects.create(name="Delivery"), text="Other")
    with pytest.raises(NotFound):
        procedures.step_done(complaint=complaint, step_id=stranger.pk, actor=agent)
    assert not StepDone.objects.exists()


def test_the_panel_and_the_api(client, setup, agent, lead):
    complaint, call, sign, refund = setup
    ref = complaint.case.reference
    client.force_login(agent)
    page = client.get(f"/cases/{ref}/").content.decode()
    assert "3 steps left" in page and "Call the customer" in page
    assert client.post(f"/cases/{ref}/complaint/steps/{call.pk}", {"done": "1"}).status_code == 302
    assert client.post(f"/cases/{ref}/complaint/steps/{sign.pk}", {"done": "1"}).status_code == 403
    body = client.post(f"/api/v1/cases/{ref}/complaint/procedure/{refund.pk}").json()
    assert [(s["text"], s["done"]) for s in body] == [
        ("Call the customer", True),
        ("Lead signs off", False),
        ("Check the bank statement", True),
    ]
    response = client.post(f"/api/v1/cases/{ref}/complaint/procedure/{sign.pk}")
    assert response.status_code == 403
    client.force_login(lead)
    assert client.post(f"/api/v1/cases/{ref}/complaint/procedure/{sign.pk}").status_code == 200
    response = client.delete(f"/api/v1/cases/{ref}/complaint/procedure/{call.pk}")
    assert [s["done"] for s in response.json()] == [False, True, True]
