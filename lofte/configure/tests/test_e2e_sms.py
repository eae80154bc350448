"""The SMS settings page in a real browser: it fits a 390 px screen; the preview follows the form (HTMX) without
saving; saving shows the new state; "show the full addresses", "make a new token" (after the page asks) and
"send a test SMS" (the console provider: a line in its file) answer in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.channels.sms.models import SmsSettings
from lofte.configure.tests.test_e2e_settings import PASSWORD, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ENV_TOKEN = "env-token-0123456789abcdef"


def test_the_sms_page_previews_saves_shows_the_addresses_and_sends_a_test(
    live_server: Any, page: Page, settings: Any, tmp_path: Path
) -> None:
    settings.LOFTE_SMS_PROVIDER = "console"
    settings.LOFTE_SMS_FROM = "+46766861004"
    settings.LOFTE_SMS_WEBHOOK_TOKEN = ENV_TOKEN
    settings.LOFTE_SMS_ALLOWED_IPS = []
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    settings.LOFTE_BASE_URL = "https://lofte.example.se"
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "sms": "lofte.channels.sms.transport.SmsTransport"}
    AgentFactory(email="rita@example.se", role=Role.ADMIN, password=PASSWORD, language="en")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "rita@example.se")
    page.goto(f"{live_server.url}/configure/sms/")
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 390

    # the preview follows the form, and nothing is saved
    preview = page.locator("#sms-preview")
    expect(preview).to_contain_text("sent through Console")
    page.locator("#id_sender").fill("Lofte")
    page.locator("#id_sender").press("Tab")
    expect(preview).to_contain_text("Lofte: a name, customers cannot answer it")
    page.locator("#id_sender").fill("Lofte Support AB")
    page.locator("#id_sender").press("Tab")
    expect(preview).to_contain_text("A sender name is at most 11 characters")
    assert not SmsSettings.objects.exists()

    # saving
    page.locator("#id_sender").fill("Lofte")
    page.locator("form[action='/configure/sms/'] button[type=submit]").click()
    expect(page.locator("[data-source]")).to_have_attribute("data-source", "saved")
    expect(page.locator("[data-sender]")).to_have_text("Lofte")
    assert SmsSettings.objects.get().sender == "Lofte"

    # the addresses, in full when asked for
    inbound = page.locator("[data-webhook=inbound]")
    expect(inbound).to_have_text("https://lofte.example.se/api/v1/inbound/sms/console/env-…")
    page.get_by_role("button", name="Show the full addresses").click()
    expect(inbound).to_have_text(f"https://lofte.example.se/api/v1/inbound/sms/console/{ENV_TOKEN}")

    # a new token, after the page asks
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Make a new token").click()
    expect(page.locator("[data-revealed]")).to_be_visible()
    token = SmsSettings.objects.get().webhook_token
    assert token != ENV_TOKEN
    expect(inbound).to_have_text(f"https://lofte.example.se/api/v1/inbound/sms/console/{token}")

    # a test SMS
    page.locator("#id_to").fill("070-123 45 67")
    page.get_by_role("button", name="Send a test SMS").click()
    result = page.locator("#sms-test [data-outcome]")
    expect(result).to_have_attribute("data-outcome", "sent")
    expect(result).to_contain_text("Sent to +46701234567 through console: provider id console-")
    [line] = [json.loads(x) for f in (tmp_path / "sent-sms").glob("*.jsonl") for x in f.read_text().splitlines()]
    assert (line["from"], line["to"]) == ("Lofte", "+46701234567")
