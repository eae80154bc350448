"""The customer's side end to end, in headless Chromium, with a real SMTP server on loopback:
submit the contact form, receive the acknowledgement with its promised time, ask for a magic link,
follow it, see the case with the promise, add a message, and see that message on the agent's side."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.acknowledgements import acknowledge_new_cases
from lofte.cases.models import Case, Direction, Message
from lofte.cases.tests.factories import CaseTypeFactory
from lofte.core import clock
from lofte.outbox.services import outbox_deliver_due
from lofte.outbox.tests.smtp import Recorder, smtp_server, use_smtp
from lofte.promises.models import Promise, PromiseKind
from lofte.promises.policies import policy_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp(settings) -> Iterator[Recorder]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder


def worker_runs() -> None:
    """What `lofte worker` does every few seconds: run the queued tasks (a portal link is looked up and sent
    there), acknowledge new cases, deliver the outbox."""
    call_command("worker", "--once", "--no-schedule", verbosity=0)
    acknowledge_new_cases(now=clock.now())
    outbox_deliver_due()


def text_of(message) -> str:  # type: ignore[no-untyped-def]
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def test_contact_form_acknowledgement_portal_and_back_to_the_agent(
    live_server, page: Page, browser: Browser, smtp: Recorder, settings
):
    settings.LOFTE_BASE_URL = live_server.url
    settings.LOFTE_CONTACT_MIN_SECONDS = 0
    team = TeamFactory(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password="hemligt-lösen-1")
    CaseTypeFactory(name="Faktura", default_team=team, is_public=True, public_names={"en": "Invoice"})
    policy_create(name="Standard", first_response_minutes=8 * 60)

    # 1. the contact form
    page.goto(f"{live_server.url}/contact?lang=en")
    page.get_by_label("Your name").fill("Karin Lind")
    page.get_by_label("Email address").fill("karin@example.se")
    page.get_by_label("What is it about?").select_option(label="Invoice")
    page.get_by_label("Subject").fill("Wrong amount on my invoice")
    page.get_by_label("Message").fill("My invoice says 1 400 kr but the order was 1 000 kr.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Thank you")
    case = Case.objects.get()
    expect(page.locator("main")).to_contain_text(case.reference)
    assert (case.channel, case.case_type.name, case.team) == ("web", "Faktura", team)

    # 2. the acknowledgement arrives by email, with the time we promised
    worker_runs()
    [ack] = smtp.messages
    assert ack["To"] == "karin@example.se"
    assert ack["Auto-Submitted"] == "auto-replied"
    promise = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
    assert case.reference in text_of(ack)
    assert promise.customer_text and promise.customer_text in text_of(ack)

    # 3. a magic link to the portal
    page.goto(f"{live_server.url}/portal/")
    page.get_by_label("Your email address or phone number").fill("karin@example.se")
    page.get_by_role("button", name=re.compile("Send")).click()
    expect(page.locator("main")).to_contain_text("If we know this address")
    worker_runs()
    link_mail = smtp.messages[-1]
    link = re.search(r"http://\S+/portal/login/\S+", text_of(link_mail))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Continue").click()

    # 4. the case, with its promised time
    expect(page.locator("main")).to_contain_text(case.reference)
    page.get_by_role("link", name="Wrong amount on my invoice").click()
    expect(page.locator("main")).to_contain_text("Wrong amount on my invoice")
    expect(page.locator("main")).to_contain_text(promise.customer_text)

    # 5. the customer adds a message
    page.get_by_label("Your message").fill("The order number is 55123.")
    page.get_by_role("button", name=re.compile("Send")).click()
    expect(page.locator("main")).to_contain_text("The order number is 55123.")
    added = Message.objects.filter(case=case, direction=Direction.IN).order_by("id").last()
    assert added is not None and added.channel == "web" and added.body_text == "The order number is 55123."

    # 6. the agent sees it on the case
    agent_page = browser.new_context().new_page()
    agent_page.goto(f"{live_server.url}/login/")
    agent_page.get_by_label("Email address").fill("anna@example.se")
    agent_page.get_by_label("Password").fill("hemligt-lösen-1")
    agent_page.get_by_role("button", name="Log in").click()
    agent_page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(agent_page.locator(".timeline")).to_contain_text("The order number is 55123.")
    expect(agent_page.locator(".timeline")).to_contain_text(promise.customer_text)
