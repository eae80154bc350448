"""The callbacks API's bounds, through the site's own API (config/api.py): what the schema states is enforced,
and out of range is a 422 naming the field in the API's error format, never a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from lofte.callbacks.models import Callback, CallbackSlot
from lofte.callbacks.tests.test_services import at
from lofte.cases.models import Case
from lofte.promises.models import Promise, PromiseState

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/callbacks/kept?days=1000000", "days"),  # was a 500: now minus a million days is before year 1
        ("/api/v1/callbacks/kept?days=0", "days"),
        ("/api/v1/callbacks/kept?days=367", "days"),
        ("/api/v1/callbacks/slots?team={team}&days=1000000", "days"),
        ("/api/v1/callbacks/slots?team={team}&days=32", "days"),
        ("/api/v1/callbacks/slots?team=" + "9" * 20, "team"),
        ("/api/v1/callbacks?team=" + "9" * 20, "team"),
        ("/api/v1/callbacks?team=0", "team"),
    ],
)
def test_out_of_range_query_is_422_naming_the_field(api, capacity, now, url, field):
    response = api.get(url.format(team=capacity.team.pk))
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "validation_error", field)


@pytest.mark.parametrize("raw", ["[null, null]", "null", '"reached"', "5"])
def test_an_attempt_whose_body_is_not_an_object_is_422_and_logs_nothing(api, capacity, now, email_only, raw):
    from lofte.callbacks.models import CallbackAttempt
    from lofte.callbacks.services import callback_book

    callback = callback_book(team=capacity.team, slot_start=at(10, 30), phone="0701234567")
    response = api.post(f"/api/v1/callbacks/{callback.pk}/attempts", raw, content_type="application/json")
    assert (response.status_code, response.json()["field"]) == (422, "body")
    callback.refresh_from_db()
    assert (callback.attempts, CallbackAttempt.objects.count(), Promise.objects.get().state) == (
        0,
        0,
        PromiseState.PENDING,
    )


def test_a_booking_before_1900_is_422_naming_slot_start_and_books_nothing(api, capacity, now):
    response = api.post(
        "/api/v1/callbacks",
        {"team": capacity.team.pk, "slot_start": "1899-11-23T10:30:00+01:00", "phone": "070-123 45 67"},
        content_type="application/json",
    )
    assert (response.status_code, response.json()["field"]) == (422, "slot_start")
    assert (Callback.objects.count(), CallbackSlot.objects.count(), Case.objects.count()) == (0, 0, 0)
