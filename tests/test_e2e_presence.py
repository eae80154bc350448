"""In headless Chromium (Debian's), two agents in two browser contexts on the same case (L09): each sees
the other viewing, one sees the other typing in the reply box, and the name goes when its agent leaves,
also when HTMX swaps another case into the page. Served by config.asgi under uvicorn (websockets), with
the Content-Security-Policy on: no violation.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.tests.factories import make_case
from lofte.customers.services import customer_create
from tests.test_e2e_ui import PASSWORD, RECORD_VIOLATIONS, asgi_server, log_in, violations  # noqa: F401 (fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(browser: Browser, base: str, email: str) -> Page:
    context = browser.new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    log_in(page, base, email)
    return page


def test_two_agents_see_each_other_view_type_and_leave(asgi_server: str, browser: Browser):  # noqa: F811
    base = asgi_server
    team = TeamFactory(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password=PASSWORD, language="en")
    AgentFactory(email="bea@example.se", name="Bea Berg", teams=[team], password=PASSWORD, language="en")
    customer = customer_create(name="Karin Kund", email="karin@example.se", language="en")
    case = make_case(customer=customer, team=team, subject="Fel belopp på fakturan", body="Fakturan är fel.")
    other = make_case(customer=customer, team=team, subject="Leveransen är sen", body="Var är paketet?")

    anna = signed_in(browser, base, "anna@example.se")
    anna.goto(f"{base}/cases/{case.reference}/")
    anna_sees = anna.locator("#case [data-presence]")
    expect(anna_sees).to_be_empty()  # alone
    expect(anna_sees).to_be_hidden()

    bea = signed_in(browser, base, "bea@example.se")
    bea.goto(f"{base}/cases/{case.reference}/")
    bea_sees = bea.locator("#case [data-presence]")
    expect(anna_sees).to_have_text("Bea Berg is viewing")
    expect(bea_sees).to_have_text("Anna Agent is viewing")

    bea.locator("#reply-body").press_sequentially("Hej Karin, ")
    expect(anna_sees).to_have_text("Bea Berg is typing…")
    expect(bea_sees).to_have_text("Anna Agent is viewing")  # her own typing is not shown to her
    expect(anna_sees).to_have_text("Bea Berg is viewing", timeout=10_000)  # stopped typing: runs out after 6 s

    # the inbox's pane: HTMX swaps another case into #case; Bea leaves the first case and is on the second
    bea.evaluate(
        "ref => htmx.ajax('GET', '/cases/' + ref + '/', {target: '#case', swap: 'outerHTML'})", other.reference
    )
    expect(bea.locator("#case")).to_have_attribute("data-case", other.reference)
    expect(anna_sees).to_be_empty()
    expect(bea_sees).to_be_empty()
    anna.goto(f"{base}/cases/{other.reference}/")
    expect(anna_sees).to_have_text("Bea Berg is viewing")
    expect(bea_sees).to_have_text("Anna Agent is viewing")

    assert violations(bea) == []
    bea.context.close()  # gone without a word from the page: the socket's close says it
    expect(anna_sees).to_be_empty()
    assert violations(anna) == []
