"""Text understanding end to end in headless Chromium: a customer writes through the contact form, the worker
reads the message (the case type applied, the complaint suggested), and the agent confirms the complaint with one
click on the case page: the tag is set and the answer is kept to learn from."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from lofte.accounts.models import Team
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import Case, CaseType
from lofte.triage import predict
from lofte.triage.models import Field, Source, Suggestion, TrainingExample
from lofte.triage.tests.data import INVOICE, LOGIN, MOVING
from lofte.triage.tests.helpers import install, seed_pairs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "hemligt-lösen-1"
COMPLAINT = (
    "Olen todella tyytymätön. Laskuni on taas väärin ja lupasitte korjata sen jo kaksi kertaa. "
    "Haluan tehdä virallisen valituksen ja saada hyvityksen."
)


def test_the_worker_suggests_and_the_agent_confirms_in_one_click(live_server, page: Page, settings):
    settings.LOFTE_CONTACT_MIN_SECONDS = 0  # a person takes a moment to write; the test does not
    predict.forget_all()
    team = Team.objects.create(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password=PASSWORD, language="en")
    invoice, moving, login = (
        CaseType.objects.create(name=n, default_team=team) for n in ("Invoice", "Moving", "Login")
    )
    pairs = [(t, str(invoice.pk)) for t in INVOICE] + [(t, str(moving.pk)) for t in MOVING]
    install(Field.CASE_TYPE, pairs + [(t, str(login.pk)) for t in LOGIN], apply_at=0.0)
    install(Field.COMPLAINT, seed_pairs(Field.COMPLAINT), apply_at=1.01)  # sure or not, it waits for the agent

    # 1. the customer writes, in Finnish, through the contact form
    page.goto(f"{live_server.url}/contact?lang=en")
    page.get_by_label("Your name").fill("Liisa Virtanen")
    page.get_by_label("Email address").fill("liisa@example.fi")
    page.get_by_label("Subject").fill("Lasku väärin taas")
    page.get_by_label("Message").fill(COMPLAINT)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("main")).to_contain_text("Thank you")
    case = Case.objects.get()
    assert case.case_type is None

    # 2. the worker reads it: the case type is applied, the complaint suggested
    call_command("worker", "--once", "--no-schedule", verbosity=0)
    case.refresh_from_db()
    assert case.case_type == invoice
    complaint = Suggestion.objects.get(field=Field.COMPLAINT)

    # 3. the agent sees both on the case page and confirms the complaint
    case.team = team
    case.save(update_fields=["team"])
    page.goto(f"{live_server.url}/login/")
    page.locator("#id_username").fill("anna@example.se")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form[action='/login/'] button[type=submit]").click()
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.locator("ol.timeline")).to_contain_text("chose the case type from the customer's words")
    panel = page.locator("section.case-suggestions")
    expect(panel).to_contain_text("A complaint")
    panel.locator(f'li[data-suggestion="{complaint.pk}"]').get_by_role("button", name="Right").click()
    # answered in place (HTMX): the case comes back without the answered suggestion, with the tag
    expect(page.locator(f'li[data-suggestion="{complaint.pk}"]')).to_have_count(0)  # answered: off the panel
    expect(page.locator("section.case-suggestions")).to_contain_text("Invoice")  # applied, still open to correct
    expect(page.locator("#case")).to_contain_text("complaint")
    assert [t.name for t in case.tags.all()] == ["complaint"]
    example = TrainingExample.objects.get(source=Source.CORRECTION)
    assert (example.field, example.label, example.case_id) == (Field.COMPLAINT, "complaint", case.pk)
    predict.forget_all()
