"""Writing in the knowledge base: new articles, drafts, publishing and review, translations, settings, categories;
what each role may do, the messages at the fields, the preview's sanitising and the history's escaped diff."""

from __future__ import annotations

from typing import Any

import pytest

from lofte.accounts.models import Agent
from lofte.kb import services
from lofte.kb.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    RevisionState,
    Section,
    SlugRedirect,
)
from lofte.kb.tests.test_views import login, make_kb, make_people

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db) -> dict[str, Agent]:  # type: ignore[no-untyped-def]
    return make_people()


@pytest.fixture
def kb(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return make_kb()


def new_article(section: Section, **changes: Any) -> dict[str, Any]:
    data = {
        "section": section.pk,
        "language": "en",
        "title": "Pay by card",
        "slug": "",
        "body": "Choose **Card** at checkout.",
        "visibility": "public",
        "action": "draft",
    }
    data.update(changes)
    return data


def snapshot() -> tuple[Any, ...]:
    return (
        list(ArticleRevision.objects.order_by("pk").values_list("pk", "state", "title")),
        list(ArticleTranslation.objects.order_by("pk").values_list("pk", "slug", "title", "body", "published_at")),
        list(Article.objects.order_by("pk").values_list("pk", "section_id", "visibility", "fallback_language")),
        list(Category.objects.order_by("pk").values_list("pk", "slug", "names", "requires_review")),
        list(Section.objects.order_by("pk").values_list("pk", "slug", "names")),
    )


# --- new articles --------------------------------------------------------------------------------------------------


def test_an_agent_publishes_a_new_article_in_an_open_category(client, people, kb):
    response = login(client, people, "agent").post("/kb/new", new_article(kb["invoices"], action="publish"))
    translation = ArticleTranslation.objects.get(slug="pay-by-card")
    assert response.status_code == 302
    assert response["Location"] == f"/kb/{translation.article_id}/en/edit"
    assert translation.is_published
    assert (translation.title, translation.body) == ("Pay by card", "Choose **Card** at checkout.")
    assert translation.article.created_by == people["agent"]
    assert list(translation.revisions.values_list("number", "state")) == [(1, RevisionState.PUBLISHED)]


def test_a_draft_changes_nothing_readers_see(client, people, kb):
    login(client, people, "agent").post("/kb/new", new_article(kb["invoices"], slug="card"))
    translation = ArticleTranslation.objects.get(slug="card")
    assert not translation.is_published
    assert translation.revisions.get().state == RevisionState.DRAFT


def test_an_agent_cannot_publish_in_a_reviewed_category_but_sends_for_review(client, people, kb):
    login(client, people, "agent")
    page = client.get("/kb/new").content.decode()
    assert "Accounts" in page.split("data-reviewed-sections>")[1].split("</p>")[0]
    before = snapshot()
    refused = client.post("/kb/new", new_article(kb["accounts"], action="publish"))
    assert refused.status_code == 403
    assert (
        "&#x27;Security&#x27; asks for a review before publishing: send it for review instead."
        in refused.content.decode()
    )
    assert snapshot() == before
    sent = client.post("/kb/new", new_article(kb["accounts"], action="review"))
    assert sent.status_code == 302
    translation = ArticleTranslation.objects.get(slug="pay-by-card")
    assert not translation.is_published
    assert translation.revisions.get().state == RevisionState.SUBMITTED


def test_a_qa_reviewer_writes_nothing(client, people, kb):
    login(client, people, "qa")
    article_id = kb["public"].article_id
    before = snapshot()
    attempts = [
        ("/kb/new", new_article(kb["invoices"], action="publish")),
        (f"/kb/{article_id}/en/edit", {"title": "Hacked", "body": "x", "action": "publish"}),
        (f"/kb/{article_id}/en/unpublish", {}),
        (f"/kb/{article_id}/translate?language=fi", {"language": "fi", "title": "T", "body": "B"}),
        (
            f"/kb/{article_id}/settings",
            {"section": kb["accounts"].pk, "visibility": "internal", "fallback_language": "en"},
        ),
        ("/kb/preview", {"body": "x"}),
        (f"/kb/review/{kb['internal'].revisions.get().pk}/publish", {}),
        (f"/kb/review/{kb['internal'].revisions.get().pk}/return", {"note": "No"}),
        ("/kb/categories/new", {"slug": "x", "name_en": "X", "position": 0}),
        (f"/kb/categories/{kb['open'].pk}/", {"slug": "x", "name_en": "X", "position": 0}),
        (f"/kb/categories/{kb['open'].pk}/sections/new", {"slug": "x", "name_en": "X", "position": 0}),
        (f"/kb/sections/{kb['invoices'].pk}/", {"slug": "x", "name_en": "X", "position": 0}),
    ]
    for url, data in attempts:
        assert (url, client.post(url, data).status_code) == (url, 403)
    assert snapshot() == before


def test_anonymous_posts_go_to_the_login_and_change_nothing(client, kb):
    before = snapshot()
    response = client.post("/kb/new", new_article(kb["invoices"], action="publish"))
    assert (response.status_code, response["Location"]) == (302, "/login/?next=/kb/new")
    assert snapshot() == before


# --- validation messages at the field ---


def field_error(page: str, field: str) -> str:
    return page.split(f'data-error-for="{field}">')[1].split("</div>")[0]


def test_no_title_is_refused_at_the_title(client, people, kb):
    before = snapshot()
    response = login(client, people, "agent").post("/kb/new", new_article(kb["invoices"], title="  "))
    assert response.status_code == 422
    assert field_error(response.content.decode(), "title") == "Give the article a title."
    htmx = client.post("/kb/new", new_article(kb["invoices"], title=""), HTTP_HX_REQUEST="true")
    assert htmx.status_code == 422
    assert snapshot() == before


def test_a_slug_collision_names_the_other_article(client, people, kb):
    taken = kb["public"].slug
    response = login(client, people, "agent").post("/kb/new", new_article(kb["invoices"], slug=taken))
    assert field_error(response.content.decode(), "slug") == (
        f"The address &#x27;{taken}&#x27; is already used by the article &#x27;Change the invoice address&#x27;; "
        "choose another."
    )
    assert not ArticleTranslation.objects.filter(title="Pay by card").exists()


def test_an_unknown_language_is_refused_at_the_language(client, people, kb):
    response = login(client, people, "agent").post("/kb/new", new_article(kb["invoices"], language="xx"))
    assert field_error(response.content.decode(), "language") == (
        "&#x27;xx&#x27; is not a language Lofte speaks; use one of en, sv, da, nb, fi."
    )
    translate = client.get(f"/kb/{kb['public'].article_id}/translate?language=de").content.decode()
    assert (
        field_error(translate, "language")
        == "&#x27;de&#x27; is not a language Lofte speaks; use one of en, sv, da, nb, fi."
    )
    existing = client.post(
        f"/kb/{kb['public'].article_id}/translate?language=sv", {"language": "sv", "title": "T", "body": "B"}
    )
    assert existing.status_code == 422
    assert field_error(existing.content.decode(), "language") == (
        "The article has a Swedish translation already; change that one instead."
    )


# --- editing and review -------------------------------------------------------------------------------------------


def test_the_edit_page_shows_the_working_copy_and_who_saved_it(client, people, kb):
    services.translation_save(actor=people["lead"], translation=kb["public"], title="New title", body="New body")
    page = login(client, people, "agent").get(f"/kb/{kb['public'].article_id}/en/edit").content.decode()
    assert 'value="New title"' in page
    assert "New body</textarea>" in page
    assert 'data-live-state="published"' in page
    assert "Newest revision: #2 by Lead" in page
    assert 'id="reply-body"' in page and 'data-md="bold"' in page  # the reply box's Markdown tools


def test_an_agent_in_a_reviewed_category_cannot_publish_and_a_lead_publishes_from_the_queue(client, people, kb):
    internal = kb["internal"]
    url = f"/kb/{internal.article_id}/en/edit"
    login(client, people, "agent")
    page = client.get(url).content.decode()
    assert 'value="review"' in page and 'value="publish"' not in page  # Publish is not offered
    before = snapshot()
    refused = client.post(url, {"title": "Reset 2FA", "body": "Call them back first.", "action": "publish"})
    assert refused.status_code == 403
    assert snapshot() == before
    assert internal.revisions.get().state == RevisionState.DRAFT
    sent = client.post(url, {"title": "Reset 2FA", "body": "Call them back first.", "action": "review"})
    assert sent.status_code == 302
    waiting = internal.revisions.get(number=2)
    assert waiting.state == RevisionState.SUBMITTED
    internal.refresh_from_db()
    assert (internal.title, internal.is_published) == ("Reset two-factor for a customer", False)

    lead = login(client, people, "lead")
    queue = lead.get("/kb/review").content.decode()
    assert f'data-revision="{waiting.pk}"' in queue and "Reset 2FA" in queue
    published = lead.post(f"/kb/review/{waiting.pk}/publish")
    assert (published.status_code, published["Location"]) == (302, "/kb/review")
    internal.refresh_from_db()
    assert (internal.title, internal.body, internal.is_published) == ("Reset 2FA", "Call them back first.", True)
    waiting.refresh_from_db()
    assert (waiting.state, waiting.reviewed_by) == (RevisionState.PUBLISHED, people["lead"])
    assert "Nothing is waiting for review." in lead.get("/kb/review").content.decode()
    again = lead.post(f"/kb/review/{waiting.pk}/publish")
    assert again.status_code == 409


def test_a_lead_sends_a_revision_back_with_a_note_required(client, people, kb):
    revision = kb["internal"].revisions.get()
    services.revision_submit(actor=None, revision=revision)
    login(client, people, "lead")
    missing = client.post(f"/kb/review/{revision.pk}/return", {"note": "  "})
    assert missing.status_code == 422
    assert field_error(missing.content.decode(), "note") == "Say what should change, so the author knows."
    revision.refresh_from_db()
    assert revision.state == RevisionState.SUBMITTED
    client.post(f"/kb/review/{revision.pk}/return", {"note": "Add the phone check."})
    revision.refresh_from_db()
    assert (revision.state, revision.note, revision.reviewed_by) == (
        RevisionState.RETURNED,
        "Add the phone check.",
        people["lead"],
    )


def test_saving_a_new_slug_keeps_the_old_address_as_a_redirect(client, people, kb):
    translation = kb["public"]
    old = translation.slug
    login(client, people, "agent").post(
        f"/kb/{translation.article_id}/en/edit",
        {
            "title": "Change the invoice address",
            "body": "Open **Settings**.",
            "slug": "invoice-address",
            "action": "publish",
        },
    )
    translation.refresh_from_db()
    assert (translation.slug, translation.body) == ("invoice-address", "Open **Settings**.")
    assert SlugRedirect.objects.get(language="en", slug=old).translation == translation


def test_unpublish(client, people, kb):
    translation = kb["public"]
    response = login(client, people, "agent").post(f"/kb/{translation.article_id}/en/unpublish")
    assert response.status_code == 302
    translation.refresh_from_db()
    assert not translation.is_published
    assert client.get(f"/kb/{translation.article_id}/en/unpublish").status_code == 405


def test_a_translation_is_added_beside_its_source(client, people, kb):
    article_id = kb["public"].article_id
    login(client, people, "agent")
    page = client.get(f"/kb/{article_id}/translate?language=fi").content.decode()
    assert "Open **Settings** and choose *Invoices*." in page  # the source, read-only
    response = client.post(
        f"/kb/{article_id}/translate?language=fi",
        {"language": "fi", "title": "Vaihda laskutusosoite", "body": "Avaa **Asetukset**.", "action": "publish"},
    )
    assert (response.status_code, response["Location"]) == (302, f"/kb/{article_id}/fi/edit")
    fi = ArticleTranslation.objects.get(article_id=article_id, language="fi")
    assert (fi.title, fi.slug, fi.is_published) == ("Vaihda laskutusosoite", "vaihda-laskutusosoite", True)


def test_settings_change_section_visibility_fallback_and_related(client, people, kb):
    article = kb["public"].article
    other = kb["internal"].article
    login(client, people, "lead")
    page = client.get(f"/kb/{article.pk}/settings").content.decode()
    assert '<option value="sv">Swedish</option>' in page and '<option value="fi"' not in page
    response = client.post(
        f"/kb/{article.pk}/settings",
        {"section": kb["accounts"].pk, "visibility": "internal", "fallback_language": "sv", "related": [other.pk]},
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert (article.section, article.visibility, article.fallback_language) == (kb["accounts"], "internal", "sv")
    assert list(article.related.all()) == [other]


def test_an_agent_cannot_move_an_article_into_a_reviewed_category(client, people, kb):
    article = kb["public"].article
    before = snapshot()
    response = login(client, people, "agent").post(
        f"/kb/{article.pk}/settings",
        {"section": kb["accounts"].pk, "visibility": "public", "fallback_language": "en"},
    )
    assert response.status_code == 403
    assert "Only a team lead or an admin can move an article into a reviewed category." in response.content.decode()
    assert snapshot() == before


# --- preview and history ----------------------------------------------------------------------------------------------


def test_the_preview_renders_markdown_and_strips_scripts(client, people, kb):
    response = login(client, people, "agent").post(
        "/kb/preview", {"body": "**Bold** <script>alert(1)</script> [x](javascript:alert(1))"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert client.get("/kb/preview").status_code == 405


def test_the_preview_is_csrf_protected(people, kb):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(people["agent"])
    assert strict.post("/kb/preview", {"body": "x"}).status_code == 403


def test_the_preview_caps_the_length(client, people, kb):
    response = login(client, people, "agent").post("/kb/preview", {"body": "x" * (services.MAX_BODY + 1)})
    assert response.status_code == 422
    assert "An article can be at most 100,000 characters long; this one is 100,001." in response.content.decode()


def test_history_lists_revisions_and_the_diff_escapes_html(client, people, kb):
    translation = kb["public"]
    services.translation_save(
        actor=people["agent"],
        translation=translation,
        title="Change the invoice address",
        body="Open **Settings** and choose *Invoices*.\n<img src=x onerror=alert(1)>",
        note="An image",
    )
    login(client, people, "qa")
    history = client.get(f"/kb/{translation.article_id}/en/history").content.decode()
    assert history.index('data-revision="2"') < history.index('data-revision="1"')
    assert "An image" in history and "Agent" in history
    diff = client.get(f"/kb/{translation.article_id}/en/history/2").content.decode()
    assert "<img src=x" not in diff
    assert '<span class="diff-add">+&lt;img src=x onerror=alert(1)&gt;</span>' in diff
    first = client.get(f"/kb/{translation.article_id}/en/history/1").content.decode()
    assert '<span class="diff-add">+Open **Settings** and choose *Invoices*.</span>' in first


# --- categories and sections ----------------------------------------------------------------------------------------


def test_a_lead_creates_and_edits_categories_and_sections(client, people, kb):
    login(client, people, "lead")
    response = client.post(
        "/kb/categories/new",
        {"slug": "shipping", "name_en": "Shipping", "name_fi": "Toimitus", "requires_review": "on", "position": 3},
    )
    assert (response.status_code, response["Location"]) == (302, "/kb/categories")
    category = Category.objects.get(slug="shipping")
    assert (category.names, category.requires_review, category.position) == (
        {"en": "Shipping", "fi": "Toimitus"},
        True,
        3,
    )
    client.post(f"/kb/categories/{category.pk}/", {"slug": "delivery", "name_en": "Delivery", "position": 3})
    category.refresh_from_db()
    assert (category.slug, category.names, category.requires_review) == ("delivery", {"en": "Delivery"}, False)
    client.post(f"/kb/categories/{category.pk}/sections/new", {"slug": "returns", "name_sv": "Returer", "position": 0})
    section = Section.objects.get(slug="returns")
    assert (section.category, section.names) == (category, {"sv": "Returer"})
    client.post(f"/kb/sections/{section.pk}/", {"slug": "returns", "name_en": "Returns", "position": 2})
    section.refresh_from_db()
    assert (section.names, section.position) == ({"en": "Returns"}, 2)
    listing = client.get("/kb/categories").content.decode()
    assert "Delivery" in listing and "Returns" in listing


def test_a_category_slug_clash_is_at_the_slug(client, people, kb):
    login(client, people, "admin")
    clash = client.post("/kb/categories/new", {"slug": "billing", "name_en": "Other", "position": 0})
    assert (
        field_error(clash.content.decode(), "slug") == "A category with the address &#x27;billing&#x27; exists already."
    )
    assert Category.objects.count() == 2


def test_a_category_without_a_name_is_refused_at_the_first_name(client, people, kb):
    login(client, people, "admin")
    nameless = client.post("/kb/categories/new", {"slug": "x", "position": 0})
    assert nameless.status_code == 422
    assert field_error(nameless.content.decode(), "name_en") == "Give it a name in at least one language."
    bad_slug = client.post("/kb/categories/new", {"slug": "Not a slug", "name_en": "X", "position": 0})
    assert field_error(bad_slug.content.decode(), "slug") == (
        "&#x27;not a slug&#x27; cannot be an address: use lower-case letters a-z, digits and single hyphens."
    )
    assert Category.objects.count() == 2


def test_sending_an_unchanged_draft_for_review_adds_no_revision(client, people, kb):
    internal = kb["internal"]
    url = f"/kb/{internal.article_id}/en/edit"
    data = {"title": "Reset two-factor for a customer", "body": "Check the identity first.", "action": "review"}
    login(client, people, "agent")
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # twice: still the one revision, waiting
    assert list(internal.revisions.values_list("number", "state")) == [(1, RevisionState.SUBMITTED)]


def test_an_agent_is_not_offered_unpublish_where_changes_are_reviewed(client, people, kb):
    internal = kb["internal"]
    services.revision_publish(actor=None, revision=internal.revisions.get())
    login(client, people, "agent")
    assert "/unpublish" not in client.get(f"/kb/{internal.article_id}/en/edit").content.decode()
    assert client.post(f"/kb/{internal.article_id}/en/unpublish").status_code == 403
    internal.refresh_from_db()
    assert internal.is_published
    assert "/unpublish" in client.get(f"/kb/{kb['public'].article_id}/en/edit").content.decode()
