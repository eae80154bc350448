"""The compensation ledger: approval limits per role and currency, nobody approving their own proposal above their
limit, every step on the timeline, totals and the streamed CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import CaseEvent
from lofte.cases.tests.factories import make_case
from lofte.complaints import compensation as comp
from lofte.complaints import services
from lofte.complaints.models import ApprovalLimit, Category, Compensation, CompensationState, Source
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    return AgentFactory(role=Role.TEAM_LEAD, teams=[team], name="Lena Lead")


@pytest.fixture
def complaint(team):
    return services.complaint_flag(case=make_case(team=team), source=Source.API)


@pytest.fixture
def limits(db):
    ApprovalLimit.objects.create(role=Role.AGENT, currency="SEK", amount=Decimal("500"))
    ApprovalLimit.objects.create(role=Role.TEAM_LEAD, currency="SEK", amount=Decimal("5000"))


def snapshot(c: Compensation) -> tuple:
    c.refresh_from_db()
    return (c.state, c.decided_by_id, c.decision_reason)


def test_within_the_agents_limit_it_is_approved_as_proposed(complaint, agent, limits):
    made = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="refund", amount="499,50", currency="sek", reason="Fee charged twice"
    )
    assert (made.state, made.amount, made.currency, made.decided_by) == ("approved", Decimal("499.50"), "SEK", agent)
    event = CaseEvent.objects.get(case=complaint.case, kind="compensation")
    assert event.data["action"] == "approved_within_limit"
    assert not Notification.objects.exists()


def test_above_the_limit_it_waits_and_the_team_lead_is_told(complaint, agent, lead, limits):
    made = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="voucher", amount="1200", currency="SEK", reason="Three missed calls"
    )
    assert (made.state, made.decided_by) == (CompensationState.PROPOSED, None)
    [note] = Notification.objects.all()
    assert note.agent == lead and complaint.case.reference in note.text and "1200" in note.text
    approved = comp.compensation_approve(compensation=made, actor=lead, reason="Fair: three broken promises")
    assert (approved.state, approved.decided_by, approved.decision_reason) == (
        "approved",
        lead,
        "Fair: three broken promises",
    )
    comp.compensation_paid(compensation=approved, actor=agent)
    actions = list(
        CaseEvent.objects.filter(case=complaint.case, kind="compensation")
        .order_by("id")
        .values_list("data__action", flat=True)
    )
    assert actions == ["proposed", "approved", "paid"]


def test_an_agent_above_their_limit_is_refused_and_nothing_changes(complaint, agent, limits, team):
    other = AgentFactory(teams=[team])
    made = comp.compensation_propose(
        complaint=complaint, actor=other, kind="refund", amount="800", currency="SEK", reason="Broken"
    )
    before = snapshot(made)
    with pytest.raises(PermissionDenied) as caught:
        comp.compensation_approve(compensation=made, actor=agent, reason="ok")
    assert "above your approval limit (500.00 SEK)" in caught.value.message
    with pytest.raises(PermissionDenied):
        comp.compensation_reject(compensation=made, actor=agent, reason="no")
    assert snapshot(made) == before
    assert CaseEvent.objects.filter(case=complaint.case, kind="compensation").count() == 1


def test_nobody_approves_their_own_proposal_above_their_limit(complaint, lead, limits):
    made = comp.compensation_propose(
        complaint=complaint, actor=lead, kind="credit", amount="9000", currency="SEK", reason="Big outage"
    )
    assert made.state == "proposed"  # above the lead's own limit (5000)
    with pytest.raises(PermissionDenied) as caught:
        comp.compensation_approve(compensation=made, actor=lead, reason="Mine")
    assert "their own proposal" in caught.value.message
    assert snapshot(made) == ("proposed", None, "")


def test_an_approval_needs_a_reason_and_the_right_state(complaint, agent, lead, limits):
    made = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="refund", amount="900", currency="SEK", reason="Why"
    )
    with pytest.raises(ValidationFailed) as caught:
        comp.compensation_approve(compensation=made, actor=lead, reason="  ")
    assert caught.value.field == "reason"
    comp.compensation_reject(compensation=made, actor=lead, reason="Not our fault")
    with pytest.raises(ValidationFailed):
        comp.compensation_approve(compensation=made, actor=lead, reason="Changed my mind")
    with pytest.raises(ValidationFailed):
        comp.compensation_paid(compensation=made, actor=agent)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "1e12"}, "amount"),
        ({"currency": "BTC"}, "currency"),
        ({"kind": "cash"}, "kind"),
        ({"reason": ""}, "reason"),
    ],
)
def test_bad_input_is_refused_with_the_field(complaint, agent, values, field):
    given = {"kind": "refund", "amount": "10", "currency": "SEK", "reason": "Why", **values}
    with pytest.raises(ValidationFailed) as caught:
        comp.compensation_propose(complaint=complaint, actor=agent, **given)
    assert caught.value.field == field
    assert not Compensation.objects.exists()


def test_without_limits_agents_need_approval_and_leads_and_admins_do_not(complaint, agent, lead):
    assert comp.limit_for(agent, "EUR") == Decimal(0)
    assert comp.limit_for(lead, "EUR") is None
    made = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="gift", amount="1", currency="EUR", reason="x"
    )
    assert made.state == "proposed"
    by_lead = comp.compensation_propose(
        complaint=complaint, actor=lead, kind="gift", amount="100000", currency="EUR", reason="y"
    )
    assert by_lead.state == "approved"


def test_a_qa_reviewer_cannot_propose(complaint, team):
    reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
    with pytest.raises(PermissionDenied):
        comp.compensation_propose(
            complaint=complaint, actor=reviewer, kind="gift", amount="1", currency="SEK", reason="x"
        )
    assert not Compensation.objects.exists()


def test_totals_per_category_and_the_csv_export(client, complaint, agent, lead, limits, team):
    billing = Category.objects.create(name="Billing")
    services.complaint_update(complaint=complaint, actor=None, category=billing.pk)
    paid = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="refund", amount="100", currency="SEK", reason="a"
    )
    comp.compensation_paid(compensation=paid, actor=agent)
    comp.compensation_propose(complaint=complaint, actor=agent, kind="refund", amount="200", currency="SEK", reason="b")
    waiting = comp.compensation_propose(
        complaint=complaint, actor=agent, kind="refund", amount="900", currency="SEK", reason="=cmd|' /C calc'!A0"
    )
    assert waiting.state == "proposed"
    from lofte.complaints.selectors import LedgerFilters, compensation_totals

    [total] = compensation_totals(agent=agent, filters=LedgerFilters(), group="category")
    assert (total.group, total.currency, total.count, total.committed, total.paid) == (
        "Billing",
        "SEK",
        2,
        Decimal("300.00"),
        Decimal("100.00"),
    )
    client.force_login(agent)
    response = client.get("/complaints/compensation.csv")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["case", "customer", "category"]
    assert [r[4] for r in rows[1:]] == ["100.00", "200.00", "900.00"]
    assert rows[3][7] == "'=cmd|' /C calc'!A0"  # a formula is never run by a spreadsheet
    page = client.get("/complaints/compensation/?group=category").content.decode()
    assert "<td>Billing</td><td>SEK</td><td>2</td><td>300.00</td><td>100.00</td>" in page, page[page.find("<main") :][
        :3000
    ]


def test_the_ledger_shows_only_what_the_reader_sees(client, complaint, agent, outsider):
    comp.compensation_propose(complaint=complaint, actor=agent, kind="gift", amount="5", currency="SEK", reason="x")
    client.force_login(outsider)
    assert "data-compensation=" not in client.get("/complaints/compensation/").content.decode()
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/complaints/compensation.csv").streaming_content).decode()))
    )
    assert len(rows) == 1  # the header only
