"""The complaints API: the register (scoped, paged, filtered, queries counted), flag, change, un-flag."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.tests.factories import make_case
from lofte.complaints import services
from lofte.complaints.models import Category, Complaint, Source
from lofte.promises.models import Promise, PromiseState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


def flagged(team, n: int, **kwargs) -> list[Complaint]:
    return [
        services.complaint_flag(case=make_case(team=team, subject=f"Complaint {i}", **kwargs), source=Source.API)
        for i in range(n)
    ]


def test_unauthenticated_is_401(client):
    assert client.get("/api/v1/complaints").status_code == 401


def test_the_register_lists_only_what_the_caller_sees(api, team, other_team):
    mine = flagged(team, 2)
    flagged(other_team, 1)
    body = api.get("/api/v1/complaints").json()
    assert [i["case"] for i in body["items"]] == [c.case.reference for c in reversed(mine)]
    assert body["items"][0]["source"] == "api"
    assert body["items"][0]["deadline_at"] is not None


def test_pages_and_filters(api, team):
    billing = Category.objects.create(name="Billing")
    rows = flagged(team, 5)
    services.complaint_update(complaint=rows[1], actor=None, category=billing.pk, severity="high")
    first = api.get("/api/v1/complaints?limit=3").json()
    second = api.get(f"/api/v1/complaints?limit=3&cursor={first['next_cursor']}").json()
    assert len(first["items"]) == 3 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert {i["case"] for i in first["items"] + second["items"]} == {c.case.reference for c in rows}
    only = api.get(f"/api/v1/complaints?category={billing.pk}&severity=high").json()["items"]
    assert [i["case"] for i in only] == [rows[1].case.reference]
    assert api.get("/api/v1/complaints?cursor=bogus").status_code == 422
    assert api.get("/api/v1/complaints?state=everything").status_code == 422


def test_the_register_costs_the_same_queries_for_5_and_50(api, team):
    flagged(team, 5)
    with CaptureQueriesContext(connection) as few:
        assert len(api.get("/api/v1/complaints?limit=100").json()["items"]) == 5
    flagged(team, 45)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/complaints?limit=100").json()["items"]) == 50
    assert len(many) == len(few)


def test_flag_change_and_unflag(api, team, agent):
    case = make_case(team=team)
    response = api.post(f"/api/v1/cases/{case.reference}/complaint")
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "api"
    assert api.post(f"/api/v1/cases/{case.reference}/complaint").status_code == 200
    billing = Category.objects.create(name="Billing")
    response = api.patch(
        f"/api/v1/cases/{case.reference}/complaint",
        {"category": billing.pk, "severity": "critical", "product": "Broadband"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["category"], response.json()["severity"]) == (billing.pk, "critical")
    response = api.patch(
        f"/api/v1/cases/{case.reference}/complaint", {"outcome": "rejected"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["field"] == "outcome_reason"
    response = api.post(
        f"/api/v1/cases/{case.reference}/complaint/unflag",
        {"reason": "Asked about a price"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["unflag_reason"]) == (False, "Asked about a price")
    assert Promise.objects.get(subject_type="complaint").state == PromiseState.CANCELLED


def test_a_case_the_caller_cannot_see_is_404_and_nothing_changes(client, team, outsider):
    case = make_case(team=team)
    complaint = services.complaint_flag(case=case, source=Source.API)
    client.force_login(outsider)
    assert client.get(f"/api/v1/cases/{case.reference}/complaint").status_code == 404
    response = client.patch(
        f"/api/v1/cases/{case.reference}/complaint", {"severity": "low"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert client.post(f"/api/v1/cases/{case.reference}/complaint/unflag", {}, "application/json").status_code == 404
    complaint.refresh_from_db()
    assert (complaint.severity, complaint.is_active) == ("medium", True)


def test_a_qa_reviewer_reads_but_cannot_flag(client, team):
    reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
    case = make_case(team=team)
    client.force_login(reviewer)
    assert client.post(f"/api/v1/cases/{case.reference}/complaint").status_code == 403
    assert not Complaint.objects.exists()
    services.complaint_flag(case=case, source=Source.API)
    assert client.get(f"/api/v1/cases/{case.reference}/complaint").status_code == 200


def test_categories_and_root_causes(api):
    billing = Category.objects.create(name="Billing", names={"en": "Billing", "sv": "Fakturor"})
    Category.objects.create(name="Wrong amount", parent=billing)
    Category.objects.create(name="Old", is_active=False)
    body = api.get("/api/v1/complaints/categories", HTTP_ACCEPT_LANGUAGE="sv").json()
    assert [(c["name"], c["parent"]) for c in body] == [("Fakturor", None), ("Wrong amount", billing.pk)]
    assert api.get("/api/v1/complaints/root-causes").json() == []
