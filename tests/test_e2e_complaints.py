"""A complaint end to end in headless Chromium: a customer writes through the contact form, text understanding
takes it for a complaint (the register, the 24-hour deadline), the agent completes the procedure but for the
step that needs a team lead, proposes compensation above their limit; the team lead signs the step off and
approves the compensation; the case is solved; fourteen days later the customer answers the temperature check
"no" from the link in the mail, and the case is open again with a promise."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from lofte.accounts.models import Role, Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case
from lofte.complaints import checks
from lofte.complaints.models import ApprovalLimit, Category, Compensation, Complaint, ProcedureStep
from lofte.core import clock
from lofte.outbox.models import OutboxMessage
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.triage import predict
from lofte.triage.models import Field
from lofte.triage.tests.helpers import install, seed_pairs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "hemligt-lösen-1"
MESSAGE = (
    "I am very unhappy. The invoice is wrong for the third time, you promised to call me back and nobody did. "
    "I want to make a formal complaint."
)


def log_in(page: Page, url: str, email: str) -> None:
    page.goto(f"{url}/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))


def test_a_complaint_from_the_form_to_a_reopened_case(live_server, page: Page, browser: Browser, settings):
    settings.LOFTE_CONTACT_MIN_SECONDS = 0  # a person takes a moment to write; the test does not
    predict.forget_all()
    team = Team.objects.create(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password=PASSWORD, language="en")
    AgentFactory(
        email="lena@example.se", name="Lena Lead", teams=[team], password=PASSWORD, language="en", role=Role.TEAM_LEAD
    )
    billing = Category.objects.create(name="Billing")
    ProcedureStep.objects.create(category=billing, order=1, text="Call the customer back")
    ProcedureStep.objects.create(category=billing, order=2, text="Lead signs off", required_role="team_lead")
    ApprovalLimit.objects.create(role=Role.AGENT, currency="SEK", amount=500)
    install(Field.COMPLAINT, seed_pairs(Field.COMPLAINT), apply_at=0.0)  # sure enough: applied

    # 1. the customer writes through the contact form (without ticking "complaint")
    page.goto(f"{live_server.url}/contact?lang=en")
    page.get_by_label("Your name").fill("Karin Kund")
    page.get_by_label("Email address").fill("karin@example.se")
    page.get_by_label("Subject").fill("Wrong invoice again")
    page.get_by_label("Message").fill(MESSAGE)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Thank you")
    case = Case.objects.get()

    # 2. the worker reads it: a complaint, in the register, with its deadline
    call_command("worker", "--once", "--no-schedule", verbosity=0)
    complaint = Complaint.objects.get(case=case)
    assert (complaint.source, complaint.is_active) == ("detection", True)
    deadline = Promise.objects.get(subject_type="complaint", kind=PromiseKind.RESOLUTION)
    assert deadline.due_at == case.created_at + timedelta(hours=24)
    case.team = team
    case.save(update_fields=["team"])

    # 3. the agent: the register shows it; on the case, the category, one step, compensation above the limit
    log_in(page, live_server.url, "anna@example.se")
    page.goto(f"{live_server.url}/complaints/")
    expect(page.locator("table.complaint-register")).to_contain_text(case.reference)
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    panel = page.locator("section.case-complaint")
    expect(page.locator("ol.timeline")).to_contain_text("took the case for a complaint")
    panel.get_by_label("Category").select_option(label="Billing")
    panel.get_by_role("button", name="Save complaint").click()
    expect(panel).to_contain_text("2 steps left")
    panel.locator("li[data-step]").filter(has_text="Call the customer back").get_by_role("button").click()
    expect(panel).to_contain_text("1 step left")
    expect(panel.locator("li[data-step]").filter(has_text="Lead signs off").get_by_role("button")).to_have_count(0)
    panel.locator("summary", has_text="Propose compensation").click()
    panel.get_by_label("Kind").select_option("voucher")
    panel.get_by_label("Amount").fill("1200")
    panel.get_by_label("Currency").select_option("SEK")
    panel.get_by_label("Reason").last.fill("Three broken promises to call back")
    panel.get_by_role("button", name="Propose").click()
    expect(page.locator(".messages")).to_contain_text("waits for approval")
    # solving now is refused: the procedure is not complete
    page.locator("#status-select").select_option("solved")
    page.locator("section.card", has=page.locator("#status-select")).get_by_role("button", name="Change").click()
    expect(page.locator("#case")).to_contain_text("Complete the complaint's procedure before solving the case")
    assert Case.objects.get(pk=case.pk).status != "solved"

    # 4. the team lead signs the step off and approves the compensation, then solves the case
    lead = browser.new_context().new_page()
    log_in(lead, live_server.url, "lena@example.se")
    lead.goto(f"{live_server.url}/cases/{case.reference}/")
    lead_panel = lead.locator("section.case-complaint")
    lead_panel.locator("li[data-step]").filter(has_text="Lead signs off").get_by_role("button").click()
    expect(lead_panel).to_contain_text("complete")
    offer = lead_panel.locator("li[data-compensation]")
    offer.get_by_placeholder("Why").fill("Fair after three broken promises")
    offer.get_by_role("button", name="Approve").click()
    expect(lead.locator(".messages")).to_contain_text("Compensation approved")
    assert Compensation.objects.get().state == "approved"
    lead.locator("#status-select").select_option("solved")
    lead.locator("section.card", has=lead.locator("#status-select")).get_by_role("button", name="Change").click()
    expect(lead.locator("#case")).to_contain_text("Status changed to Solved")
    case.refresh_from_db()
    assert case.status == "solved"
    assert Promise.objects.get(pk=deadline.pk).state == PromiseState.KEPT  # handled within the 24 hours

    # 5. fourteen days later the customer is asked; the link in the mail, answered "no", reopens the case
    assert case.solved_at is not None
    with clock.at(case.solved_at + timedelta(minutes=1)):
        checks.checks_run(now=case.solved_at + timedelta(minutes=1))
    later = case.solved_at + timedelta(days=14, minutes=2)
    with clock.at(later):
        assert checks.checks_run(now=later)["sent"] == 1
    [mail] = [m for m in OutboxMessage.objects.all() if "is the problem still solved" in m.payload.get("text", "")]
    link = re.search(r"(https?://\S+/check/\S+)\?answer=no", mail.payload["text"])
    assert link is not None
    customer = browser.new_context().new_page()
    customer.goto(link.group(1).replace(settings.LOFTE_BASE_URL.rstrip("/"), live_server.url) + "?answer=no")
    expect(customer.locator("h1")).to_contain_text("Is the problem still solved?")
    customer.get_by_label("Anything you want to add? (optional)").fill("The invoice is still wrong.")
    customer.get_by_role("button", name="No, it is not solved").click()
    expect(customer.locator("main")).to_contain_text(f"We have reopened your case {case.reference}")
    case.refresh_from_db()
    assert case.status == "open"
    assert Promise.objects.filter(case=case, kind=PromiseKind.FOLLOW_UP, state=PromiseState.PENDING).count() == 1
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator("ol.timeline")).to_contain_text("the problem is not solved")
    predict.forget_all()
