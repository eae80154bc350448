"""The settings pages in a real browser: they fit a 390 px screen, and the calendar's preview follows the form as
it changes (HTMX), without saving."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.tests.factories import CaseTypeFactory
from lofte.channels.models import Mailbox
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar
from lofte.promises.policies import policy_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def log_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).to_have_url(f"{base}/inbox/")


def test_the_settings_pages_fit_a_phone_and_the_preview_follows_the_form(live_server, page: Page):
    team = TeamFactory(name="Kundservice för företagskunder i hela Norden")
    AgentFactory(email="rita@example.se", role=Role.ADMIN, password=PASSWORD, language="en")
    calendar = calendar_create(
        name="Kontorstid för kundservice i Stockholm " * 2,
        country="SE",
        special_hours={"2026-12-23": [["10:00", "14:00"]]},
    )
    policy = policy_create(
        name="Guldkunder med avtal " * 3,
        tier="A",
        team=team,
        first_response_minutes=60,
        first_response_calendar=calendar,
    )
    case_type = CaseTypeFactory(name="Fakturafrågor om abonnemang " * 3, default_team=team)
    mailbox = Mailbox.objects.create(
        name="support", address="kundservice.foretag@example.se", team=team, imap_host="imap.example.se", imap_user="x"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "rita@example.se")
    for address in (
        "/configure/",
        "/configure/calendars/",
        "/configure/calendars/new",
        f"/configure/calendars/{calendar.pk}/",
        "/configure/sla/",
        f"/configure/sla/{policy.pk}/",
        "/configure/case-types/",
        f"/configure/case-types/{case_type.pk}/",
        "/configure/mailboxes/",
        f"/configure/mailboxes/{mailbox.pk}/",
    ):
        page.goto(live_server.url + address)
        wide = page.evaluate(
            "Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > 391)"
            ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
        )
        assert int(page.evaluate("document.documentElement.scrollWidth")) <= 390, (address, wide)

    page.goto(f"{live_server.url}/configure/calendars/{calendar.pk}/")
    monday = page.locator("#calendar-preview").get_by_text("08:00–17:00").first
    expect(monday).to_be_visible()
    page.locator("#id_mon_open_0").fill("09:15")
    page.locator("#id_mon_open_0").press("Tab")  # a change, by keyboard
    expect(page.locator("#calendar-preview")).to_contain_text("09:15–17:00")
    assert BusinessCalendar.objects.get(pk=calendar.pk).opening_hours["mon"] == [["08:00", "17:00"]]
