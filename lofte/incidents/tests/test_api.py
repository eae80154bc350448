"""The incidents API: open, read, change, post updates and the ready update, link cases, components; refusals
name the field or the reason and change nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.incidents.models import Component, Incident, IncidentCase, IncidentUpdate
from lofte.incidents.tests.conftest import T0

pytestmark = pytest.mark.django_db


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["code"], body.get("field")


def test_open_read_update_and_resolve(lead, bank, team):
    api = Api(lead)
    with clock.at(T0):
        response = api.post(
            "/incidents",
            {
                "title": "Bank down",
                "titles": {"sv": "Banken nere"},
                "severity": "critical",
                "components": {str(bank["login"].pk): "major_outage"},
                "match_words": "bank id",
            },
        )
    assert response.status_code == 201, response.content
    body = response.json()
    incident_id = body["id"]
    assert (body["owner_agent"], body["next_update_by"]) == (
        lead.pk,
        (T0 + timedelta(minutes=10)).isoformat().replace("+00:00", "Z"),
    )
    assert body["affected"] == [{"component": bank["login"].pk, "state": "major_outage"}]
    assert body["measures"]["updates_promised"] == 1

    with clock.at(T0 + timedelta(minutes=4)):
        ready = api.post(f"/incidents/{incident_id}/ready", {})
        update = api.post(f"/incidents/{incident_id}/updates", {"text": "Cause found.", "status": "identified"})
    assert ready.status_code == 201 and ready.json()["ready"] is True
    assert update.status_code == 201 and update.json()["status"] == "identified"

    case = make_case(team=team, subject="Bank id", body="bank id fails")
    linked = api.post(f"/incidents/{incident_id}/cases", {"case": case.reference})
    assert linked.status_code == 201 and linked.json()["case"] == case.reference
    assert [r["case"] for r in api.get(f"/incidents/{incident_id}/cases").json()] == [case.reference]

    done = api.post(f"/incidents/{incident_id}/updates", {"text": "Fixed.", "status": "resolved"})
    assert done.status_code == 201
    detail = api.get(f"/incidents/{incident_id}").json()
    assert detail["status"] == "resolved" and detail["next_update_by"] is None
    assert IncidentCase.objects.get().final_sent_at is not None
    again = api.post(f"/incidents/{incident_id}/updates", {"text": "Again"})
    assert error(again)[0] == 422 and "resolved" in again.json()["message"]


def test_an_agent_is_refused_and_nothing_changes(agent, lead):
    api = Api(agent)
    response = api.post("/incidents", {"title": "Down"})
    assert error(response)[0] == 403 and "cannot open or change incidents" in response.json()["message"]
    assert not Incident.objects.exists()
    assert api.get("/incidents").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x", "severity": "apocalyptic"}, "severity"),
        ({"title": "x", "components": {"999999": "major_outage"}}, "components"),
        ({"title": "x", "components": {"1": "on fire"}}, "components"),
        ({"title": "x", "kind": "maintenance"}, "scheduled_start"),
    ],
)
def test_bad_input_is_named(lead, bank, body, field):
    response = Api(lead).post("/incidents", body)
    assert response.status_code == 422
    assert not Incident.objects.exists()


def test_an_empty_update_is_refused(lead):
    api = Api(lead)
    incident_id = api.post("/incidents", {"title": "Down"}).json()["id"]
    response = api.post(f"/incidents/{incident_id}/updates", {"text": "  "})
    assert error(response) == (422, "validation_error", "body")
    assert not IncidentUpdate.objects.exists()


def test_components_admins_add_them(lead):
    admin = AgentFactory(role=Role.ADMIN)
    created = Api(admin).post("/components", {"name": "Card payments", "names": {"sv": "Kortbetalningar"}})
    assert created.status_code == 201 and created.json()["names"] == {"sv": "Kortbetalningar"}
    refused = Api(lead).post("/components", {"name": "Other"})
    assert error(refused)[0] == 403
    assert list(Component.objects.values_list("name", flat=True)) == ["Card payments"]
    assert [c["name"] for c in Api(lead).get("/components").json()] == ["Card payments"]


def test_unknown_incident_is_404(lead):
    assert Api(lead).get("/incidents/999999").status_code == 404
    assert Api(None).get("/incidents").status_code == 401
