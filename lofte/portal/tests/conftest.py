"""Portal fixtures: Karin (English here, so that the pages' text can be asserted), another customer
with a case of their own, and logging in through a real magic link."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from lofte.cases.services import case_create
from lofte.customers.services import customer_create
from lofte.portal.services import portal_token_create


@pytest.fixture
def customer(customer):  # type: ignore[no-untyped-def]
    """The root fixture's Karin, speaking English in these tests (one test checks Swedish)."""
    customer.language = "en"
    customer.save(update_fields=["language"])
    return customer


@pytest.fixture
def other_customer(db):  # type: ignore[no-untyped-def]
    return customer_create(name="Olle Annan", email="olle@example.com", language="en")


@pytest.fixture
def other_case(other_customer, team):  # type: ignore[no-untyped-def]
    return case_create(
        customer=other_customer,
        subject="Olle's own matter",
        body="Olle's secret words",
        channel="email",
        team=team,
        sender="olle@example.com",
    )


def csrf_token(response) -> str:  # type: ignore[no-untyped-def]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client: Client, customer) -> None:  # type: ignore[no-untyped-def]
    """Log in as the customer the way a customer does: a link, its page, Continue."""
    _token, secret = portal_token_create(customer=customer)
    url = reverse("portal:login", kwargs={"secret": secret})
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"csrfmiddlewaretoken": csrf_token(page)})
    assert response.status_code == 302 and response["Location"] == reverse("portal:cases")


@pytest.fixture
def portal(client: Client, customer) -> Client:  # type: ignore[no-untyped-def]
    """A client logged in to the portal as Karin."""
    login(client, customer)
    return client


IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def ask(client, settings, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Ask for a link as a customer does, and let the worker do its half (the lookup and the sending run in a
    task queued when the request commits; here the task runs at once)."""
    settings.TASKS = IMMEDIATE_TASKS

    def post(address: str, **extra):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/portal/", {"address": address}, **extra)

    return post
