"""The agents' knowledge-base pages: who gets what (every page per role), the list (filters, states, query
count), reading, and the JSON answers for the reply box."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.kb import services
from lofte.kb.models import (
    Article,
    ArticleTranslation,
    Section,
    Visibility,
)
from tests.permissions import snapshot

pytestmark = pytest.mark.django_db

ROLES = {
    "agent": Role.AGENT,
    "lead": Role.TEAM_LEAD,
    "qa": Role.QA_REVIEWER,
    "admin": Role.ADMIN,
}


def make_people() -> dict[str, Agent]:
    made: dict[str, Agent] = {}
    for name, role in ROLES.items():
        made[name] = AgentFactory(email=f"{name}@example.com", name=name.title(), role=role)  # type: ignore[assignment]
    return made


def make_kb() -> dict[str, Any]:
    """An open category (agents publish) and a reviewed one (leads publish), a section in each, and two articles:
    a public published one in the open section (en and sv) and an internal draft in the reviewed one."""
    open_ = services.category_save(actor=None, slug="billing", names={"en": "Billing", "sv": "Fakturor"})
    reviewed = services.category_save(
        actor=None, slug="security", names={"en": "Security"}, requires_review=True, position=1
    )
    invoices = services.section_save(actor=None, category=open_, slug="invoices", names={"en": "Invoices"})
    accounts = services.section_save(actor=None, category=reviewed, slug="accounts", names={"en": "Accounts"})
    public = services.article_create(
        actor=None,
        section=invoices,
        language="en",
        title="Change the invoice address",
        body="Open **Settings** and choose *Invoices*.",
        publish=True,
    )
    services.translation_add(
        actor=None,
        article=public.article,
        language="sv",
        title="Ändra fakturaadressen",
        body="Öppna **Inställningar**.",
        publish=True,
    )
    internal = services.article_create(
        actor=None,
        section=accounts,
        language="en",
        title="Reset two-factor for a customer",
        body="Check the identity first.",
        visibility=Visibility.INTERNAL,
    )
    return {  # type: ignore[misc]
        "open": open_,
        "reviewed": reviewed,
        "invoices": invoices,
        "accounts": accounts,
        "public": public,
        "internal": internal,
    }


@pytest.fixture
def people(db) -> dict[str, Agent]:  # type: ignore[no-untyped-def]
    return make_people()


@pytest.fixture
def kb(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return make_kb()


def login(client: Client, people: dict[str, Agent], who: str) -> Client:
    if who != "anon":
        client.force_login(people[who])
    return client


# --- every page per role ---------------------------------------------------------------------------------------------

READ_PAGES = [
    lambda kb: "/kb/",
    lambda kb: f"/kb/{kb['public'].article_id}/en/",
    lambda kb: f"/kb/{kb['internal'].article_id}/en/",
    lambda kb: f"/kb/{kb['public'].article_id}/en/history",
    lambda kb: f"/kb/{kb['public'].article_id}/en/history/1",
    lambda kb: "/kb/categories",
]
WRITE_PAGES = [
    lambda kb: "/kb/new",
    lambda kb: f"/kb/{kb['public'].article_id}/en/edit",
    lambda kb: f"/kb/{kb['public'].article_id}/translate?language=fi",
    lambda kb: f"/kb/{kb['public'].article_id}/settings",
    lambda kb: "/kb/reports",
]
PUBLISH_PAGES = [
    lambda kb: "/kb/review",
    lambda kb: "/kb/categories/new",
    lambda kb: f"/kb/categories/{kb['open'].pk}/",
    lambda kb: f"/kb/categories/{kb['open'].pk}/sections/new",
    lambda kb: f"/kb/sections/{kb['invoices'].pk}/",
]
EXPECTED = {
    # who: (read, write, publish)
    "anon": (302, 302, 302),
    "agent": (200, 200, 403),
    "lead": (200, 200, 200),
    "qa": (200, 403, 403),
    "admin": (200, 200, 200),
}


@pytest.mark.parametrize("who", list(EXPECTED))
def test_every_page_answers_each_role_as_the_matrix_says(client, people, kb, who):
    login(client, people, who)
    read, write, publish = EXPECTED[who]
    for pages, status in ((READ_PAGES, read), (WRITE_PAGES, write), (PUBLISH_PAGES, publish)):
        for page in pages:
            url = page(kb)
            response = client.get(url)
            assert (url, response.status_code) == (url, status)
            if status == 302:
                assert response["Location"].startswith("/login/?next=")


def test_a_qa_reviewer_is_told_why_they_cannot_write(client, people, kb):
    response = login(client, people, "qa").get("/kb/new")
    assert response.status_code == 403
    assert "Your role (QA reviewer) can read the knowledge base but not write in it." in response.content.decode()


def test_an_agent_is_told_why_the_review_queue_is_not_theirs(client, people, kb):
    response = login(client, people, "agent").get("/kb/review")
    assert response.status_code == 403
    assert (
        "Your role (Agent) cannot do this: in the knowledge base, team leads and admins review"
        in response.content.decode()
    )


def test_unknown_ids_are_404(client, people, kb):
    login(client, people, "admin")
    article_id = kb["public"].article_id
    for url in (
        "/kb/999999/en/",
        f"/kb/{article_id}/fi/",
        f"/kb/{article_id}/en/edit".replace(str(article_id), "999999"),
        f"/kb/{article_id}/en/history/99",
        "/kb/999999/settings",
        "/kb/categories/999999/",
        "/kb/sections/999999/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post("/kb/review/999999/publish").status_code == 404


# --- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_article_with_its_translations_states(client, people, kb):
    services.translation_save(
        actor=None, translation=kb["public"], title="Change the invoice address now", body="New text."
    )
    revision = services.translation_save(
        actor=None,
        translation=ArticleTranslation.objects.get(article=kb["public"].article, language="sv"),
        title="Ändra",
        body="Ny text.",
    )
    services.revision_submit(actor=None, revision=revision)
    page = login(client, people, "qa").get("/kb/").content.decode()
    assert page.count("<tr data-article=") == 2
    public_row = page.split(f'<tr data-article="{kb["public"].article_id}">')[1].split("</tr>")[0]
    assert 'data-language="en" data-state="published"' in public_row
    assert 'data-language="sv" data-state="review"' in public_row
    assert "Change the invoice address now" in public_row  # the working copy's title
    assert "Billing / Invoices" in public_row
    internal_row = page.split(f'<tr data-article="{kb["internal"].article_id}">')[1].split("</tr>")[0]
    assert 'data-language="en" data-state="draft"' in internal_row
    assert "Internal" in internal_row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=published", {"public"}),
        ("state=draft", {"internal"}),
        ("state=review", set()),
        ("visibility=internal", {"internal"}),
        ("language=sv", {"public"}),
        ("language=sv&state=draft", set()),
        ("q=TWO-FACTOR", {"internal"}),
        ("q=nothing+like+it", set()),
        ("category={open}", {"public"}),
        ("state=bogus&language=xx&category=abc", {"public", "internal"}),  # nonsense filters are ignored
    ],
)
def test_the_list_filters(client, people, kb, query, expected):
    query = query.replace("{open}", str(kb["open"].pk))
    page = login(client, people, "agent").get(f"/kb/?{query}").content.decode()
    shown = {name for name in ("public", "internal") if f'<tr data-article="{kb[name].article_id}">' in page}
    assert shown == expected
    if not expected:
        assert "No article matches these filters." in page


def test_the_empty_knowledge_base_offers_the_first_article(client, people):
    page = login(client, people, "agent").get("/kb/").content.decode()
    assert "The knowledge base is empty." in page
    assert 'href="/kb/new">Write the first article</a>' in page
    qa_page = Client()
    qa_page.force_login(people["qa"])
    assert "Write the first article" not in qa_page.get("/kb/").content.decode()  # a reader cannot write


def test_a_tampered_cursor_is_a_message_not_a_500(client, people, kb):
    response = login(client, people, "agent").get("/kb/?cursor=!!!")
    assert response.status_code == 302
    assert response["Location"] == "/kb/"


def _articles(n: int, section: Section) -> None:
    for i in range(n):
        translation = services.article_create(
            actor=None, section=section, language="en", title=f"Article {i}", body="Text.", publish=i % 2 == 0
        )
        services.translation_add(
            actor=None, article=translation.article, language="fi", title=f"Artikkeli {i}", body="Teksti."
        )


def _count_queries(client: Client, django_assert_num_queries: Any, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_for_5_and_50_articles(client, people, kb, django_assert_num_queries):
    login(client, people, "agent")
    Article.objects.all().delete()
    _articles(5, kb["invoices"])
    few = _count_queries(client, django_assert_num_queries, "/kb/")
    assert client.get("/kb/").content.decode().count("<tr data-article=") == 5
    _articles(45, kb["accounts"])
    with django_assert_num_queries(few):
        page = client.get("/kb/")
    assert page.content.decode().count("<tr data-article=") == 50
    with django_assert_num_queries(few):
        client.get("/kb/?state=draft&language=fi&q=article")


def test_the_list_pages_with_a_cursor(client, people, kb):
    from lofte.kb import selectors

    login(client, people, "agent")
    _articles(selectors.ARTICLES_PER_PAGE + 1, kb["invoices"])
    first = client.get("/kb/").content.decode()
    assert first.count("<tr data-article=") == selectors.ARTICLES_PER_PAGE
    cursor = first.split("cursor=")[1].split('"')[0]
    second = client.get(f"/kb/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert second.count("<tr data-article=") == 3  # the one left, and the two from the fixture
    assert "<html" not in second  # HTMX gets the rows only


# --- reading ---------------------------------------------------------------------------------------------------------


def test_every_agent_reads_an_internal_draft(client, people, kb):
    page = login(client, people, "qa").get(f"/kb/{kb['internal'].article_id}/en/").content.decode()
    assert "Reset two-factor for a customer" in page
    assert "Not published: readers do not see this translation." in page
    assert "Check the identity first." in page
    assert f'href="/kb/{kb["internal"].article_id}/en/edit"' not in page  # a QA reviewer only reads


def test_nothing_here_writes_on_get(client, people, kb):
    tables = [label for label in snapshot.TABLES if label.startswith("kb.")]
    before = snapshot.take(tables)
    login(client, people, "admin")
    for page in READ_PAGES + WRITE_PAGES + PUBLISH_PAGES:
        assert client.get(page(kb)).status_code == 200
    assert snapshot.changed(before, snapshot.take(tables)) == []
