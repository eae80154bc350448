"""The portal takeover of L06, tried on every intake path over HTTP: a stranger sends `email=<his address>,
phone=<the victim's number>`, then asks the portal for a link to his address. He must get nothing: his address
joins nobody, no link is sent to it, and no portal session shows the victim's cases.

(Email, SMS and logged calls carry only the sender's own address, proven by the channel; the callback page
takes a number only: neither can bind a second address.)"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from lofte.accounts.models import Role
from lofte.accounts.services import api_token_create
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case
from lofte.channels.webhooks.models import WebhookSource
from lofte.core import clock
from lofte.customers.models import CustomerIdentity, IdentitySuggestion
from lofte.outbox.models import OutboxMessage
from lofte.portal.models import PortalToken
from lofte.webform import tokens

pytestmark = pytest.mark.django_db

ATTACKER = "mallory@example.net"
VICTIMS_NUMBER = "070-123 45 67"  # the root fixture's Karin has +46701234567
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


def by_contact_form(client: Client) -> None:
    started = tokens.started_token(now=clock.now() - timedelta(seconds=10))
    response = client.post(
        "/contact",
        {
            "name": "Mallory",
            "email": ATTACKER,
            "phone": VICTIMS_NUMBER,
            "subject": "Hej",
            "message": "Hej",
            "started": started,
            "homepage": "",
        },
    )
    assert response.status_code in (200, 302), response.content[:500]


def by_api(client: Client) -> None:
    agent = AgentFactory(role=Role.AGENT)  # an integration's token: what it passes on is a claim
    token = api_token_create(agent=agent).secret
    body = {"subject": "Hej", "body": "Hej", "customer": {"email": ATTACKER, "phone": VICTIMS_NUMBER}}
    response = client.post(
        "/api/v1/cases", json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.content


def by_webhook(client: Client) -> None:
    source = WebhookSource.objects.create(name="shop", display_name="Webshop")
    body = json.dumps(
        {"external_id": "x-1", "from": {"email": ATTACKER, "phone": VICTIMS_NUMBER}, "text": "Hej"}
    ).encode()
    ts = str(int(clock.now().timestamp()))
    signature = "sha256=" + hmac.new(source.secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    response = client.post(
        "/api/v1/inbound/webhook/shop",
        body,
        content_type="application/json",
        headers={"X-Lofte-Timestamp": ts, "X-Lofte-Signature": signature},
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("intake", [by_contact_form, by_api, by_webhook], ids=["contact form", "api", "webhook"])
def test_a_claimed_address_next_to_the_victims_number_opens_no_portal(
    intake: Callable[[Client], None], client, customer, case, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE_TASKS
    victims_identities = sorted(customer.identities.values_list("kind", "value"))

    intake(Client())

    # his address joined nobody; the victim's customer kept exactly their own addresses
    assert not CustomerIdentity.objects.filter(value=ATTACKER).exists()
    assert sorted(customer.identities.values_list("kind", "value")) == victims_identities
    assert IdentitySuggestion.objects.filter(value=ATTACKER).count() == 1  # for an agent to look at, nothing more
    # replies on the case he filed never go to his address on the victim's behalf
    assert not Case.objects.filter(reply_to=ATTACKER).exists()

    # he asks the portal for a link to his address: nothing is sent to it, no link exists
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/portal/", {"address": ATTACKER})
    assert asked.status_code == 200
    assert not OutboxMessage.objects.filter(to=ATTACKER).exists()
    assert PortalToken.objects.count() == 0
    # and without a link there is no portal session to show the victim's case
    page = client.get("/portal/cases/")
    assert page.status_code == 302
    assert case.reference not in page.content.decode()
