"""In headless Chromium: an admin writes the breach notice in Swedish, the preview and its SMS count follow the typing
(HTMX, no button), a bad placeholder is named at once, Save keeps the text and Reset brings the built-in one back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import NoticeTemplate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "hemligt-lösen-1"


def test_the_preview_follows_the_typing_and_reset_brings_the_built_in_text_back(live_server, page: Page):
    admin = AgentFactory(email="admin@example.se", role=Role.ADMIN, password=PASSWORD, language="en")
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill(admin.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/")

    page.goto(f"{live_server.url}/templates/notices/")
    page.locator('tr[data-notice="breach"] td[data-language="sv"] a').click()
    expect(page.locator("h1")).to_have_text("Broken promise: a new time · Swedish")
    expect(page.locator("#notice-preview pre")).to_contain_text("Du hör av oss senast")

    body = page.locator("#id_body")
    body.fill("Förlåt, {customer_name}! Svar senast {when}.")
    body.press("End")
    expect(page.locator("#notice-preview pre")).to_contain_text("Förlåt, Karin Lindqvist-Johansson! Svar senast")
    expect(page.locator("#notice-preview [data-sms-count]")).to_contain_text("1 SMS (GSM-7)")

    body.fill("Förlåt {when.__class__}")
    body.press("End")
    expect(page.locator("#notice-preview [data-error-for=body]")).to_contain_text(
        "{when.__class__} is not a placeholder"
    )
    assert NoticeTemplate.objects.count() == 0  # the preview saves nothing

    body.fill("Förlåt, {customer_name}! Svar senast {when}.")
    page.locator("form.card button.primary").click()
    expect(page.locator("[data-state]")).to_contain_text("Your own text")
    assert list(NoticeTemplate.objects.values_list("language", "body")) == [
        ("sv", "Förlåt, {customer_name}! Svar senast {when}.")
    ]

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reset to the built-in text").click()
    expect(page.locator("[data-state]")).to_contain_text("Customers get Lofte's built-in text.")
    assert NoticeTemplate.objects.count() == 0
    expect(page.locator("#id_body")).to_have_value(
        "Vi har inte lyckats svara inom den tid vi lovade, och det beklagar vi. Du hör av oss senast {when}."
    )
