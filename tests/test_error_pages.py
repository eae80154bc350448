"""Error pages (400, 403, 404, 500 and a refused form) with DEBUG off: in the site's layout and the reader's
language, saying what happened and where to go, with the right status. API errors stay JSON."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from lofte.core.views import server_error

pytestmark = pytest.mark.django_db

SITE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture(autouse=True)
def production(settings):  # type: ignore[no-untyped-def]
    """As in production: DEBUG off (Django's handlers only then), and addresses that fail on purpose."""
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"


def translated(text: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def heading(html: str) -> str:
    match = re.search(r'<h1 id="error-title">(.*?)</h1>', html)
    assert match, "no error heading"
    return match.group(1)


def links(html: str) -> list[str]:
    match = re.search(r'<ul class="error-links">(.*?)</ul>', html, re.S)
    assert match, "no links"
    return re.findall(r'<a href="([^"]*)">', match.group(1))


class TestNotFound:
    def test_in_swedish_for_a_visitor_keeps_the_status(self, client):
        response = client.get("/no/such/page", headers={"accept-language": "sv"})
        html = response.content.decode()
        assert response.status_code == 404
        assert response["Content-Language"] == "sv"
        assert '<html lang="sv">' in html
        swedish = translated("Page not found", "sv")
        assert swedish != "Page not found"  # the catalogue has it
        assert heading(html) == swedish
        assert f"<title>{swedish} · {translated('Customer service', 'sv')}</title>" in html
        assert '<body class="public">' in html and 'class="topbar"' not in html
        assert links(html) == [reverse("webform:contact"), reverse("portal:request")]
        assert response["Content-Security-Policy"] == SITE_POLICY

    def test_a_signed_in_agent_gets_the_agent_layout_in_their_language(self, client, agent):
        agent.language = "fi"
        agent.save(update_fields=["language"])
        client.force_login(agent)
        response = client.get("/no/such/page", headers={"accept-language": "sv"})
        html = response.content.decode()
        assert response.status_code == 404
        assert '<html lang="fi">' in html
        assert heading(html) == translated("Page not found", "fi") != "Page not found"
        assert '<header class="topbar">' in html and agent.display_name in html
        assert links(html) == [reverse("cases:inbox"), reverse("promises:board")]

    def test_a_case_the_agent_may_not_see_is_the_same_page(self, client, outsider, case):
        client.force_login(outsider)
        response = client.get(reverse("cases:detail", args=[case.reference]))
        assert response.status_code == 404
        html = response.content.decode()
        assert heading(html) == "Page not found"
        assert case.subject not in html and case.reference not in html

    def test_the_api_still_answers_json(self, client, agent):
        client.force_login(agent)
        response = client.get("/api/v1/no-such-endpoint")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response.json() == {"code": "not_found", "message": "There is no API endpoint /api/v1/no-such-endpoint."}


class TestForbidden:
    def test_a_visitor(self, client):
        response = client.get("/test-errors/403", headers={"accept-language": "sv"})
        html = response.content.decode()
        assert response.status_code == 403
        assert heading(html) == translated("Forbidden", "sv") != "Forbidden"
        assert '<body class="public">' in html
        assert "not for you" not in html  # the exception's text is for the log, not the page

    def test_an_agent(self, client, agent):
        client.force_login(agent)
        response = client.get("/test-errors/403")
        html = response.content.decode()
        assert response.status_code == 403
        assert heading(html) == "Forbidden"
        assert "ask an administrator" in html
        assert '<header class="topbar">' in html

    def test_a_form_sent_without_its_csrf_token(self, agent):
        client = Client(enforce_csrf_checks=True)
        response = client.post(reverse("accounts:login"), {"username": agent.email, "password": "x"})
        html = response.content.decode()
        assert response.status_code == 403
        assert heading(html) == "The form could not be sent"
        assert "reload the page, and send the form again" in html
        assert '<body class="public">' in html
        assert response["Content-Security-Policy"] == SITE_POLICY


class TestBadRequest:
    def test_a_suspicious_request(self, client):
        response = client.get("/test-errors/400", headers={"accept-language": "sv"})
        html = response.content.decode()
        assert response.status_code == 400
        assert '<html lang="sv">' in html
        assert heading(html) == translated("Bad request", "sv")
        assert "a tampered request" not in html

    def test_an_unknown_host(self, client):
        response = client.get("/inbox/", headers={"host": "evil.example"})
        assert response.status_code == 400
        assert heading(response.content.decode()) == "Bad request"


class TestServerError:
    def test_the_public_layout_with_a_way_back_even_for_an_agent(self, agent, caplog):
        client = Client(raise_request_exception=False)
        client.force_login(agent)
        response = client.get("/test-errors/500", headers={"accept-language": "sv"})
        html = response.content.decode()
        assert response.status_code == 500
        assert '<html lang="sv">' in html
        assert heading(html) == translated("Server error", "sv") != "Server error"
        assert '<body class="public">' in html and 'class="topbar"' not in html
        assert links(html) == ["/test-errors/500"]
        assert "a bug" not in html
        assert response["Content-Security-Policy"] == SITE_POLICY
        assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
            "Internal Server Error: /test-errors/500"
        ]

    def test_needs_no_database(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = server_error(RequestFactory().get("/anything"))
        assert response.status_code == 500

    def test_the_way_back_never_leads_to_another_site(self):
        request = RequestFactory().get("/x")
        request.path = "//evil.example/x"  # what a server hands Django for GET //evil.example/x
        response = server_error(request)
        assert links(response.content.decode()) == ["/evil.example/x"]
