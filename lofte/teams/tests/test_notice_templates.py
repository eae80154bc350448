"""Notice templates: admins see every notice in every language, write their own text, preview it with sample values
(and its SMS count), and reset it to the built-in text; a bad placeholder or a text too long for Lofte's SMS is
refused beside the field; everyone else gets 403 and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import notices
from lofte.cases.models import NoticeTemplate
from lofte.core import clock
from lofte.core.errors import PermissionDenied
from lofte.teams import services
from tests.test_csp import inline_code

pytestmark = pytest.mark.django_db

BREACH_SV = "/templates/notices/breach/sv/"
FI_TEXT = "Anteeksi, {customer_name}! Asiasi {reference}: vastaamme viimeistään {when}."
SV_TEXT = "Förlåt, {customer_name}! Ärende {reference}: svar senast {when}."


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Alma Admin", role=Role.ADMIN)


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def fi_text(admin):  # type: ignore[no-untyped-def]
    return NoticeTemplate.objects.create(kind="breach", language="fi", body=FI_TEXT, updated_by=admin)


def rows() -> list[tuple[object, ...]]:
    return list(NoticeTemplate.objects.order_by("pk").values_list("pk", "kind", "language", "body", "updated_by_id"))


def text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


# --- who may -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/templates/notices/", BREACH_SV, "/templates/notices/callback_gave_up/fi/"])
@pytest.mark.parametrize(("who", "status"), [("admin", 200), ("lead", 403), ("agent", 403), ("anonymous", 302)])
def test_the_pages_are_for_admins(client, admin, lead, agent, path, who, status):
    if who != "anonymous":
        client.force_login({"admin": admin, "lead": lead, "agent": agent}[who])
    response = client.get(path)
    assert response.status_code == status
    if status == 403:
        assert "Only admins can change this." in response.content.decode()
    if status == 302:
        assert response["Location"].startswith("/login/?next=")


@pytest.mark.parametrize("who", ["lead", "agent", "anonymous"])
def test_others_cannot_write_preview_or_reset(client, lead, agent, fi_text, who):
    if who != "anonymous":
        client.force_login({"lead": lead, "agent": agent}[who])
    before = rows()
    expected = 302 if who == "anonymous" else 403
    assert client.post(BREACH_SV, {"body": "Hacked {reference}"}).status_code == expected
    assert client.post("/templates/notices/breach/fi/", {"body": "Hacked"}).status_code == expected
    assert client.post(BREACH_SV, {"body": "{reference}", "preview": "1"}).status_code == expected
    assert client.post("/templates/notices/breach/fi/reset").status_code == expected
    assert rows() == before


def test_the_services_refuse_everyone_but_admins(lead, agent, fi_text):
    before = rows()
    for who in (lead, agent):
        with pytest.raises(PermissionDenied, match=r"Only admins can change this\."):
            services.notice_template_save(actor=who, kind="breach", language="sv", body="Hej {reference}")
        with pytest.raises(PermissionDenied, match=r"Only admins can change this\."):
            services.notice_template_reset(actor=who, kind="breach", language="fi")
    assert rows() == before


@pytest.mark.parametrize("path", ["/templates/notices/portal_link/sv/", "/templates/notices/breach/de/"])
def test_a_notice_or_language_that_does_not_exist_is_404_for_an_admin_and_403_for_others(client, admin, agent, path):
    client.force_login(admin)
    assert client.get(path).status_code == 404
    assert client.post(path, {"body": "x"}).status_code == 404
    assert client.post(path + "reset").status_code == 404
    client.force_login(agent)
    assert client.get(path).status_code == 403  # before anything is looked up
    assert rows() == []


# --- the list --------------------------------------------------------------------------------------------------------


def test_the_list_shows_every_notice_in_every_language_built_in_or_custom(client, admin, fi_text):
    client.force_login(admin)
    html = text(client.get("/templates/notices/"))
    for kind in notices.NOTICES:
        assert f'data-notice="{kind}"' in html
        for language in ("en", "sv", "da", "nb", "fi"):
            assert f'href="/templates/notices/{kind}/{language}/"' in html
    breach = re.search(r'<tr data-notice="breach">(.*?)</tr>', html, flags=re.S)
    assert breach is not None
    cells = dict(re.findall(r'<td data-language="(\w+)">(.*?)</td>', breach.group(1), flags=re.S))
    assert "data-custom" in cells["fi"] and "custom" in cells["fi"]
    assert [lang for lang, cell in cells.items() if "data-custom" not in cell] == ["en", "sv", "da", "nb"]
    assert "built-in" in cells["sv"]
    assert html.count("data-custom") == 1
    assert "Sent by email (never by SMS) when the number was wrong" in html


def test_the_list_costs_the_same_queries_with_one_or_every_text(client, admin):
    client.force_login(admin)
    NoticeTemplate.objects.create(kind="breach", language="fi", body=FI_TEXT)
    client.get("/templates/notices/")  # the session and the agent warm
    with CaptureQueriesContext(connection) as one:
        assert client.get("/templates/notices/").status_code == 200
    NoticeTemplate.objects.all().delete()
    NoticeTemplate.objects.bulk_create(
        NoticeTemplate(kind=kind, language=language, body="{reference}", updated_by=admin)
        for kind in notices.NOTICES
        for language in ("en", "sv", "da", "nb", "fi")
    )
    with CaptureQueriesContext(connection) as every:
        html = client.get("/templates/notices/").content.decode()
    assert html.count("data-custom") == 5 * len(notices.NOTICES)
    assert len(every.captured_queries) == len(one.captured_queries)
    assert sum("cases_noticetemplate" in q["sql"] for q in every.captured_queries) == 1


# --- one notice ------------------------------------------------------------------------------------------------------


def test_the_page_shows_the_built_in_text_the_placeholders_a_preview_and_the_sms_count(client, admin):
    client.force_login(admin)
    with clock.at(datetime(2026, 11, 16, 9, 0, tzinfo=UTC)):  # a Monday: the sample time is tomorrow's
        html = text(client.get(BREACH_SV))
    built_in = notices.default_text("breach", "sv")
    assert built_in.endswith("Du hör av oss senast {when}.")
    assert html.count(built_in) == 2  # in the text box (nothing of the admins' yet) and as the built-in text
    for name in ("reference", "customer_name", "when"):
        assert f"<code>{{{name}}}</code>" in html
    assert "<code>{day}</code>" not in html
    assert "Du hör av oss senast tisdag" in html  # the preview, with a sample time in Swedish
    assert re.search(
        r"data-sms-count>With the sample values: \d+ characters, 1 SMS \(GSM-7\); Lofte sends at most 6\.", html
    )
    assert "Customers get Lofte's built-in text." in html
    assert "Reset to the built-in text" not in html  # nothing to reset


def test_the_wrong_number_notice_goes_by_email_and_has_no_sms_count(client, admin):
    client.force_login(admin)
    html = text(client.get("/templates/notices/callback_wrong_number/en/"))
    assert "<code>{phone}</code>" in html and "data-sms-count" not in html
    assert "the number +46 70 123 45 67 did not reach you" in html


def test_an_admin_writes_a_text_and_customers_in_that_language_get_it(client, admin):
    client.force_login(admin)
    response = client.post(BREACH_SV, {"body": SV_TEXT + "\r\n"})
    assert response.status_code == 302 and response["Location"] == BREACH_SV
    saved = NoticeTemplate.objects.get()
    assert (saved.kind, saved.language, saved.body, saved.updated_by) == ("breach", "sv", SV_TEXT, admin)
    page = text(client.get(BREACH_SV))
    assert "The notice's text is saved." in page
    assert "Your own text, changed" in page and "by Alma Admin" in page
    assert "Förlåt, Karin Lindqvist-Johansson! Ärende LF-" in page  # the preview of the saved text
    assert "Reset to the built-in text" in page
    values = {"reference": "LF-1", "customer_name": "Karin", "when": "måndag 16:00"}
    assert notices.notice_text(kind="breach", language="sv", values=values) == (
        "Förlåt, Karin! Ärende LF-1: svar senast måndag 16:00."
    )
    # changing it replaces the one text
    assert client.post(BREACH_SV, {"body": "Förlåt! {when}"}).status_code == 302
    assert list(NoticeTemplate.objects.values_list("language", "body")) == [("sv", "Förlåt! {when}")]


def test_saving_the_built_in_text_keeps_no_text_of_the_admins(client, admin):
    client.force_login(admin)
    NoticeTemplate.objects.create(kind="breach", language="sv", body=SV_TEXT)
    response = client.post(BREACH_SV, {"body": notices.default_text("breach", "sv")})
    assert response.status_code == 302
    assert rows() == []
    assert "That is the built-in text: customers get it, as it is translated." in text(client.get(BREACH_SV))


def test_reset_deletes_the_admins_text(client, admin, fi_text):
    client.force_login(admin)
    response = client.post("/templates/notices/breach/fi/reset")
    assert response.status_code == 302 and response["Location"] == "/templates/notices/breach/fi/"
    assert rows() == []
    page = text(client.get("/templates/notices/breach/fi/"))
    assert "The notice is back to the built-in text." in page
    again = client.post("/templates/notices/breach/fi/reset", follow=True)
    assert "The notice already uses the built-in text." in text(again)


def test_reset_only_touches_its_own_notice_and_language(client, admin, fi_text):
    other = NoticeTemplate.objects.create(kind="callback_retry", language="sv", body="{tried}")
    client.force_login(admin)
    assert client.post("/templates/notices/breach/sv/reset").status_code == 302
    assert client.post("/templates/notices/callback_retry/fi/reset").status_code == 302
    assert set(NoticeTemplate.objects.values_list("pk", flat=True)) == {fi_text.pk, other.pk}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("Hej {name}", "{name} is not a placeholder; use {reference}, {customer_name}, {when}."),
        ("Ring {number}", "{number} is not a placeholder; use {reference}, {customer_name}, {when}."),
        ("Senast {when.__class__}", "{when.__class__} is not a placeholder; use {reference}, {customer_name}, {when}."),
        ("Senast {when:>99999}", "Write {when} alone, with nothing after the name inside the braces."),
        ("Senast {when!r}", "Write {when} alone, with nothing after the name inside the braces."),
        ("Senast {when", "The text has an unmatched brace"),
        ("   ", "Write the text of the notice, or reset it to the built-in text."),
        ("", "Write the text of the notice, or reset it to the built-in text."),
        ("Hej {when} " + "x" * 1100, "With the sample values the text is 8 SMS long (GSM-7); Lofte sends at most 6."),
        ("😀 {when} " + "å" * 400, "With the sample values the text is 7 SMS long (UCS-2); Lofte sends at most 6."),
        ("x" * 2001, "The text is 2001 characters long; at most 2000 are allowed."),
    ],
)
def test_a_bad_text_is_refused_beside_the_field_and_nothing_is_saved(client, admin, fi_text, body, error):
    client.force_login(admin)
    before = rows()
    response = client.post(BREACH_SV, {"body": body})
    assert response.status_code == 422
    html = text(response)
    field_error = re.search(r'<div class="error" role="alert" data-error-for="body">(.*?)</div>', html, flags=re.S)
    assert field_error is not None and error in field_error.group(1)
    assert rows() == before


def test_the_sms_limit_is_the_projects(client, admin, settings):
    settings.LOFTE_SMS_MAX_SEGMENTS = 1
    client.force_login(admin)
    body = "Hej {customer_name}, ärende {reference}: senast {when}. " + "Tack för ditt tålamod. " * 4
    response = client.post(BREACH_SV, {"body": body})
    assert response.status_code == 422
    assert "With the sample values the text is 2 SMS long (GSM-7); Lofte sends at most 1. Shorten it." in text(response)
    assert rows() == []
    # the wrong-number notice goes by email only: no SMS limit
    wrong = "{phone} " + "Vi ber om ursäkt. " * 20
    assert client.post("/templates/notices/callback_wrong_number/sv/", {"body": wrong}).status_code == 302
    assert NoticeTemplate.objects.get().kind == "callback_wrong_number"


def test_the_preview_fills_the_text_without_saving_with_and_without_javascript(client, admin):
    client.force_login(admin)
    data = {"body": SV_TEXT, "preview": "1"}
    page = client.post(BREACH_SV, data)  # the button, without JavaScript: the whole page
    assert page.status_code == 200
    html = text(page)
    assert "<h1>" in html and "Förlåt, Karin Lindqvist-Johansson! Ärende LF-" in html
    partial = client.post(BREACH_SV, data, headers={"HX-Request": "true"})
    assert partial.status_code == 200
    fragment = text(partial)
    assert fragment.lstrip().startswith('<section class="card" id="notice-preview"')
    assert "<h1>" not in fragment and "Förlåt, Karin Lindqvist-Johansson! Ärende LF-" in fragment
    assert "data-sms-count" in fragment
    assert rows() == []


def test_the_preview_names_a_bad_placeholder_and_a_text_too_long(client, admin):
    client.force_login(admin)
    hx = {"HX-Request": "true"}
    bad = client.post(BREACH_SV, {"body": "Hej {when.__class__}", "preview": "1"}, headers=hx)
    assert bad.status_code == 200 and "{when.__class__} is not a placeholder" in text(bad)
    long = client.post(BREACH_SV, {"body": "{when} " + "x" * 1100, "preview": "1"}, headers=hx)
    assert "8 SMS long (GSM-7); Lofte sends at most 6." in text(long)
    empty = client.post(BREACH_SV, {"body": "", "preview": "1"}, headers=hx)
    assert "With an empty text, Lofte's built-in text is sent:" in text(empty)
    assert "Du hör av oss senast" in text(empty)
    assert rows() == []


# --- the pages in Swedish and Finnish ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "built_in", "save"),
    [
        ("sv", "Vi har inte lyckats svara inom den tid vi lovade", "Spara"),
        (
            "fi",
            "Emme ehtineet vastata luvatussa ajassa, ja pahoittelemme sitä. Kuulet meistä viimeistään {when}.",
            "Tallenna",
        ),
    ],
)
def test_the_pages_in_swedish_and_finnish(client, fi_text, language, built_in, save):
    admin = AgentFactory(email=f"admin-{language}@example.com", role=Role.ADMIN, language=language)
    client.force_login(admin)
    listing = client.get("/templates/notices/")
    assert listing.status_code == 200
    assert f'lang="{language}"' in listing.content.decode()
    page = text(client.get(f"/templates/notices/breach/{language}/"))
    assert notices.default_text("breach", language) in page  # the built-in text in the notice's language
    assert built_in in page
    assert f">{save}</button>" in page
    if language == "fi":
        assert "Anteeksi, Karin Lindqvist-Johansson! Asiasi LF-" in page  # the admins' Finnish text, previewed


# --- markup --------------------------------------------------------------------------------------------------------


def test_the_pages_have_no_inline_code_and_every_change_posts_with_csrf(client, admin, fi_text):
    client.force_login(admin)
    for path in ("/templates/notices/", "/templates/notices/breach/fi/", BREACH_SV):
        html = client.get(path).content.decode()
        assert inline_code(html).problems == [], path
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S):
            opening = form[: form.index(">")]
            if 'method="post"' in opening:
                assert "csrfmiddlewaretoken" in form, (path, opening)
            else:  # the page's dialog (base.html) changes nothing
                assert 'method="dialog"' in opening or 'method="get"' in opening, (path, opening)
        for table in re.findall(r"(.{0,40})<table\b", html, flags=re.S):
            assert 'class="table-scroll"' in table, path


def test_the_settings_pages_link_to_the_notices(client, admin):
    client.force_login(admin)
    assert 'href="/templates/notices/"' in client.get("/teams/").content.decode()
    assert 'href="/templates/notices/"' in client.get("/templates/acknowledgements/").content.decode()


def test_updated_at_is_set_on_every_save(admin):
    before = timezone.now()
    template = services.notice_template_save(actor=admin, kind="callback_retry", language="da", body="{tried} {day}")
    assert template is not None and template.updated_at >= before and template.updated_by == admin
