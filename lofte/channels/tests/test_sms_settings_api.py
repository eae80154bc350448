"""The SMS settings over the API: GET and PUT /api/v1/settings/sms, POST /api/v1/settings/sms/test. Admins only
(everyone else 403, nothing changed or sent; no token 401); secrets are never in an answer; PUT keeps a secret
left out, clears one given as "", and refuses a wrong value naming its field with nothing saved."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.channels.sms.models import SmsDelivery, SmsSettings
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

ENV_TOKEN = "env-token-0123456789abcdef"


@pytest.fixture
def sms_dir(settings: Any, tmp_path: Path) -> Path:
    settings.LOFTE_SMS_PROVIDER = "console"
    settings.LOFTE_SMS_FROM = "+46766861004"
    settings.LOFTE_SMS_WEBHOOK_TOKEN = ENV_TOKEN
    settings.LOFTE_SMS_ALLOWED_IPS = []
    settings.LOFTE_SMS_46ELKS_USERNAME = ""
    settings.LOFTE_SMS_46ELKS_PASSWORD = "Env-Elks-Pass-42"
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    return tmp_path / "sent-sms"


@pytest.fixture
def admin(db: Any) -> Any:
    return AgentFactory(email="admin@example.com", role=Role.ADMIN, language="en")


def sent(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(directory.glob("*.jsonl")) for line in f.read_text().splitlines()]


def test_get_shows_the_environment_without_its_secrets(admin, sms_dir):
    response = Api(admin).get("/settings/sms")
    assert response.status_code == 200
    assert response.json() == {
        "provider": "console",
        "on": True,
        "sending": True,
        "sender": "+46766861004",
        "elks_username": "",
        "elks_password_set": True,
        "webhook_token_set": True,
        "allowed_ips": [],
        "source": "environment",
        "updated_at": None,
        "updated_by": None,
    }
    assert ENV_TOKEN not in response.content.decode() and "Env-Elks-Pass-42" not in response.content.decode()


def test_put_saves_keeps_left_out_secrets_and_clears_empty_ones(admin, sms_dir):
    api = Api(admin)
    body = {"provider": "46elks", "sender": "Lofte", "elks_username": "u123", "allowed_ips": ["192.0.2.0/24"]}
    response = api.put("/settings/sms", body)
    assert response.status_code == 200, response.content
    answer = response.json()
    assert (answer["provider"], answer["sender"], answer["source"], answer["updated_by"]) == (
        "46elks",
        "Lofte",
        "saved",
        admin.pk,
    )
    assert answer["elks_password_set"] and answer["webhook_token_set"]
    row = SmsSettings.objects.get()
    assert (row.elks_password, row.webhook_token, row.allowed_ips) == ("Env-Elks-Pass-42", ENV_TOKEN, ["192.0.2.0/24"])
    response = api.put("/settings/sms", {**body, "elks_password": "New-Pass-1", "webhook_token": ""})
    assert response.status_code == 200
    assert (response.json()["elks_password_set"], response.json()["webhook_token_set"]) == (True, False)
    row.refresh_from_db()
    assert (row.elks_password, row.webhook_token) == ("New-Pass-1", "")
    assert "New-Pass-1" not in response.content.decode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "twilio"}, "provider"),
        ({"provider": "console", "sender": "Lofte Support AB"}, "sender"),
        ({"provider": "console", "allowed_ips": ["192.0.2.5/24"]}, "allowed_ips"),
        ({"provider": "console", "webhook_token": "short"}, "webhook_token"),
        ({"provider": "46elks", "sender": "Lofte", "elks_password": ""}, "elks_username"),
        ({"provider": "console", "allowed_ips": "192.0.2.1"}, "allowed_ips"),
    ],
)
def test_put_refuses_a_wrong_value_naming_its_field_and_saves_nothing(admin, sms_dir, body, field):
    response = Api(admin).put("/settings/sms", body)
    assert response.status_code == 422
    assert response.json()["field"] == field
    assert not SmsSettings.objects.exists()


def test_the_test_sends_through_the_console_and_makes_no_outbox_row(admin, sms_dir):
    response = Api(admin).post("/settings/sms/test", {"to": "0701234567"})
    assert response.status_code == 200
    [line] = sent(sms_dir)
    assert response.json() == {
        "outcome": "sent",
        "message": f"Sent to +46701234567 through console: provider id {line['id']}.",
        "to": "+46701234567",
        "provider": "console",
        "provider_id": line["id"],
    }
    assert not OutboxMessage.objects.exists() and not SmsDelivery.objects.exists()


def test_the_test_refuses_what_is_no_number_and_is_rate_limited(admin, sms_dir):
    api = Api(admin)
    response = api.post("/settings/sms/test", {"to": "12"})
    assert (response.status_code, response.json()["field"]) == (422, "to")
    for _ in range(10):
        assert api.post("/settings/sms/test", {"to": "+46701234567"}).json()["outcome"] == "sent"
    response = api.post("/settings/sms/test", {"to": "+46701234567"})
    assert (response.status_code, response.json()["code"]) == (429, "rate_limited")
    assert int(response["Retry-After"]) > 0
    assert len(sent(sms_dir)) == 10


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.AGENT, Role.QA_REVIEWER])
def test_other_roles_get_403_and_nothing_changes_or_is_sent(team, sms_dir, role):
    api = Api(AgentFactory(role=role, teams=[team]))
    response = api.get("/settings/sms")
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert ENV_TOKEN not in response.content.decode()
    assert api.put("/settings/sms", {"provider": "none"}).status_code == 403
    assert api.post("/settings/sms/test", {"to": "+46701234567"}).status_code == 403
    assert not SmsSettings.objects.exists() and sent(sms_dir) == []


def test_without_a_token_it_is_401(sms_dir):
    api = Api(None)
    assert api.get("/settings/sms").status_code == 401
    assert api.put("/settings/sms", {"provider": "none"}).status_code == 401
    assert api.post("/settings/sms/test", {"to": "+46701234567"}).status_code == 401
    assert not SmsSettings.objects.exists() and sent(sms_dir) == []
