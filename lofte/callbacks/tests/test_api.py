"""POST /api/v1/callbacks, GET /api/v1/callbacks/slots, attempts, POST /api/v1/calls."""

from __future__ import annotations

import pytest
from django.test import Client

from lofte.callbacks.models import Call, Callback, CallbackSlot
from lofte.callbacks.tests.test_services import at
from lofte.cases.models import Case
from lofte.promises.models import Promise, PromiseState

pytestmark = [pytest.mark.django_db, pytest.mark.urls("lofte.callbacks.tests.urls")]


@pytest.fixture
def api(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


def test_unauthenticated_is_401(client, capacity, now):
    assert client.get(f"/api/v1/callbacks/slots?team={capacity.team.pk}").status_code == 401


def test_slots(api, capacity, now):
    response = api.get(f"/api/v1/callbacks/slots?team={capacity.team.pk}&days=1")
    assert response.status_code == 200
    body = response.json()
    assert len(body) == 35
    assert body[0] == {"start": "2026-11-23T09:15:00Z", "end": "2026-11-23T09:30:00Z", "free": 2}


def test_book_then_reach(api, capacity, customer, now, email_only):
    response = api.post(
        "/api/v1/callbacks",
        {"team": capacity.team.pk, "slot_start": "2026-11-23T10:30:00+01:00", "phone": "070-123 45 67"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    callback = Callback.objects.get()
    assert (body["id"], body["phone"], body["state"], body["source"]) == (callback.pk, "+46701234567", "pending", "api")
    assert body["case"] == callback.case.reference
    assert body["customer_text"].startswith("Vi ringer dig måndag 23 november mellan kl. 10:30 och 10:45")
    response = api.post(
        f"/api/v1/callbacks/{callback.pk}/attempts", {"outcome": "reached"}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["callback"]["state"] == "reached"
    assert Promise.objects.get().state == PromiseState.KEPT
    kept = api.get("/api/v1/callbacks/kept?days=30").json()
    assert [(r["name"], r["on_time"], r["percent_on_time"]) for r in kept] == [("Support", 1, 100)]


def test_a_full_slot_is_409_with_the_next_free_slots(api, capacity, now, email_only):
    CallbackSlot.objects.create(team=capacity.team, start=at(10, 30), booked=2)
    response = api.post(
        "/api/v1/callbacks",
        {"team": capacity.team.pk, "slot_start": "2026-11-23T09:30:00Z", "phone": "0701234567"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("slot_full", "slot_start")
    assert [s["start"] for s in body["next_slots"]][:2] == ["2026-11-23T09:15:00Z", "2026-11-23T09:45:00Z"]
    assert Callback.objects.count() == 0


def test_an_invalid_number_is_422_naming_the_field(api, capacity, now):
    response = api.post(
        "/api/v1/callbacks",
        {"team": capacity.team.pk, "slot_start": "2026-11-23T09:30:00Z", "phone": "123"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["field"] == "phone"
    assert (Case.objects.count(), CallbackSlot.objects.count()) == (0, 0)


def test_log_a_call_without_a_case(api, customer, now):
    response = api.post(
        "/api/v1/calls",
        {"direction": "in", "number": "0701234567", "outcome": "answered", "duration_seconds": 60, "notes": "Hej"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    call = Call.objects.get()
    assert response.json()["case"] == call.case.reference
    assert (call.case.channel, call.case.customer) == ("phone", customer)


def test_another_teams_callback_is_404(client, outsider, capacity, now, email_only):
    from lofte.callbacks.services import callback_book

    callback = callback_book(team=capacity.team, slot_start=at(10, 30), phone="0701234567")
    client.force_login(outsider)
    response = client.post(
        f"/api/v1/callbacks/{callback.pk}/attempts", {"outcome": "reached"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert Promise.objects.get().state == PromiseState.PENDING


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "outcome"), ({"outcome": ""}, "outcome"), ({"outcome": "maybe", "note": "?"}, "outcome")],
)
def test_an_attempt_needs_an_outcome_and_nothing_changes_without_one(api, capacity, now, email_only, body, field):
    from lofte.callbacks import services
    from lofte.callbacks.models import CallbackAttempt

    callback = services.callback_book(team=capacity.team, slot_start=at(10, 30), phone="0701234567")
    response = api.post(f"/api/v1/callbacks/{callback.pk}/attempts", body, content_type="application/json")
    assert response.status_code == 422, response.content
    assert field in response.content.decode()
    callback.refresh_from_db()
    assert (callback.state, callback.attempts) == ("pending", 0)
    assert not CallbackAttempt.objects.exists()
    assert Promise.objects.get().state == PromiseState.PENDING
