"""The help centre end to end, in headless Chromium: a customer searches in Swedish, reads an article, says
whether it helped, writes to us from it while the form suggests answers as they type; the agent sees on the
case what the customer read and searched, finds the answer in the reply box and inserts its link."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Case
from lofte.kb import services
from lofte.kb.models import ArticleVote
from lofte.kb.tests.factories import article, embedded

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_search_read_vote_write_and_the_agent_answers(live_server, page: Page, settings) -> None:
    settings.LOFTE_BASE_URL = live_server.url
    settings.LOFTE_CONTACT_MIN_SECONDS = 0
    team = TeamFactory(name="Kundservice")
    AgentFactory(email="anna@example.se", name="Anna Agent", teams=[team], password="hemligt-lösen-1")
    water = article(
        "Hur anmäler jag en vattenskada?",
        "Anmäl vattenskadan på **Mina sidor** inom 14 dagar. Hemförsäkringen ersätter läckage.",
    )
    services.translation_add(
        actor=None,
        article=water.article,
        language="en",
        title="How do I report water damage?",
        body="Report it on My pages within 14 days.",
        publish=True,
    )
    article("Strømbrudd: hva gjør jeg?", "Sjekk sikringene først.", language="nb")
    embedded()

    # 1. the help centre in Swedish: a compound, typed without its diacritics, finds the article
    page.goto(f"{live_server.url}/help/sv/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.get_by_role("searchbox").first.fill("forsakring for hemmet vatten")
    page.get_by_role("searchbox").first.press("Enter")
    page.get_by_role("link", name="Hur anmäler jag en vattenskada?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hur anmäler jag en vattenskada?")
    expect(page.locator('link[rel="alternate"][hreflang="en"]')).to_have_count(1)

    # 2. did this help? no, and a comment; without leaving the page
    page.get_by_role("button", name="Nej", exact=True).click()
    expect(page.locator(".help-vote [role=status]")).to_be_visible()
    assert list(ArticleVote.objects.values_list("language", "channel", "helpful")) == [("sv", "help_centre", False)]

    # 3. a Swedish question only a Norwegian article answers: found, and said to be in Norwegian
    page.goto(f"{live_server.url}/help/sv/search?q=str%C3%B6mavbrott")
    expect(page.get_by_role("link", name="Strømbrudd: hva gjør jeg?")).to_be_visible()

    # 4. write to us from the article; the form suggests the answer as the customer types
    page.goto(f"{live_server.url}/help/sv/a/{water.slug}")
    page.get_by_role("link", name=re.compile("Skriv till oss")).click()
    page.get_by_label("Ditt namn").fill("Karin Lind")
    page.get_by_label("E-postadress").fill("karin@example.se")
    page.get_by_label("Ämne").press_sequentially("vattenskada i köket", delay=20)
    suggestions = page.locator("#contact-suggestions")
    expect(suggestions.get_by_role("link", name="Hur anmäler jag en vattenskada?")).to_be_visible()
    page.get_by_label(re.compile("Ditt meddelande")).fill("Det läcker under diskbänken, vad gör jag?")
    page.get_by_role("button", name="Skicka").click()
    expect(page).to_have_url(re.compile("/contact/thanks/"))
    case = Case.objects.get()

    # 5. the agent sees what the customer read and searched, and inserts the answer's link
    page.goto(f"{live_server.url}/login/")
    page.get_by_label(re.compile("[Ee]mail")).fill("anna@example.se")
    page.get_by_label(re.compile("[Pp]assword")).fill("hemligt-lösen-1")
    page.get_by_role("button", name=re.compile("Log in")).click()
    page.goto(f"{live_server.url}/cases/{case.reference}/")
    expect(page.get_by_text("read before writing:")).to_be_visible()
    expect(page.get_by_text("“forsakring for hemmet vatten”")).to_be_visible()
    page.locator("#kb-q").fill("vattenskada")
    hit = page.locator("#kb-results [data-kb-hit]").first
    expect(hit).to_contain_text("Hur anmäler jag en vattenskada?")
    hit.get_by_role("button", name="Insert link").click()
    expect(page.locator("#reply-body")).to_have_value(
        f"[Hur anmäler jag en vattenskada?]({live_server.url}/help/sv/a/{water.slug})"
    )
