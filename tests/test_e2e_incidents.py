"""An incident end to end in headless Chromium: a customer follows the status page by email (signs up, opens the
confirmation link, confirms); a team lead opens a critical incident, is reminded of the next public update before
the 10-minute mark, and posts the ready update, which the subscriber receives once; a new contact sees the outage
banner on the contact form, writes in the incident's words and is linked to it (the acknowledgement points to the
status page); the lead resolves the incident, solving the linked cases, which get the final update, and the
status page is green again. The status page and the contact form are also checked at a phone's width."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from playwright.sync_api import Browser, Page, ViewportSize, expect

from lofte.accounts.models import Agent, Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.models import Case
from lofte.core import clock
from lofte.incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentCase,
    IncidentStatus,
    Severity,
    Subscriber,
)
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.tasks import promise_tick

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "hemligt-lösen-1"
TITLE = "Log-in with BankID does not work"
FOLLOWER = "fredrik@example.se"
READY = "We are still investigating the problem."
FINAL = "The problem is solved."
PHONE = ViewportSize(width=390, height=844)


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def hh_mm(moment) -> str:  # type: ignore[no-untyped-def]
    """A time as the pages show it to an agent without a time zone of their own: the site's."""
    return str(moment.astimezone(ZoneInfo(django_settings.TIME_ZONE)).strftime("%H:%M"))


def updates_to(address: str, status: str) -> list[OutboxMessage]:
    return [m for m in OutboxMessage.objects.filter(to=address) if m.payload.get("subject") == f"[{status}] {TITLE}"]


def fits(page: Page) -> bool:
    """Nothing wider than the phone's screen: no sideways scrolling."""
    return int(page.evaluate("document.documentElement.scrollWidth")) <= PHONE["width"]


def test_an_incident_from_opening_to_the_final_update(live_server, page: Page, browser: Browser, settings):
    settings.LOFTE_BASE_URL = live_server.url  # the links in the messages lead to this server
    settings.LOFTE_CONTACT_MIN_SECONDS = 0  # a person takes a moment to write; the test does not
    settings.LOFTE_STATUS_CACHE_SECONDS = 0  # the status page and the banner are read fresh at every request
    team = Team.objects.create(name="Kundservice")
    lead = cast(
        Agent,
        AgentFactory(
            email="lena@example.se",
            name="Lena Lead",
            teams=[team],
            password=PASSWORD,
            language="en",
            role=Role.TEAM_LEAD,
        ),
    )
    bank = ComponentGroup.objects.create(name="Online banking", names={"sv": "Internetbanken"})
    login = Component.objects.create(group=bank, name="Log-in", names={"sv": "Inloggning"}, position=1)
    payments = Component.objects.create(group=bank, name="Payments", names={"sv": "Betalningar"}, position=2)
    Component.objects.create(name="Mobile app", position=3)
    # someone who follows only the payments: nothing about the log-in reaches them
    other = Subscriber.objects.create(
        kind="email", address="paula@example.se", language="en", nonce="n0", confirmed_at=clock.now()
    )
    other.components.set([payments])

    # 1. a customer follows the status page by email, for the log-in, and confirms from the link in the mail
    follower = browser.new_context(locale="en-US").new_page()
    follower.goto(f"{live_server.url}/status/?lang=en")
    expect(follower.locator("p.status-overall")).to_contain_text("All systems are working.")
    signup = follower.locator("section.status-subscribe")
    expect(signup.get_by_role("radio", name="Email")).to_be_checked()
    signup.get_by_label("Email address or mobile number").fill(FOLLOWER)
    signup.get_by_label("Log-in").check()
    signup.get_by_role("button", name="Subscribe").click()
    expect(follower.locator("main")).to_contain_text("We have sent you a link")
    [confirmation] = OutboxMessage.objects.filter(to=FOLLOWER)
    assert confirmation.payload["subject"] == "Confirm your status updates"
    link = re.search(r"https?://\S+/status/confirm/\S+", confirmation.payload["text"])
    assert link is not None
    follower.goto(link.group(0))
    expect(follower.locator("main")).to_contain_text(f"Send the status updates to {FOLLOWER}?")
    assert Subscriber.objects.get(address=FOLLOWER).confirmed_at is None  # opening the link confirms nothing
    follower.get_by_role("button", name="Yes, send them").click()
    expect(follower.locator("main")).to_contain_text(f"Confirmed: {FOLLOWER} gets the status updates.")
    subscriber = Subscriber.objects.get(address=FOLLOWER)
    assert subscriber.is_active and subscriber.language == "en"
    assert list(subscriber.components.all()) == [login]

    # 2. the lead opens a critical incident from the incident list
    log_in(page, live_server.url, "lena@example.se")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Incidents").click()
    expect(page.locator("h1")).to_have_text("Incidents")
    page.get_by_role("link", name="Open an incident").click()
    page.get_by_label("Public title").fill(TITLE)
    page.get_by_label("Severity").select_option(label="Critical")
    page.get_by_label("Log-in", exact=True).select_option(label="Major outage")
    page.get_by_label("Words that tie a new contact to it").fill("bank id\ncannot log in")
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The incident is open and on the status page.")
    incident = Incident.objects.get()
    assert (incident.severity, incident.status, incident.owner_agent) == (Severity.CRITICAL, "investigating", lead)
    expect(page).to_have_url(f"{live_server.url}/incidents/{incident.pk}/")
    promise = Promise.objects.get(subject_type="incident", subject_id=incident.pk, kind=PromiseKind.INCIDENT_UPDATE)
    assert promise.due_at == incident.started_at + timedelta(minutes=10)  # the critical cadence: every 10 minutes
    expect(page.locator("p.notice[role=status]")).to_have_text(
        f"Next public update promised by {hh_mm(promise.due_at)}."
    )
    expect(page.locator("ol.incident-timeline")).to_contain_text("No update yet.")

    # 3. eight minutes in, the promise engine reminds the owner: before the due time, nothing broken
    eight = incident.started_at + timedelta(minutes=8)
    with clock.at(eight):
        ticked = promise_tick.call()
    assert (ticked["reminded"], ticked["broken"]) == (1, 0)
    [reminder] = Notification.objects.filter(agent=lead)
    assert reminder.kind == "promise_reminder" and reminder.created_at < promise.due_at
    assert reminder.url == f"/incidents/{incident.pk}/"
    assert not Notification.objects.filter(kind__contains="broken").exists()
    page.goto(f"{live_server.url}/notifications/")
    page.get_by_role("link", name=re.compile(rf"^Reminder: .* #{incident.pk} is due")).click()
    expect(page).to_have_url(f"{live_server.url}/incidents/{incident.pk}/")

    # 4. the lead posts the ready update in one click; the subscriber gets it once, with a link to stop
    ready = page.locator("section.card", has=page.get_by_role("heading", name="Keep the cadence"))
    expect(ready).to_contain_text(READY)
    ready.get_by_role("button", name="Post this update").click()
    expect(page.locator(".messages")).to_contain_text("The ready update is posted")
    expect(page.locator("ol.incident-timeline")).to_contain_text(READY)
    expect(page.locator("ol.incident-timeline")).to_contain_text("ready text")
    assert Promise.objects.get(pk=promise.pk).state == PromiseState.KEPT
    [update_mail] = updates_to(FOLLOWER, "Investigating")
    assert READY in update_mail.payload["text"]
    stop = re.search(r"https?://\S+/status/unsubscribe/\S+", update_mail.payload["text"])
    assert stop is not None
    assert update_mail.payload["headers"]["List-Unsubscribe"] == f"<{stop.group(0)}>"
    following = Promise.objects.get(
        subject_type="incident", subject_id=incident.pk, kind=PromiseKind.INCIDENT_UPDATE, state=PromiseState.PENDING
    )
    first_update_at = Incident.objects.get().first_update_at
    assert first_update_at is not None and following.due_at == first_update_at + timedelta(minutes=10)
    page.reload()
    expect(page.locator("ol.incident-timeline > li")).to_have_count(1)
    expect(page.locator("p.notice[role=status]")).to_have_text(
        f"Next public update promised by {hh_mm(following.due_at)}."
    )
    assert len(updates_to(FOLLOWER, "Investigating")) == 1  # reloading posts nothing again
    assert OutboxMessage.objects.filter(to=FOLLOWER).count() == 2  # the confirmation and this update
    assert not OutboxMessage.objects.filter(to="paula@example.se").exists()
    follower.goto(f"{live_server.url}/status/?lang=en")
    active = follower.locator(f"article#incident-{incident.pk}")
    expect(active).to_contain_text(TITLE)
    expect(active).to_contain_text("Log-in: Major outage")
    expect(active.locator("ol.status-updates")).to_contain_text(READY)

    # the status page and the contact form with its banner, on a phone: nothing wider than the screen
    phone = browser.new_context(viewport=PHONE, locale="en-US").new_page()
    phone.goto(f"{live_server.url}/status/?lang=en")
    expect(phone.locator(f"article#incident-{incident.pk}")).to_be_visible()
    assert fits(phone)
    phone.goto(f"{live_server.url}/contact?lang=en")
    expect(phone.locator("aside.outage-banner")).to_be_visible()
    assert fits(phone)
    phone.context.close()

    # 5. a new contact: the banner on the form names the incident; their case is linked in their own words
    karin = browser.new_context(locale="en-US").new_page()
    karin.goto(f"{live_server.url}/contact?lang=en")
    banner = karin.locator("aside.outage-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(TITLE)
    expect(banner.get_by_role("link", name="Follow it on the status page")).to_have_attribute("href", "/status/")
    karin.get_by_label("Your name").fill("Karin Kund")
    karin.get_by_label("Email address").fill("karin@example.se")
    karin.get_by_label("Subject").fill("Log-in")
    karin.get_by_label("Your message").fill("I cannot log in with bank id since this morning.")
    karin.get_by_role("button", name="Send").click()
    expect(karin.locator("main")).to_contain_text("Thank you")
    case = Case.objects.get()
    link_row = IncidentCase.objects.get()
    assert (link_row.incident_id, link_row.case_id, link_row.automatic, link_row.answered) == (
        incident.pk,
        case.pk,
        True,
        True,
    )
    call_command("worker", "--once", "--no-schedule", verbosity=0)
    acknowledge_new_cases(now=clock.now())
    [ack] = OutboxMessage.objects.filter(to="karin@example.se")
    assert case.reference in ack.payload["text"]
    assert f"We know about the problem ({TITLE})" in ack.payload["text"]
    assert f"{live_server.url}/status/" in ack.payload["text"]
    page.reload()
    expect(page.get_by_role("region", name="Linked cases")).to_contain_text(case.reference)

    # 6. the lead resolves it, solving the linked cases: each gets the final update; the status page is green
    form = page.locator(f"form[action='/incidents/{incident.pk}/updates']")
    form.get_by_label("Update", exact=True).fill(FINAL)
    form.get_by_label("Status", exact=True).select_option(label="Resolved")
    form.get_by_label("When resolving, also solve the linked cases").check()
    form.get_by_role("button", name="Post", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("The update is posted.")
    expect(page.locator("section.incident > p strong").first).to_have_text("Resolved")
    expect(page.get_by_role("button", name="Post this update")).to_have_count(0)  # a resolved incident takes none
    expect(page.get_by_role("region", name="Linked cases")).to_contain_text("told")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None
    finals = [m for m in OutboxMessage.objects.filter(to="karin@example.se") if FINAL in m.payload.get("text", "")]
    assert len(finals) == 1
    assert f"Update on {TITLE}: {FINAL}" in finals[0].payload["text"]
    case.refresh_from_db()
    assert case.status == "solved"
    assert IncidentCase.objects.get().final_sent_at is not None
    assert len(updates_to(FOLLOWER, "Resolved")) == 1  # the subscriber hears it too, once
    assert not Promise.objects.filter(
        subject_type="incident", subject_id=incident.pk, state=PromiseState.PENDING
    ).exists()
    karin.goto(f"{live_server.url}/contact?lang=en")
    expect(karin.locator("h1")).to_contain_text("Contact us")
    expect(karin.locator("aside.outage-banner")).to_have_count(0)
    follower.goto(f"{live_server.url}/status/?lang=en")
    expect(follower.locator("p.status-overall")).to_contain_text("All systems are working.")
    expect(follower.locator(f"details#incident-{incident.pk}")).to_contain_text(TITLE)  # in the history

    # the link to stop, from the mail: opening it stops nothing; the button does
    follower.goto(stop.group(0))
    expect(follower.locator("main")).to_contain_text(f"Stop the status updates to {FOLLOWER}?")
    assert Subscriber.objects.get(pk=subscriber.pk).unsubscribed_at is None
    follower.get_by_role("button", name="Stop them").click()
    expect(follower.locator("main")).to_contain_text(f"{FOLLOWER} gets no more status updates.")
    assert Subscriber.objects.get(pk=subscriber.pk).unsubscribed_at is not None
