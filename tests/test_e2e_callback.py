"""A callback end to end in headless Chromium: a customer requests a call from /callback, sees the
confirmation with the time, and an agent logs "reached" on the callback queue: the promise is kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from lofte.accounts.models import Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.callbacks.models import Callback, CallbackCapacity
from lofte.promises.calendars import calendar_create
from lofte.promises.models import Promise, PromiseKind, PromiseState

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_customer_requests_a_callback_and_the_agent_reaches_them(live_server, page: Page, browser: Browser, settings):
    settings.LOFTE_TRANSPORTS = {"email": "lofte.channels.email.transport.EmailTransport"}
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    team = Team.objects.create(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password="hemligt-lösen-1")
    # open around the clock, so there are free slots whenever the test runs
    calendar = calendar_create(name="Telefon", time_zone="Europe/Stockholm", always_open=True)
    CallbackCapacity.objects.create(team=team, per_slot=2, slot_minutes=15, calendar=calendar)

    # 1. the customer asks to be called
    page.goto(f"{live_server.url}/callback?lang=en")
    page.get_by_label("Your phone number").fill("070-765 43 21")
    page.get_by_label("Your name").fill("Per Persson")
    # the second time offered: the first may start within the seconds between showing the page and sending it
    # (a run at 19:29:59 was told "That time has passed"), which is the page's own check, not this test's subject
    page.locator("input[name=slot]").nth(1).check()
    page.get_by_role("button", name="Call me back").click()
    expect(page.locator("#callback-confirmation")).to_contain_text("We will call you on")
    expect(page.locator("#callback-confirmation")).to_contain_text("from 08-123 456 78")
    callback = Callback.objects.select_related("case", "promise").get()
    promise = callback.promise
    assert promise is not None and promise.kind == PromiseKind.CALLBACK
    expect(page.locator("#callback-confirmation")).to_have_text(promise.customer_text)
    expect(page.locator("main")).to_contain_text(callback.case.reference)
    assert (callback.phone, callback.case.channel) == ("+46707654321", "phone")

    # 2. the agent calls back and logs it from the queue
    agent_page = browser.new_context().new_page()
    agent_page.goto(f"{live_server.url}/login/")
    agent_page.get_by_label("Email address").fill("anna@example.se")
    agent_page.get_by_label("Password").fill("hemligt-lösen-1")
    agent_page.get_by_role("button", name="Log in").click()
    agent_page.goto(f"{live_server.url}/callbacks/")
    row = agent_page.locator(f"#callback-{callback.pk}")
    expect(row.get_by_role("link", name="+46 70 765 43 21")).to_have_attribute("href", "tel:+46707654321")
    row.get_by_label("Outcome").select_option("reached")
    row.get_by_label("Note").fill("Helped with the invoice.")
    row.get_by_role("button", name="Log attempt").click()
    expect(agent_page.locator("[role=status]")).to_contain_text(f"{callback.case.reference}: Reached logged.")
    expect(agent_page.locator(f"#callback-{callback.pk}")).to_have_count(0)

    promise.refresh_from_db()
    assert promise.state == PromiseState.KEPT
    assert promise.kept_at is not None and promise.kept_at <= promise.due_at
    assert (
        Promise.objects.filter(case=callback.case, kind=PromiseKind.CALLBACK, state=PromiseState.PENDING).count() == 0
    )
