"""Webhook sources: admins create and change them; the secret is Lofte's, shown once after creation or rotation,
and a request signed with it is accepted by the webhook endpoint (the old one refused after rotation)."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.test import Client

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseType
from lofte.channels.webhooks.models import WebhookSource
from lofte.channels.webhooks.services import SIGNATURE_HEADER, TIMESTAMP_HEADER, webhook_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def source(team):  # type: ignore[no-untyped-def]
    return WebhookSource.objects.create(name="shop", display_name="Web shop", team=team)


def rows() -> list[tuple[object, ...]]:
    return list(
        WebhookSource.objects.order_by("pk").values_list(
            "pk", "name", "display_name", "team_id", "case_type_id", "is_active", "secret"
        )
    )


def secret_in(html: str) -> str:
    found = re.search(r'data-testid="webhook-secret">([^<]+)<', html)
    assert found is not None, "no secret shown"
    return found.group(1)


def post_signed(name: str, secret: str, external_id: str = "order-1"):  # type: ignore[no-untyped-def]
    body = json.dumps(
        {"external_id": external_id, "from": {"email": "kund@example.se", "name": "Kund"}, "text": "Hej!"}
    ).encode()
    ts = str(int(time.time()))
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: webhook_signature(secret=secret, timestamp=ts, body=body)}
    return Client().post(f"/api/v1/inbound/webhook/{name}", body, content_type="application/json", headers=headers)


@pytest.mark.parametrize("path", ["/webhooks/", "/webhooks/new", "/webhooks/{id}/"])
@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("lead", 403), ("agent", 403), ("anonymous", 302)])
def test_webhook_pages_are_for_admins(client, admin, lead, agent, source, path, who, status):
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get(path.format(id=source.pk))
    assert response.status_code == status
    html = response.content.decode()
    assert source.secret not in html  # never shown, to anyone, after it was made
    if status == 403:
        assert "Only admins can change this." in html
    if status == 302:
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("who", ["lead", "agent"])
def test_others_cannot_create_change_or_rotate(client, lead, agent, source, who):
    client.force_login({"lead": lead, "agent": agent}[who])
    before = rows()
    assert client.post("/webhooks/new", {"name": "evil", "is_active": "on"}).status_code == 403
    assert client.post(f"/webhooks/{source.pk}/", {"name": "shop", "display_name": "Evil"}).status_code == 403
    assert client.post(f"/webhooks/{source.pk}/rotate").status_code == 403
    assert rows() == before


def test_the_list_shows_the_address_to_post_to(client, admin, source):
    client.force_login(admin)
    html = client.get("/webhooks/").content.decode()
    assert "Web shop" in html and "/api/v1/inbound/webhook/shop</code>" in html


def test_a_new_source_shows_its_secret_once_and_a_request_signed_with_it_is_accepted(client, admin, team):
    invoice = CaseType.objects.create(name="Invoice")
    client.force_login(admin)
    response = client.post(
        "/webhooks/new",
        {"name": "Butik", "display_name": "Butiken", "team": team.pk, "case_type": invoice.pk, "is_active": "on"},
    )
    assert response.status_code == 201
    html = response.content.decode()
    source = WebhookSource.objects.get()
    assert (source.name, source.display_name, source.team, source.case_type, source.is_active) == (
        "butik",
        "Butiken",
        team,
        invoice,
        True,
    )
    secret = secret_in(html)
    assert secret == source.secret and len(secret) >= 43
    assert "/api/v1/inbound/webhook/butik" in html and "X-Lofte-Signature: sha256=$SIG" in html
    assert f"SECRET='{secret}'" in html  # the curl example, ready to run

    page = client.get(f"/webhooks/{source.pk}/").content.decode()
    assert secret not in page and 'data-testid="webhook-secret"' not in page  # never again
    assert "SECRET='the secret you were given'" in page

    accepted = post_signed("butik", secret)
    assert accepted.status_code == 201, accepted.content
    case = Case.objects.get(reference=accepted.json()["case"])
    assert (case.team, case.case_type, case.channel) == (team, invoice, "webhook")


def test_rotating_shows_the_new_secret_once_and_refuses_the_old_one(client, admin, source):
    old = source.secret
    client.force_login(admin)
    response = client.post(f"/webhooks/{source.pk}/rotate")
    assert response.status_code == 200
    new = secret_in(response.content.decode())
    source.refresh_from_db()
    assert new == source.secret != old
    assert new not in client.get(f"/webhooks/{source.pk}/").content.decode()
    refused = post_signed("shop", old, external_id="old-1")
    assert refused.status_code == 401 and refused.json()["code"] == "signature_invalid"
    assert post_signed("shop", new, external_id="new-1").status_code == 201


def test_an_admin_changes_a_source_and_its_secret_stays(client, admin, source, other_team):
    secret = source.secret
    client.force_login(admin)
    data = {"name": "shop", "display_name": "Nya butiken", "team": other_team.pk, "case_type": ""}
    response = client.post(f"/webhooks/{source.pk}/", data)  # no is_active: deactivated
    assert response.status_code == 302 and response["Location"] == f"/webhooks/{source.pk}/"
    source.refresh_from_db()
    assert (source.display_name, source.team, source.is_active, source.secret) == (
        "Nya butiken",
        other_team,
        False,
        secret,
    )
    assert post_signed("shop", secret).status_code == 404  # an inactive source is refused


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"name": "shop"}, "name", "A webhook source named 'shop' already exists."),
        ({"name": "with space"}, "name", "Use at most 40 lower-case letters, digits, hyphens and underscores"),
        ({"name": "-dash"}, "name", "Use at most 40 lower-case letters"),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 41}, "name", "Ensure this value has at most 40 characters"),
        ({"display_name": "y" * 101}, "display_name", "Ensure this value has at most 100 characters"),
        ({"team": 999999}, "team", "Select a valid choice."),
        ({"case_type": 999999}, "case_type", "Select a valid choice."),
    ],
)
def test_bad_source_data_is_refused_beside_the_field(client, admin, source, changes, field, error):
    client.force_login(admin)
    before = rows()
    response = client.post("/webhooks/new", {"name": "other", "is_active": "on", **changes})
    assert response.status_code == 422
    html = response.content.decode().replace("&#x27;", "'")
    assert f'data-error-for="{field}"' in html and error in html
    assert 'data-testid="webhook-secret"' not in html
    assert rows() == before


def test_a_rename_that_clashes_is_refused_and_nothing_changes(client, admin, source):
    WebhookSource.objects.create(name="crm")
    client.force_login(admin)
    before = rows()
    response = client.post(f"/webhooks/{source.pk}/", {"name": "crm", "is_active": "on"})
    assert response.status_code == 422
    assert "A webhook source named &#x27;crm&#x27; already exists." in response.content.decode()
    assert source.secret not in response.content.decode()
    assert rows() == before


def test_a_missing_source_is_404(client, admin):
    client.force_login(admin)
    assert client.get("/webhooks/999999/").status_code == 404
    assert client.post("/webhooks/999999/rotate").status_code == 404
