"""Agents open attachments from the timeline: a download, for cases they may see, and only that case's files."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.cases import selectors, services
from lofte.cases.models import Attachment, Case
from lofte.cases.services import AttachmentInput
from lofte.cases.tests.factories import make_case
from lofte.core.errors import NotFound

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def attach(case: Case, *, filename: str = "faktura 2026.pdf", content_type: str = "application/pdf") -> Attachment:
    message = services.case_add_inbound(
        case=case,
        body="Här är fakturan.",
        channel="email",
        attachments=[AttachmentInput(filename=filename, content_type=content_type, content=PDF)],
    )
    return message.attachments.get()


def url(case: Case, attachment: Attachment) -> str:
    return reverse("cases:attachment", args=[case.reference, attachment.pk])


@pytest.fixture
def client_agent(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


class TestSelector:
    def test_the_attachment_of_a_visible_case(self, case, agent):
        attachment = attach(case)
        found = selectors.case_attachment_get(agent=agent, reference=case.reference, attachment_id=attachment.pk)
        assert (found.pk, found.filename, found.content_type, found.size) == (
            attachment.pk,
            "faktura 2026.pdf",
            "application/pdf",
            len(PDF),
        )

    def test_a_case_the_agent_may_not_see_is_not_found(self, case, outsider):
        attachment = attach(case)
        with pytest.raises(NotFound):
            selectors.case_attachment_get(agent=outsider, reference=case.reference, attachment_id=attachment.pk)

    def test_an_attachment_of_another_case_is_not_found_through_this_one(self, case, agent, team, customer):
        other = make_case(customer=customer, team=team, subject="Another matter")
        elsewhere = attach(other)
        with pytest.raises(NotFound):
            selectors.case_attachment_get(agent=agent, reference=case.reference, attachment_id=elsewhere.pk)


class TestDownload:
    def test_the_agent_downloads_the_file(self, client_agent, case):
        attachment = attach(case)
        response = client_agent.get(url(case, attachment))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="faktura 2026.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
        assert "no-store" in response["Cache-Control"]

    def test_html_is_still_a_download_never_a_page(self, client_agent, case):
        attachment = attach(case, filename="page.html", content_type="text/html")
        response = client_agent.get(url(case, attachment))
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]

    def test_an_outsider_gets_404(self, client, outsider, case):
        attachment = attach(case)
        client.force_login(outsider)
        response = client.get(url(case, attachment))
        assert response.status_code == 404
        assert "Content-Disposition" not in response

    def test_an_id_from_another_case_is_404(self, client_agent, case, team, customer):
        other = make_case(customer=customer, team=team, subject="Another matter")
        elsewhere = attach(other)
        assert client_agent.get(url(other, elsewhere)).status_code == 200  # the agent sees both cases
        response = client_agent.get(reverse("cases:attachment", args=[case.reference, elsewhere.pk]))
        assert response.status_code == 404
        assert "Content-Disposition" not in response

    def test_an_unknown_id_is_404(self, client_agent, case):
        assert client_agent.get(reverse("cases:attachment", args=[case.reference, 999_999])).status_code == 404

    def test_a_missing_file_is_404_not_a_server_error(self, client_agent, case):
        attachment = attach(case)
        attachment.file.storage.delete(attachment.file.name)
        assert client_agent.get(url(case, attachment)).status_code == 404

    def test_login_required(self, client, case):
        attachment = attach(case)
        response = client.get(url(case, attachment))
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_only_get(self, client_agent, case):
        attachment = attach(case)
        assert client_agent.post(url(case, attachment)).status_code == 405


class TestTimeline:
    def test_each_file_is_a_link_with_its_name_and_size(self, client_agent, case):
        attachment = attach(case)
        html = client_agent.get(reverse("cases:detail", args=[case.reference])).content.decode()
        link = (
            rf'<a href="{re.escape(url(case, attachment))}" download>'
            r'<svg class="icon" aria-hidden="true"[^>]*>.*?</svg>'
            r' faktura 2026\.pdf</a> <span class="muted small">\(48\xa0bytes\)</span>'
        )
        assert re.search(link, html)

    def test_links_cost_no_query_per_file(self, client_agent, case):
        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client_agent.get(reverse("cases:detail", args=[case.reference])).status_code == 200
            return len(ctx.captured_queries)

        attach(case)
        count()  # the first request fills the status page's cache (the incidents panel reads it), as in use
        few = count()
        for i in range(10):
            attach(case, filename=f"bild-{i}.png", content_type="image/png")
        assert count() == few


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def attach_bytes(case: Case, content: bytes, *, filename: str, content_type: str) -> Attachment:
    message = services.case_add_inbound(
        case=case,
        body="Bifogat.",
        channel="email",
        attachments=[AttachmentInput(filename=filename, content_type=content_type, content=content)],
    )
    return message.attachments.get()


class TestPreview:
    """Images and PDFs open in the browser (`?inline=1`) when their bytes are what their type says."""

    def test_an_image_and_a_pdf_are_shown_inline(self, client_agent, case):
        image = attach_bytes(case, PNG, filename="skada.png", content_type="image/png")
        response = client_agent.get(url(case, image) + "?inline=1")
        assert response["Content-Disposition"] == 'inline; filename="skada.png"'
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
        pdf = attach(case)
        response = client_agent.get(url(case, pdf) + "?inline=1")
        assert response["Content-Disposition"] == 'inline; filename="faktura 2026.pdf"'
        assert response["Content-Security-Policy"] == "default-src 'none'; object-src 'self'; frame-ancestors 'self'"
        page = client_agent.get(reverse("cases:detail", args=[case.reference])).content.decode()
        assert f'<img class="thumb" src="{url(case, image)}?inline=1"' in page
        assert f'href="{url(case, pdf)}?inline=1"' in page

    @pytest.mark.parametrize(
        ("content", "content_type"),
        [
            (b"<html><script>alert(1)</script></html>", "image/png"),  # HTML calling itself an image
            (b"<svg onload=alert(1)></svg>", "image/svg+xml"),  # an image that can run script
            (b"<html>%PDF-</html>", "application/pdf"),
            (PNG, "text/html"),
        ],
    )
    def test_a_file_that_is_not_what_it_says_stays_a_download(self, client_agent, case, content, content_type):
        attachment = attach_bytes(case, content, filename="x", content_type=content_type)
        response = client_agent.get(url(case, attachment) + "?inline=1")
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"

    def test_another_agent_cannot_preview(self, case, outsider):
        image = attach_bytes(case, PNG, filename="skada.png", content_type="image/png")
        client = Client()
        client.force_login(outsider)
        assert client.get(url(case, image) + "?inline=1").status_code == 404
