"""The help centre's pages, as a visitor sees them: exact statuses, texts, rows and what must not happen."""

from __future__ import annotations

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from lofte.core.ratelimit import ratelimit_hit
from lofte.helpcentre.tests.conftest import make_article, many_articles
from lofte.kb import dense, services
from lofte.kb.models import ArticleFile, ArticleTranslation, ArticleVote, Channel, SearchLog
from lofte.kb.trail import COOKIE, trail_of

pytestmark = pytest.mark.django_db


def views(t: ArticleTranslation) -> int:
    t.refresh_from_db(fields=["view_count"])
    return t.view_count


def trail(response):  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE] = response.cookies[COOKIE].value
    return trail_of(request)


# --- /help/ and home ------------------------------------------------------------------------------------------


def test_root_redirects_to_the_readers_language(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="sv-SE,sv;q=0.9").headers["Location"] == "/help/sv/"
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9").headers["Location"] == "/help/en/"
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="fi")
    assert response.status_code == 302 and response.headers["Location"] == "/help/fi/"


def test_home_lists_categories_sections_and_most_read_in_the_language(client, kb) -> None:  # type: ignore[no-untyped-def]
    ArticleTranslation.objects.filter(pk=kb.invoice_en.pk).update(view_count=7)
    response = client.get("/help/sv/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "sv"
    assert '<html lang="sv">' in html
    assert '<meta name="robots" content="index,follow">' in html and "noindex" not in html
    assert '<a href="/help/sv/c/account">Ditt konto</a>' in html
    assert '<a href="/help/sv/c/account#section-login">Logga in</a>' in html
    assert '<a href="/help/sv/a/aterstall-losenord">Återställ ditt lösenord</a>' in html
    assert "Pay an invoice" not in html  # no Swedish translation: not among the most read in Swedish
    assert 'action="/help/sv/search"' in html
    english = client.get("/help/en/").content.decode()
    titles = re.findall(r'<li><a href="/help/en/a/[^"]+">([^<]+)</a></li>', english)
    assert titles == ["Pay an invoice", "Reset your password"]  # most read first; no internal, no draft


def test_home_without_articles_says_so(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/")
    assert response.status_code == 200
    assert '<p class="empty">There are no articles here yet.</p>' in response.content.decode()


def test_unknown_language_is_404(client, kb) -> None:  # type: ignore[no-untyped-def]
    for url in ["/help/de/", "/help/xx/c/account", "/help/de/a/reset-password", "/help/de/search?q=x"]:
        assert client.get(url).status_code == 404, url


# --- category ---------------------------------------------------------------------------------------------------


def test_category_lists_its_articles_and_falls_back_by_name(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/sv/c/account")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Ditt konto</h1>" in html
    assert '<h2 id="section-login-title">Logga in</h2>' in html
    assert '<li><a href="/help/sv/a/aterstall-losenord">Återställ ditt lösenord</a></li>' in html
    assert '<a href="/help/en/a/pay-invoice" lang="en" hreflang="en">Pay an invoice</a>' in html
    assert "Refund override" not in html and "Coming soon" not in html
    assert client.get("/help/sv/c/nope").status_code == 404


def test_category_name_falls_back_to_its_first_name(client, kb) -> None:  # type: ignore[no-untyped-def]
    assert "<h1>Your account</h1>" in client.get("/help/fi/c/account").content.decode()


# --- article --------------------------------------------------------------------------------------------------


def test_article_page_shows_the_translation_and_counts_the_view(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/a/reset-password")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Reset your password</h1>" in html
    assert "<p>Click <strong>Forgot password</strong> on the login page.</p>" in html
    assert '<li><a href="/help/en/c/account">Your account</a></li>' in html
    assert '<link rel="canonical" href="http://testserver/help/en/a/reset-password">' in html
    assert '<link rel="alternate" hreflang="en" href="http://testserver/help/en/a/reset-password">' in html
    assert '<link rel="alternate" hreflang="sv" href="http://testserver/help/sv/a/aterstall-losenord">' in html
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/help/en/a/reset-password">' in html
    assert '<a href="/help/sv/a/aterstall-losenord" lang="sv" hreflang="sv">Svenska</a>' in html
    assert '<meta name="robots" content="index,follow">' in html
    assert views(kb.reset_en) == 1 and views(kb.reset_sv) == 0
    assert trail(response).translations == [kb.reset_en.pk]


def test_the_onward_box_links_to_the_contact_form_and_a_call_but_no_chat(client, kb) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/help/sv/a/aterstall-losenord").content.decode()
    assert f'<a href="/contact?lang=sv&amp;article={kb.reset_sv.pk}">' in html
    assert '<a href="/callback?lang=sv">' in html
    assert "chat" not in html.lower()


@pytest.mark.parametrize("slug", ["refund-override", "coming-soon", "no-such-article"])
def test_internal_draft_and_unknown_articles_are_the_same_404(client, kb, slug) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/help/en/a/{slug}")
    assert response.status_code == 404
    assert "Refund override" not in response.content.decode() and "Secret steps" not in response.content.decode()
    assert views(kb.internal_en) == 0 and views(kb.draft_en) == 0
    assert COOKIE not in response.cookies


def test_an_internal_article_is_404_in_another_language_too(client, kb) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/help/sv/a/refund-override").status_code == 404
    assert client.get("/help/sv/a/coming-soon").status_code == 404


def test_old_slug_answers_301_to_the_current_one(client, kb) -> None:  # type: ignore[no-untyped-def]
    services.slug_rename(actor=None, translation=kb.reset_en, slug="new-password")
    response = client.get("/help/en/a/reset-password")
    assert response.status_code == 301
    assert response.headers["Location"] == "/help/en/a/new-password"
    assert views(kb.reset_en) == 0


def test_an_article_missing_in_the_language_is_shown_with_a_note(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/sv/a/pay-invoice")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sv">' in html
    assert "Artikeln finns inte på svenska. Här är den på engelska." in html
    assert '<article class="help-article" lang="en">' in html
    assert '<link rel="canonical" href="http://testserver/help/en/a/pay-invoice">' in html
    assert views(kb.invoice_en) == 1


def test_an_other_languages_slug_leads_to_the_readers_translation(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/sv/a/reset-password")
    assert response.status_code == 302 and response.headers["Location"] == "/help/sv/a/aterstall-losenord"


def test_related_articles_in_the_language_where_possible(client, kb) -> None:  # type: ignore[no-untyped-def]
    services.article_update(
        actor=None,
        article=kb.reset_en.article,
        section=kb.section,
        visibility="public",
        fallback_language="en",
        related=[kb.invoice_en.article, kb.internal_en.article],
    )
    html = client.get("/help/sv/a/aterstall-losenord").content.decode()
    assert '<a href="/help/en/a/pay-invoice" lang="en" hreflang="en">Pay an invoice</a>' in html
    assert "Refund override" not in html


def test_body_images_show_the_articles_files(client, kb) -> None:  # type: ignore[no-untyped-def]
    f = ArticleFile(article=kb.invoice_en.article, name="qr.png", content_type="image/png", size=4)
    f.file.save("qr.png", ContentFile(b"\x89PNG"), save=True)
    revision = services.translation_save(
        actor=None,
        translation=kb.invoice_en,
        title="Pay an invoice",
        body="Scan ![the code](file:qr.png) or ![x](file:gone.png)",
    )
    services.revision_publish(actor=None, revision=revision)
    html = client.get("/help/en/a/pay-invoice").content.decode()
    assert f'<img src="/help/files/{f.pk}/qr.png" alt="the code">' in html
    assert "gone.png" not in html and "or x</p>" in html


# --- query counts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_query_counts_do_not_grow_with_the_articles(client, kb, n, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    many_articles(kb.section, n)
    services.article_update(
        actor=None,
        article=kb.reset_en.article,
        section=kb.section,
        visibility="public",
        fallback_language="en",
        related=[t.article for t in ArticleTranslation.objects.filter(language="en", slug__startswith="extra-")],
    )
    client.get("/help/sv/")  # the outage banner's cache filled (lofte.incidents.status), as in use
    with django_assert_num_queries(3):
        assert client.get("/help/sv/").status_code == 200
    with django_assert_num_queries(3):
        assert client.get("/help/sv/c/account").status_code == 200
    with django_assert_num_queries(4):  # translation, its siblings, related, the view count
        assert client.get("/help/sv/a/aterstall-losenord").status_code == 200


# --- did this help? -------------------------------------------------------------------------------------------


def test_vote_is_stored_with_language_and_channel(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/help/sv/a/aterstall-losenord/vote", {"helpful": "no", "comment": "Saknar steg 2"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/help/sv/a/aterstall-losenord?voted=1#vote"
    vote = ArticleVote.objects.get()
    assert (vote.article_id, vote.language, vote.channel, vote.helpful, vote.comment) == (
        kb.reset_en.article_id,
        "sv",
        Channel.HELP_CENTRE,
        False,
        "Saknar steg 2",
    )
    thanks = client.get(response.headers["Location"]).content.decode()
    assert '<p role="status">' in thanks


def test_vote_on_a_fallback_page_records_the_shown_language(client, kb) -> None:  # type: ignore[no-untyped-def]
    client.post("/help/sv/a/pay-invoice/vote", {"helpful": "yes"})
    assert list(ArticleVote.objects.values_list("language", "helpful")) == [("en", True)]


def test_htmx_vote_answers_with_the_thank_you_partial(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/help/en/a/reset-password/vote", {"helpful": "yes"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and '<p role="status">Thank you for your answer.</p>' in html
    assert ArticleVote.objects.count() == 1


@pytest.mark.parametrize("helpful", ["", "maybe", "YES"])
def test_a_bad_vote_is_refused_and_nothing_stored(client, kb, helpful) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/help/en/a/reset-password/vote", {"helpful": helpful})
    assert response.status_code == 422
    assert "Choose Yes or No to say whether the article helped." in response.content.decode()
    assert ArticleVote.objects.count() == 0


def test_a_too_long_comment_is_refused(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/help/en/a/reset-password/vote", {"helpful": "yes", "comment": "x" * 2001})
    assert response.status_code == 422
    assert "A comment can be at most 2,000 characters long." in response.content.decode()
    assert ArticleVote.objects.count() == 0


def test_votes_on_hidden_articles_are_404(client, kb) -> None:  # type: ignore[no-untyped-def]
    for slug in ["refund-override", "coming-soon", "nothing"]:
        assert client.post(f"/help/en/a/{slug}/vote", {"helpful": "yes"}).status_code == 404
    assert ArticleVote.objects.count() == 0


def test_votes_are_rate_limited_per_address(client, kb) -> None:  # type: ignore[no-untyped-def]
    for _ in range(30):
        ratelimit_hit("127.0.0.1:kbvote", limit=30, window=timedelta(hours=1))
    response = client.post("/help/en/a/reset-password/vote", {"helpful": "yes"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "You have sent many answers in a short time." in response.content.decode()
    assert ArticleVote.objects.count() == 0


def test_vote_needs_csrf(kb) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/help/en/a/reset-password/vote", {"helpful": "yes"})
    assert response.status_code == 403 and ArticleVote.objects.count() == 0


# --- search ---------------------------------------------------------------------------------------------------


@pytest.fixture
def indexed(kb):  # type: ignore[no-untyped-def]
    dense.embed_pending()
    return kb


def test_search_shows_hits_logs_and_keeps_the_trail(client, indexed) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": "reset password"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/help/en/a/reset-password">Reset your password</a>' in html
    assert "Refund override" not in html
    log = SearchLog.objects.get()
    assert (log.query, log.language, log.channel, log.good) == ("reset password", "en", Channel.HELP_CENTRE, True)
    assert log.found >= 1
    assert trail(response).searches == ["reset password"]


def test_search_falls_back_with_a_note(client, indexed) -> None:  # type: ignore[no-untyped-def]
    html = client.get("/help/en/search", {"q": "Glömt lösenord inloggningssidan"}).content.decode()
    assert '<a href="/help/en/a/reset-password">Reset your password</a>' in html  # shown in English when it exists
    html = client.get("/help/sv/search", {"q": "invoice bank transfer"}).content.decode()
    assert '<a href="/help/en/a/pay-invoice" lang="en" hreflang="en">Pay an invoice</a>' in html


def test_empty_search_is_just_the_box(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": "  "})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="help-q"' in html and 'role="alert"' not in html
    assert SearchLog.objects.count() == 0 and COOKIE not in response.cookies


def test_a_too_long_query_is_a_message_not_a_server_error(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": "a" * 10_000})
    assert response.status_code == 400
    assert "A search can be at most 1,000 characters long; this one is 10,000." in response.content.decode()
    assert SearchLog.objects.count() == 0


def test_punctuation_only_says_why_and_offers_a_person(client, db) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": "?!?..."})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Type a few words to search for." in html
    assert "Still need help?" in html and '<a href="/callback?lang=en">' in html
    assert SearchLog.objects.count() == 0


def test_nothing_good_offers_the_onward_box_with_the_query(client, indexed) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": "zebra xylophone quux"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "We found nothing that answers this" in html
    assert '<a href="/contact?lang=en&amp;q=zebra+xylophone+quux">' in html
    assert "chat" not in html.lower()
    assert SearchLog.objects.get().good is False


@pytest.mark.parametrize("query", ["如何重置密码", "كيف أعيد تعيين كلمة المرور", "пароль"])
def test_any_script_works(client, indexed, query) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/en/search", {"q": query})
    assert response.status_code == 200
    assert f'value="{query}"' in response.content.decode()


# --- sitemap and files ----------------------------------------------------------------------------------------


def test_sitemap_lists_exactly_the_public_published_translations(client, kb) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/sitemap.xml")
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    articles = sorted(loc for loc in locs if "/a/" in loc)
    assert articles == [
        "http://testserver/help/en/a/pay-invoice",
        "http://testserver/help/en/a/reset-password",
        "http://testserver/help/sv/a/aterstall-losenord",
    ]
    for lang in ["en", "sv", "da", "nb", "fi"]:
        assert f"http://testserver/help/{lang}/" in locs and f"http://testserver/help/{lang}/c/account" in locs
    reset = next(u for u in root.findall("s:url", ns) if u.findtext("s:loc", namespaces=ns).endswith("reset-password"))
    links = {(a.get("hreflang"), a.get("href")) for a in reset.findall("x:link", ns)}
    assert links == {
        ("en", "http://testserver/help/en/a/reset-password"),
        ("sv", "http://testserver/help/sv/a/aterstall-losenord"),
    }


def _file(article, name: str, content_type: str) -> ArticleFile:  # type: ignore[no-untyped-def]
    f = ArticleFile(article=article, name=name, content_type=content_type, size=3)
    f.file.save(name, ContentFile(b"abc"), save=True)
    return f


def test_files_of_public_articles_are_served_images_inline_others_as_attachments(client, kb) -> None:  # type: ignore[no-untyped-def]
    image = _file(kb.invoice_en.article, "qr.png", "image/png")
    response = client.get(f"/help/files/{image.pk}/qr.png")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in response.headers.get("Content-Disposition", "")
    page = _file(kb.invoice_en.article, "page.html", "text/html")
    response = client.get(f"/help/files/{page.pk}/page.html")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_files_of_hidden_articles_or_wrong_names_are_404(client, kb) -> None:  # type: ignore[no-untyped-def]
    internal = _file(kb.internal_en.article, "secret.png", "image/png")
    draft = _file(kb.draft_en.article, "soon.png", "image/png")
    public = _file(kb.invoice_en.article, "qr.png", "image/png")
    assert client.get(f"/help/files/{internal.pk}/secret.png").status_code == 404
    assert client.get(f"/help/files/{draft.pk}/soon.png").status_code == 404
    assert client.get(f"/help/files/{public.pk}/other.png").status_code == 404
    assert client.get("/help/files/99999/qr.png").status_code == 404


def test_make_article_helper_is_public_by_default(kb) -> None:  # type: ignore[no-untyped-def]
    extra = make_article(kb.section, "Another one")
    assert extra.article.visibility == "public" and extra.published_at is not None


def test_the_not_found_page_speaks_the_help_centres_language(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/help/fi/a/no-such-article", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response["Content-Language"] == "fi"
    assert "Sivua ei löytynyt" in response.content.decode()


def test_searches_are_limited_per_client_address(client, settings) -> None:  # type: ignore[no-untyped-def]
    from lofte.kb.models import SearchLog

    settings.LOFTE_HELP_SEARCHES_PER_IP = 2
    assert client.get("/help/sv/search", {"q": "faktura"}).status_code == 200
    assert client.get("/help/sv/search", {"q": "elavtal"}).status_code == 200
    refused = client.get("/help/sv/search", {"q": "flytt"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Du har sökt många gånger på kort tid. Vänta en stund och försök igen." in refused.content.decode()
    assert sorted(SearchLog.objects.values_list("query", flat=True)) == ["elavtal", "faktura"]  # nothing for it
    assert client.get("/help/sv/search").status_code == 200  # the page itself, without a search, is not counted
