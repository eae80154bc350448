"""End to end in headless Chromium (Debian's, never a downloaded browser):
an agent logs in, opens a case from the inbox, replies, and sees the reply
in the timeline without a page reload (HTMX)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Direction, Message
from lofte.cases.tests.factories import make_case
from lofte.customers.services import customer_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_logs_in_opens_a_case_replies_and_sees_the_reply(live_server, page: Page):
    team = TeamFactory(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password="hemligt-lösen-1")
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="sv")
    case = make_case(customer=customer, team=team, subject="Fel belopp på fakturan", body="Fakturan är 400 kr för hög.")

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill("anna@example.se")
    page.get_by_label("Password").fill("hemligt-lösen-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/")

    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", name="Fel belopp på fakturan")).to_be_visible()
    expect(page.locator(".timeline")).to_contain_text("Fakturan är 400 kr för hög.")

    page.evaluate("window.__stayed = true")  # survives only if the reply does not reload the page
    page.locator("#reply-body").fill("Hej Karin! Vi har krediterat 400 kr.")
    page.get_by_role("button", name="Send reply").click()
    expect(page.locator("#undo-bar")).to_contain_text("Sending…")  # held a few seconds, to be undone

    reply = page.locator(".timeline .message-out")
    expect(reply).to_contain_text("Hej Karin! Vi har krediterat 400 kr.", timeout=10_000)
    expect(reply).to_contain_text("to karin@example.se")
    expect(page.locator("[role=status]")).to_contain_text("Reply sent.")
    assert page.evaluate("window.__stayed") is True
    expect(page.locator("#reply-body")).to_have_value("")

    sent = Message.objects.get(case=case, direction=Direction.OUT)
    assert sent.body_text == "Hej Karin! Vi har krediterat 400 kr."
    assert sent.outbox_message is not None
