"""The staff's incident pages: the list and its empty state, opening one from the form (errors named, nothing
written), the timeline with the update form and the one-click ready update, and who may do what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.tests.factories import AgentFactory
from lofte.incidents import services
from lofte.incidents.models import Incident, IncidentUpdate, Severity
from lofte.promises.models import Promise

pytestmark = pytest.mark.django_db


def test_the_empty_list_says_what_to_do(client, lead):
    client.force_login(lead)
    html = client.get("/incidents/").content.decode()
    assert "Nothing is broken." in html and 'href="/incidents/new"' in html


def test_a_lead_opens_an_incident_from_the_form(client, lead, bank):
    client.force_login(lead)
    assert client.get("/incidents/new").status_code == 200

    response = client.post(
        "/incidents/new",
        {
            "kind": "incident",
            "title": "Card payments fail",
            "title_sv": "Kortbetalningar misslyckas",
            "severity": "critical",
            f"component_{bank['payments'].pk}": "partial_outage",
            "match_words": "card\npayment",
        },
    )

    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.titles == {"sv": "Kortbetalningar misslyckas"} and incident.owner_agent_id == lead.pk
    assert [(a.component_id, a.state) for a in incident.affected.all()] == [(bank["payments"].pk, "partial_outage")]
    page = client.get(response["Location"]).content.decode()
    assert "Next public update promised by" in page and "Post this update" in page
    listing = client.get("/incidents/").content.decode()
    assert "Card payments fail" in listing


def test_a_form_without_a_title_is_named_and_nothing_written(client, lead, bank):
    client.force_login(lead)
    response = client.post("/incidents/new", {"kind": "incident", "title": "", "severity": "major"})
    assert response.status_code == 422 and "This field is required." in response.content.decode()
    assert not Incident.objects.exists()


def test_posting_updates_the_ready_one_and_an_empty_one(client, lead, bank):
    incident = services.incident_open(actor=lead, title="Down", severity=Severity.CRITICAL)
    client.force_login(lead)

    ready = client.post(f"/incidents/{incident.pk}/ready")
    empty = client.post(
        f"/incidents/{incident.pk}/updates", {"body": " ", "status": "investigating", "visibility": "public"}
    )
    note = client.post(
        f"/incidents/{incident.pk}/updates", {"body": "Failover", "status": "investigating", "visibility": "internal"}
    )

    assert ready.status_code == 302 and note.status_code == 302
    assert empty.status_code == 422 and "Write the update: what is happening" in empty.content.decode()
    assert [(u.ready, u.is_public) for u in IncidentUpdate.objects.order_by("id")] == [(True, True), (False, False)]
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Failover" in page and "Internal note" in page


def test_an_agent_reads_but_may_not_open_or_post(client, agent, lead, bank):
    incident = services.incident_open(actor=lead, title="Down", severity=Severity.MINOR)
    client.force_login(agent)

    assert client.get("/incidents/").status_code == 200
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "Post this update" not in page
    assert client.get("/incidents/new").status_code == 403
    assert client.post(f"/incidents/{incident.pk}/ready").status_code == 403
    assert not IncidentUpdate.objects.exists()


def test_a_stranger_is_sent_to_log_in(client, lead):
    incident = services.incident_open(actor=lead, title="Down", severity=Severity.MINOR)
    for path in ("/incidents/", f"/incidents/{incident.pk}/"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response["Location"]
    assert client.post(f"/incidents/{incident.pk}/ready").status_code == 302
    assert not IncidentUpdate.objects.exists()


def test_the_list_costs_the_same_queries_for_2_and_20_incidents(client, lead, bank):
    client.force_login(lead)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/incidents/").status_code == 200
        return len(queries)

    for i in range(2):
        services.incident_open(actor=lead, title=f"I{i}", components={bank["app"].pk: "degraded"})
    few = count()
    for i in range(18):
        services.incident_open(actor=lead, title=f"J{i}", components={bank["login"].pk: "degraded"})
    assert count() == few
    assert Promise.objects.count() == 20


def test_a_qa_reviewer_reads_incidents(client, lead):
    services.incident_open(actor=lead, title="Down", severity=Severity.MINOR)
    client.force_login(AgentFactory(role="qa_reviewer"))
    assert client.get("/incidents/").status_code == 200
