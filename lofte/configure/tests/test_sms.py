"""The SMS provider settings page (/configure/sms/): the environment applies until the first save, then the saved
row does (for sending, webhooks and the outbox alike); write-only secrets; validation beside each field; the
webhook addresses (masked, shown in full only when asked for with a POST or when a token is made); and "send a
test SMS" through the console provider and through 46elks against a fake 46elks on loopback, which makes no case,
outbox row or delivery report."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseEvent, Message
from lofte.channels.sms.config import sms_config
from lofte.channels.sms.models import InboundSms, SmsDelivery, SmsSettings
from lofte.channels.sms.probe import probe_text
from lofte.channels.sms.services import sms_opt_out
from lofte.channels.tests.test_sms_46elks import PASSWORD, USERNAME, FakeElks, fake_elks  # noqa: F401 (a fixture)
from lofte.core.models import RateLimitCounter
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_deliver_due, outbox_enqueue

pytestmark = pytest.mark.django_db

ENV_TOKEN = "env-token-0123456789abcdef"
ENV_FROM = "+46766861004"
BASE = "https://lofte.example.se"
URL = "/configure/sms/"
HX = {"HX-Request": "true"}


@pytest.fixture
def sms_dir(settings: Any, tmp_path: Path) -> Path:
    """The environment as a deployment sets it: the console provider, a sender, a webhook token."""
    settings.LOFTE_SMS_PROVIDER = "console"
    settings.LOFTE_SMS_FROM = ENV_FROM
    settings.LOFTE_SMS_WEBHOOK_TOKEN = ENV_TOKEN
    settings.LOFTE_SMS_ALLOWED_IPS = []
    settings.LOFTE_SMS_46ELKS_USERNAME = ""
    settings.LOFTE_SMS_46ELKS_PASSWORD = ""
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    settings.LOFTE_BASE_URL = BASE
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    return tmp_path / "sent-sms"


def sent(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for f in sorted(directory.glob("*.jsonl")) for line in f.read_text().splitlines()]


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "provider": "console",
        "sender": "Lofte",
        "elks_username": "",
        "elks_password": "",
        "webhook_token": "",
        "allowed_ips": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def error_for(page: str, field: str) -> str:
    start = page.index(f'data-error-for="{field}"')
    return page[start : start + 400]


def nothing_sent_anywhere() -> None:
    assert not OutboxMessage.objects.exists()
    assert not SmsDelivery.objects.exists()
    assert not Case.objects.exists() and not Message.objects.exists() and not CaseEvent.objects.exists()
    assert not InboundSms.objects.exists()


# --- the page, and where the settings come from -------------------------------------------------------------


def test_until_the_first_save_the_page_shows_the_environment_and_never_its_secrets(admin_client, sms_dir, settings):
    settings.LOFTE_SMS_46ELKS_PASSWORD = "Env-Elks-Pass-42"
    response = admin_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-sms-state="on"' in page and 'data-source="environment"' in page
    assert 'data-provider="console"' in page and f"data-sender>{ENV_FROM}</dd>" in page
    assert '<dd data-secret="elks_password">set</dd>' in page and '<dd data-secret="webhook_token">set</dd>' in page
    assert ENV_TOKEN not in page and "Env-Elks-Pass-42" not in page
    # the addresses to give the provider, with the token masked
    assert f"{BASE}/api/v1/inbound/sms/console/env-…" in page
    assert f"{BASE}/api/v1/inbound/sms/console/env-…/receipt" in page
    assert 'name="elks_password"' in page and 'name="webhook_token"' in page
    assert not SmsSettings.objects.exists()  # looking saves nothing


def test_the_first_save_takes_over_the_environment_and_from_then_on_the_row_wins(
    admin, admin_client, sms_dir, settings
):
    response = admin_client.post(URL, form(sender="+46 70 111 22 33"))
    assert response.status_code == 302 and response["Location"] == URL
    row = SmsSettings.objects.get()
    assert (row.provider, row.sender, row.webhook_token, row.allowed_ips) == ("console", "+46701112233", ENV_TOKEN, [])
    assert row.updated_by == admin and row.updated_at is not None
    # the environment no longer decides anything the page holds
    settings.LOFTE_SMS_PROVIDER = ""
    settings.LOFTE_SMS_FROM = "+46700000000"
    settings.LOFTE_SMS_WEBHOOK_TOKEN = "another-env-token-000000"
    config = sms_config()
    assert (config.provider, config.sender, config.webhook_token, config.source) == (
        "console",
        "+46701112233",
        ENV_TOKEN,
        "saved",
    )
    page = admin_client.get(URL).content.decode()
    assert 'data-source="saved"' in page and "by Ada Admin" in page


def test_the_outbox_sends_with_the_saved_sender_and_gives_the_saved_token_in_the_receipt_url(
    admin_client, sms_dir, settings
):
    admin_client.post(URL, form(sender="Lofte", webhook_token="saved-token-abcdefghijklmnop"))
    with_row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "Hej!"})
    outbox_deliver_due()
    with_row.refresh_from_db()
    assert with_row.state == OutboxState.SENT
    [line] = sent(sms_dir)
    assert (line["from"], line["to"], line["message"]) == ("Lofte", "+46701234567", "Hej!")
    assert line["callback_url"] == (
        f"{BASE}/api/v1/inbound/sms/console/saved-token-abcdefghijklmnop/receipt?outbox={with_row.pk}"
    )


def test_provider_none_turns_sms_off_for_the_outbox_and_the_webhooks(admin_client, sms_dir):
    admin_client.post(URL, form(provider="none"))
    row = outbox_enqueue(channel="sms", to="+46701234567", payload={"text": "Hej!"})
    outbox_deliver_due()
    row.refresh_from_db()
    assert row.state == OutboxState.DEAD
    assert row.last_error == "SMS is off: no provider is chosen on the SMS settings page (/configure/sms/)."
    response = Client().post(f"/api/v1/inbound/sms/console/{ENV_TOKEN}", {"id": "x1", "from": "+46701234567"})
    assert response.status_code == 404
    assert sent(sms_dir) == [] and not InboundSms.objects.exists()
    page = admin_client.get(URL).content.decode()
    assert 'data-sms-state="off"' in page and 'data-webhooks-reason="provider"' in page


def test_the_webhooks_check_the_saved_token_and_addresses(admin_client, sms_dir):
    admin_client.post(
        URL, form(webhook_token="saved-token-abcdefghijklmnop", allowed_ips="192.0.2.0/24\n2001:db8::/32")
    )
    inbound = {"id": "in-1", "from": "+46701234567", "to": ENV_FROM, "message": "Hej"}
    old = Client(REMOTE_ADDR="192.0.2.7").post(f"/api/v1/inbound/sms/console/{ENV_TOKEN}", inbound)
    assert (old.status_code, old.json()["code"]) == (401, "bad_token")
    elsewhere = Client(REMOTE_ADDR="198.51.100.9").post(
        "/api/v1/inbound/sms/console/saved-token-abcdefghijklmnop", inbound
    )
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (401, "ip_not_allowed")
    assert not InboundSms.objects.exists()
    ok = Client(REMOTE_ADDR="192.0.2.7").post("/api/v1/inbound/sms/console/saved-token-abcdefghijklmnop", inbound)
    assert ok.status_code == 200 and ok.json()["outcome"] == "created"
    assert InboundSms.objects.get().sender == "+46701234567"


# --- write-only secrets ----------------------------------------------------------------------------------------


def elks_form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "provider": "46elks",
        "sender": "Lofte",
        "elks_username": "u123",
        "elks_password": "Elks-Pass-5678",
    }
    return form(**(data | changes))


def test_secrets_are_never_rendered_empty_keeps_them_and_clear_removes_them(admin_client, sms_dir):
    assert admin_client.post(URL, elks_form(webhook_token="typed-token-abcdefghijkl")).status_code == 302
    page = admin_client.get(URL).content.decode()
    assert "Elks-Pass-5678" not in page and "typed-token-abcdefghijkl" not in page
    assert "A password is stored: leave empty to keep it" in page
    # empty fields keep them
    assert admin_client.post(URL, elks_form(elks_password="", sender="Kundservice")).status_code == 302
    row = SmsSettings.objects.get()
    assert (row.sender, row.elks_password, row.webhook_token) == (
        "Kundservice",
        "Elks-Pass-5678",
        "typed-token-abcdefghijkl",
    )
    # a refused form does not send them back either
    refused = admin_client.post(URL, elks_form(elks_password="", sender="+4612"))
    assert refused.status_code == 422
    assert "Elks-Pass-5678" not in refused.content.decode() and "typed-token" not in refused.content.decode()
    # clearing the token turns the webhooks off
    assert admin_client.post(URL, elks_form(elks_password="", clear_webhook_token="on")).status_code == 302
    row.refresh_from_db()
    assert (row.elks_password, row.webhook_token) == ("Elks-Pass-5678", "")
    assert 'data-webhooks-reason="token"' in admin_client.get(URL).content.decode()


def test_clearing_and_typing_a_secret_at_once_is_refused(admin_client, sms_dir):
    response = admin_client.post(URL, form(webhook_token="typed-token-abcdefghijkl", clear_webhook_token="on"))
    assert response.status_code == 422
    assert "Either enter a new value or clear the stored one, not both." in error_for(
        response.content.decode(), "webhook_token"
    )
    assert not SmsSettings.objects.exists()


def test_46elks_without_its_password_is_refused_and_clearing_it_is_too(admin_client, sms_dir):
    response = admin_client.post(URL, elks_form(elks_password=""))
    assert response.status_code == 422
    assert "46elks needs the API password from its dashboard." in error_for(response.content.decode(), "elks_password")
    assert admin_client.post(URL, elks_form()).status_code == 302
    response = admin_client.post(URL, elks_form(elks_password="", clear_elks_password="on"))
    assert response.status_code == 422
    assert SmsSettings.objects.get().elks_password == "Elks-Pass-5678"


# --- validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"provider": "twilio"}, "provider", "Select a valid choice."),
        ({"sender": "Lofte Support AB"}, "sender", "A sender name is at most 11 characters"),
        ({"sender": "Kundtjänst"}, "sender", "A sender name is at most 11 characters"),
        ({"sender": "Lofte!"}, "sender", "A sender name is at most 11 characters"),
        ({"sender": "+4612"}, "sender", "is neither a phone number (in E.164, e.g. +46701234567) nor a sender name"),
        ({"allowed_ips": "192.0.2.5/24"}, "allowed_ips", "has bits set after the prefix: the network is 192.0.2.0/24"),
        ({"allowed_ips": "192.0.2.1\nexample.com"}, "allowed_ips", "is not an IP address or a network"),
        ({"allowed_ips": "10.0.0.0/33"}, "allowed_ips", "is not an IP address or a network"),
        ({"webhook_token": "short"}, "webhook_token", "A webhook token is 16 to 128 letters"),
        ({"webhook_token": "has/slash/in/it/0123456789"}, "webhook_token", "A webhook token is 16 to 128 letters"),
        ({"elks_username": "user name"}, "elks_username", "An API username has no spaces or colons."),
        ({"provider": "46elks", "sender": ""}, "sender", "46elks needs a sender: a phone number or a name."),
        ({"provider": "46elks", "elks_password": "x"}, "elks_username", "46elks needs the API username"),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_nothing_is_written(admin_client, sms_dir, changes, field, message):
    response = admin_client.post(URL, form(**changes))
    assert response.status_code == 422
    assert message in error_for(response.content.decode(), field)
    assert not SmsSettings.objects.exists()


def test_senders_and_addresses_are_normalised(admin_client, sms_dir):
    response = admin_client.post(
        URL, form(sender="070-123 45 67", allowed_ips="192.0.2.10\n192.0.2.0/24, 2001:DB8::/32\n\n192.0.2.10")
    )
    assert response.status_code == 302
    row = SmsSettings.objects.get()
    assert row.sender == "+46701234567"
    assert row.allowed_ips == ["192.0.2.10", "192.0.2.0/24", "2001:db8::/32"]
    assert admin_client.post(URL, form(sender="  Lofte 24 ")).status_code == 302
    assert SmsSettings.objects.get().sender == "Lofte 24"


def test_saving_is_logged_with_who_and_what_but_never_a_secret(admin_client, sms_dir, caplog):
    with caplog.at_level(logging.INFO, logger="lofte.channels.sms.settings_services"):
        admin_client.post(URL, elks_form(webhook_token="typed-token-abcdefghijkl"))
    [record] = [r for r in caplog.records if r.name == "lofte.channels.sms.settings_services"]
    line = record.getMessage()
    assert "admin@example.com" in line and "provider 46elks" in line
    assert "elks_password" in line and "webhook_token" in line and "(from environment)" in line
    assert "Elks-Pass-5678" not in line and "typed-token-abcdefghijkl" not in line


# --- the preview -------------------------------------------------------------------------------------------------


def test_the_preview_says_what_the_form_would_do_and_saves_nothing(admin_client, sms_dir):
    response = admin_client.post(f"{URL}preview", elks_form(allowed_ips="192.0.2.0/24"), headers=HX)
    assert response.status_code == 200
    partial = response.content.decode()
    assert "<html" not in partial
    assert "sent through 46elks" in partial
    assert "Lofte: a name, customers cannot answer it" in partial
    assert f"{BASE}/api/v1/inbound/sms/46elks/env-…" in partial  # the address names the provider chosen
    assert "192.0.2.0/24" in partial
    assert probe_text() in partial and "1 SMS (GSM-7)" in partial
    assert "Elks-Pass-5678" not in partial and ENV_TOKEN not in partial
    number = admin_client.post(f"{URL}preview", form(sender="+46701234567"), headers=HX).content.decode()
    assert "+46701234567: customers can answer" in number
    bad = admin_client.post(f"{URL}preview", form(sender="Lofte Support AB"), headers=HX).content.decode()
    assert "A sender name is at most 11 characters" in bad
    assert not SmsSettings.objects.exists()
    assert admin_client.get(f"{URL}preview").status_code == 200


# --- the webhook addresses and the token -----------------------------------------------------------------------------


def test_the_full_addresses_are_shown_only_when_asked_for_with_a_post(admin_client, sms_dir):
    assert ENV_TOKEN not in admin_client.get(URL).content.decode()
    response = admin_client.post(f"{URL}webhooks", headers=HX)
    assert response.status_code == 200
    partial = response.content.decode()
    assert f'data-webhook="inbound">{BASE}/api/v1/inbound/sms/console/{ENV_TOKEN}</code>' in partial
    assert f'data-webhook="receipt">{BASE}/api/v1/inbound/sms/console/{ENV_TOKEN}/receipt</code>' in partial
    assert not SmsSettings.objects.exists()  # showing saves nothing
    assert ENV_TOKEN in admin_client.post(f"{URL}webhooks").content.decode()  # without HTMX: the page


def test_a_new_token_is_shown_once_and_the_old_one_is_refused(admin, admin_client, sms_dir):
    response = admin_client.post(f"{URL}token")
    assert response.status_code == 200
    row = SmsSettings.objects.get()
    token = row.webhook_token
    assert token != ENV_TOKEN and len(token) == 32 and row.updated_by == admin
    assert (row.provider, row.sender) == ("console", ENV_FROM)  # taken over from the environment
    page = response.content.decode()
    assert f"{BASE}/api/v1/inbound/sms/console/{token}" in page
    assert "The old one is refused from now on." in page
    assert token not in admin_client.get(URL).content.decode()
    inbound = {"id": "in-1", "from": "+46701234567", "message": "Hej"}
    assert Client().post(f"/api/v1/inbound/sms/console/{ENV_TOKEN}", inbound).status_code == 401
    assert Client().post(f"/api/v1/inbound/sms/console/{token}", inbound).status_code == 200


def test_the_page_warns_when_the_installation_sends_no_sms(admin_client, sms_dir, settings):
    settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
    page = admin_client.get(URL).content.decode()
    assert 'data-sms-state="off"' in page and 'data-warning="transport"' in page


def test_the_page_reads_the_settings_in_a_fixed_number_of_queries(admin_client, sms_dir, django_assert_num_queries):
    admin_client.post(URL, form())
    admin_client.get(URL)  # the session and the agent are read once per request, as on every page
    with django_assert_num_queries(5):
        assert admin_client.get(URL).status_code == 200


# --- send a test SMS: the console ------------------------------------------------------------------------------


def test_a_test_sms_goes_through_the_console_and_makes_no_case_outbox_or_delivery(admin_client, sms_dir):
    response = admin_client.post(f"{URL}test", {"to": "070-123 45 67"}, headers=HX)
    assert response.status_code == 200
    partial = response.content.decode()
    [line] = sent(sms_dir)
    assert (line["from"], line["to"], line["message"], line["callback_url"]) == (
        ENV_FROM,
        "+46701234567",
        "A test message from Lofte: SMS works.",
        "",
    )
    assert 'data-outcome="sent"' in partial
    assert f"Sent to +46701234567 through console: provider id {line['id']}." in partial
    nothing_sent_anywhere()


def test_the_test_text_is_in_the_admins_language(admin, admin_client, sms_dir):
    admin.language = "fi"
    admin.save(update_fields=["language"])
    admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX)
    [line] = sent(sms_dir)
    with translation.override("fi"):
        assert line["message"] == probe_text()


def test_a_test_sms_when_sms_is_off_says_so_and_sends_nothing(admin_client, sms_dir):
    admin_client.post(URL, form(provider="none"))
    page = admin_client.post(f"{URL}test", {"to": "+46701234567"}).content.decode()
    assert 'data-outcome="off"' in page and "SMS is off: choose a provider and save the settings first." in page
    assert sent(sms_dir) == []
    assert not RateLimitCounter.objects.exists()


def test_a_number_that_opted_out_gets_no_test(admin_client, sms_dir):
    sms_opt_out(phone="+46701234567", keyword="STOP")
    page = admin_client.post(f"{URL}test", {"to": "+46701234567"}).content.decode()
    assert 'data-outcome="opted_out"' in page and "+46701234567 has opted out of SMS" in page
    assert sent(sms_dir) == []


@pytest.mark.parametrize("to", ["12", "not a number", "+4612", ""])
def test_a_test_to_something_that_is_no_number_is_refused_beside_the_field(admin_client, sms_dir, to):
    response = admin_client.post(f"{URL}test", {"to": to})
    assert response.status_code == 422
    assert error_for(response.content.decode(), "to")
    partial = admin_client.post(f"{URL}test", {"to": to}, headers=HX)
    assert partial.status_code == 200 and 'data-error-for="to"' in partial.content.decode()
    assert sent(sms_dir) == []


def test_the_test_is_rate_limited(admin_client, sms_dir):
    for _ in range(10):
        assert admin_client.post(f"{URL}test", {"to": "+46701234567"}).status_code == 200
    response = admin_client.post(f"{URL}test", {"to": "+46701234567"})
    assert response.status_code == 429
    assert "Too many test messages; try again in" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert len(sent(sms_dir)) == 10
    limited = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX)
    assert limited.status_code == 200 and "data-limited" in limited.content.decode()


def test_the_test_needs_the_csrf_token(admin, sms_dir):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(f"{URL}test", {"to": "+46701234567"}).status_code == 403
    assert client.post(f"{URL}token").status_code == 403
    assert sent(sms_dir) == [] and not SmsSettings.objects.exists()


# --- send a test SMS: 46elks, against a fake 46elks on loopback -------------------------------------------------


@pytest.fixture
def elks_saved(admin_client: Client, sms_dir: Path, settings: Any, fake_elks: FakeElks) -> FakeElks:  # noqa: F811
    settings.LOFTE_SMS_46ELKS_URL = fake_elks.url
    response = admin_client.post(
        URL, form(provider="46elks", sender="Lofte", elks_username=USERNAME, elks_password=PASSWORD)
    )
    assert response.status_code == 302
    return fake_elks


def test_a_test_sms_through_46elks_posts_the_documented_form_and_reports_its_id(admin_client, elks_saved):
    response = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX)
    partial = response.content.decode()
    [request] = elks_saved.requests
    assert request["path"] == "/a1/sms"
    assert request["form"] == {
        "from": "Lofte",
        "to": "+46701234567",
        "message": "A test message from Lofte: SMS works.",
    }
    assert 'data-outcome="sent"' in partial and 'data-provider-id="s00000000000000000000000000000001"' in partial
    assert "Sent to +46701234567 through 46elks: provider id s00000000000000000000000000000001." in partial
    nothing_sent_anywhere()


def test_46elks_refusing_is_reported_with_its_answer_and_never_the_password(admin_client, elks_saved):
    elks_saved.answer = (403, f"Not enough credits (login {PASSWORD})")
    partial = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX).content.decode()
    assert 'data-outcome="refused"' in partial
    assert "Not sent: 46elks refused the SMS to +46701234567 (403): Not enough credits" in partial
    assert PASSWORD not in partial
    nothing_sent_anywhere()


def test_46elks_unavailable_is_reported_as_such(admin_client, elks_saved):
    elks_saved.answer = (503, "Service unavailable")
    partial = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX).content.decode()
    assert 'data-outcome="failed"' in partial
    assert "Not sent: 46elks could not take the SMS now (503): Service unavailable" in partial
    nothing_sent_anywhere()


def test_a_wrong_password_is_46elks_refusing_the_login(admin_client, elks_saved):
    SmsSettings.objects.update(elks_password="wrong-password-1")
    partial = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX).content.decode()
    assert 'data-outcome="refused"' in partial and "(401): Invalid username or password" in partial


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server on loopback that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/a1"
    finally:
        listener.close()


def test_46elks_not_answering_in_time_is_a_timeout(admin_client, elks_saved, settings, silent_server):
    settings.LOFTE_SMS_46ELKS_URL = silent_server
    settings.LOFTE_SMS_TIMEOUT_SECONDS = 1
    partial = admin_client.post(f"{URL}test", {"to": "+46701234567"}, headers=HX).content.decode()
    assert 'data-outcome="timeout"' in partial
    assert "Not sent: 46elks did not answer in time (the limit is 1 s)." in partial
    nothing_sent_anywhere()


# --- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.AGENT, Role.QA_REVIEWER])
def test_other_roles_get_403_and_nothing_changes_or_is_sent(client, team, sms_dir, role):
    client.force_login(AgentFactory(role=role, teams=[team]))
    for url in (URL, f"{URL}preview"):
        response = client.get(url)
        assert response.status_code == 403 and "Only admins can change this." in response.content.decode()
    for url, data in (
        (URL, form(provider="none")),
        (f"{URL}preview", form()),
        (f"{URL}webhooks", {}),
        (f"{URL}token", {}),
        (f"{URL}test", {"to": "+46701234567"}),
    ):
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert ENV_TOKEN not in response.content.decode()
    assert not SmsSettings.objects.exists() and sent(sms_dir) == []
    assert not RateLimitCounter.objects.exists()


def test_anonymous_is_sent_to_the_login_page(client, sms_dir):
    for url in (URL, f"{URL}test", f"{URL}token"):
        response = client.post(url, {"to": "+46701234567"})
        assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert not SmsSettings.objects.exists() and sent(sms_dir) == []


def test_the_actions_are_post_only(admin_client, sms_dir):
    for url in (f"{URL}webhooks", f"{URL}token", f"{URL}test"):
        assert admin_client.get(url).status_code == 405, url
    assert not SmsSettings.objects.exists()


def test_the_settings_index_links_the_page(admin_client):
    page = admin_client.get("/configure/").content.decode()
    assert f'href="{URL}" data-section="sms"' in page


def test_the_admin_site_shows_the_saved_settings_read_only_and_never_their_secrets(admin_client, sms_dir):
    admin_client.post(URL, elks_form(webhook_token="typed-token-abcdefghijkl"))
    for page in ("/admin/lofte_channels/smssettings/", "/admin/lofte_channels/smssettings/1/change/"):
        response = admin_client.get(page)
        assert response.status_code == 200, page
        assert "Elks-Pass-5678" not in response.content.decode() and "typed-token" not in response.content.decode()
    assert admin_client.get("/admin/lofte_channels/smssettings/add/").status_code == 403
    response = admin_client.post("/admin/lofte_channels/smssettings/1/change/", {"provider": "none"})
    assert response.status_code == 403
    assert SmsSettings.objects.get().provider == "46elks"


def test_a_provider_the_environment_names_that_lofte_lacks_is_shown_as_off(admin_client, sms_dir, settings):
    settings.LOFTE_SMS_PROVIDER = "twilio"
    page = admin_client.get(URL).content.decode()
    assert 'data-sms-state="off"' in page and 'data-provider="twilio">twilio</dd>' in page
    response = admin_client.post(URL, form(provider="twilio"))
    assert response.status_code == 422
    assert admin_client.post(URL, form(provider="console")).status_code == 302
    assert SmsSettings.objects.get().provider == "console"


def test_the_answers_with_the_token_are_not_kept_by_the_browser(admin_client, sms_dir):
    for url in (f"{URL}webhooks", f"{URL}token"):
        response = admin_client.post(url)
        assert "no-store" in response["Cache-Control"], url


def test_the_page_turns_sms_off_and_on_for_replies_at_once(admin_client, sms_dir, team):
    """SMS off on the page: a reply on an SMS case goes by email to a customer who has an address, and a customer
    with only a phone number is told about clearly; on again: by SMS."""
    from lofte.cases.services import case_reply
    from lofte.cases.tests.factories import make_case
    from lofte.core.errors import ValidationFailed
    from lofte.customers.services import customer_create

    both = customer_create(name="Karin Kund", email="karin@example.se", phone="+46701234567", language="sv")
    phone_only = customer_create(name="Pelle Telefon", phone="+46701112233", language="sv")
    agent = AgentFactory(teams=[team])
    sms_case = make_case(customer=both, team=team, channel="sms", body="Hej via sms")
    lone_case = make_case(customer=phone_only, team=team, channel="sms", body="Hej")
    assert admin_client.post(URL, form(provider="none")).status_code == 302
    assert case_reply(case=sms_case, author=agent, body="Svar.").channel == "email"
    with pytest.raises(ValidationFailed, match="no address this reply can be sent to"):
        case_reply(case=lone_case, author=agent, body="Svar.")
    assert admin_client.post(URL, form(provider="console")).status_code == 302
    assert case_reply(case=sms_case, author=agent, body="Svar igen.").channel == "sms"
    assert case_reply(case=lone_case, author=agent, body="Svar.").channel == "sms"


def test_sms_is_on_when_a_provider_is_chosen_and_the_transport_installed(settings, db):
    from lofte.outbox.transports import channel_on

    settings.LOFTE_SMS_PROVIDER = ""
    assert channel_on("sms") is False  # nothing saved: the environment says none
    settings.LOFTE_SMS_PROVIDER = "console"
    assert channel_on("sms") is True
    SmsSettings.objects.create(pk=1, provider="none")
    assert channel_on("sms") is False  # the page wins
    settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
    SmsSettings.objects.filter(pk=1).update(provider="console")
    assert channel_on("sms") is False  # a deployment that leaves the transport out sends none
