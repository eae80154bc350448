"""The people settings pages carry nothing the Content-Security-Policy forbids (the site-wide walk is
tests/test_csp.py), and every change on them is a POST form with a CSRF token."""

from __future__ import annotations

import re

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import AcknowledgementTemplate
from lofte.channels.webhooks.models import WebhookSource
from tests.test_csp import inline_code

pytestmark = pytest.mark.django_db


def test_the_pages_have_no_inline_code_and_every_form_that_changes_posts_with_csrf(client, team, agent):
    admin = AgentFactory(role=Role.ADMIN)
    template = AcknowledgementTemplate.objects.create(language="en", body="Hi {reference}")
    source = WebhookSource.objects.create(name="shop")
    client.force_login(admin)
    pages = [
        "/teams/",
        "/teams/new",
        f"/teams/{team.pk}/",
        "/agents/",
        "/agents/new",
        f"/agents/{agent.pk}/",
        "/templates/acknowledgements/",
        "/templates/acknowledgements/new",
        f"/templates/acknowledgements/{template.pk}/",
        "/webhooks/",
        "/webhooks/new",
        f"/webhooks/{source.pk}/",
        "/set-password/MQ/not-a-token/",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert inline_code(html).problems == [], path
        for form in re.findall(r"<form\b[^>]*>.*?</form>", html, flags=re.S):
            opening = form[: form.index(">")]
            if 'method="post"' in opening:
                assert "csrfmiddlewaretoken" in form, (path, opening)
            else:  # the search forms and the dialog's close button change nothing
                assert 'method="get"' in opening or 'method="dialog"' in opening, (path, opening)
        for table in re.findall(r"(.{0,40})<table\b", html, flags=re.S):
            assert 'class="table-scroll"' in table, path  # no overflow on a narrow screen
