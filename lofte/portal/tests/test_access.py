"""One customer can never see or touch another's case: every portal view, by guessed reference and by id,
answers exactly as for a case that does not exist; without a session, every page sends the visitor to the
link form; every POST needs its CSRF token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lofte.cases import services as cases
from lofte.cases.models import Attachment, Case, CaseEvent, Message
from lofte.cases.services import AttachmentInput
from lofte.portal.tests.conftest import csrf_token, login

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 a small file"


@pytest.fixture
def other_attachment(other_case, other_customer) -> Attachment:
    message = cases.case_add_inbound(
        case=other_case,
        body="Olle's attachment",
        channel="email",
        attachments=[AttachmentInput(filename="olle.pdf", content_type="application/pdf", content=PDF)],
    )
    return message.attachments.get()


def snapshot(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.updated_at,
        Message.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
        Case.objects.count(),
    )


def views_for(reference: str, attachment_id: int) -> list[tuple[str, str]]:
    return [
        ("get", reverse("portal:case", args=[reference])),
        ("post", reverse("portal:message", args=[reference])),
        ("post", reverse("portal:close", args=[reference])),
        ("post", reverse("portal:reopen", args=[reference])),
        ("get", reverse("portal:attachment", args=[reference, attachment_id])),
    ]


class TestAnotherCustomersCase:
    def test_every_view_by_reference_is_404_like_an_unknown_case(self, portal, case, other_case, other_attachment):
        before = snapshot(other_case)
        for method, url in views_for(other_case.reference, other_attachment.pk):
            response = getattr(portal, method)(url, {"body": "Let me in"} if method == "post" else {})
            assert response.status_code == 404, url
            assert "Olle" not in response.content.decode()
        unknown = [
            getattr(portal, method)(url, {"body": "x"} if method == "post" else {}).status_code
            for method, url in views_for("LF-2099-999999", 999999)
        ]
        assert unknown == [404] * 5
        assert snapshot(other_case) == before

    def test_reference_in_other_case_and_spacing_makes_no_difference(self, portal, other_case):
        lower = reverse("portal:case", args=[other_case.reference.lower()])
        assert portal.get(lower).status_code == 404

    def test_by_numeric_id_is_404(self, portal, case, other_case):
        assert portal.get(f"/portal/cases/{other_case.pk}/").status_code == 404
        assert portal.get(f"/portal/cases/{case.pk}/").status_code == 404  # ids are not references

    def test_another_customers_attachment_by_id_through_ones_own_case_is_404(self, portal, case, other_attachment):
        response = portal.get(reverse("portal:attachment", args=[case.reference, other_attachment.pk]))
        assert response.status_code == 404

    def test_the_list_shows_only_ones_own_cases(self, portal, case, other_case):
        html = portal.get("/portal/cases/").content.decode()
        assert case.reference in html
        assert other_case.reference not in html and "Olle" not in html

    def test_the_other_customer_sees_only_theirs(self, case, other_case, other_customer):
        client = Client()
        login(client, other_customer)
        assert client.get(reverse("portal:case", args=[case.reference])).status_code == 404
        assert client.get(reverse("portal:case", args=[other_case.reference])).status_code == 200


class TestWithoutASession:
    def test_every_page_sends_the_visitor_to_the_link_form(self, client, case, other_attachment):
        message = case.messages.get()
        urls = [("get", "/portal/cases/"), *views_for(case.reference, other_attachment.pk)]
        before = snapshot(case)
        for method, url in urls:
            response = getattr(client, method)(url, {"body": "hello"} if method == "post" else {})
            assert response.status_code == 302, url
            assert response["Location"] == "/portal/", url
        assert snapshot(case) == before
        assert message.pk  # untouched

    def test_an_agent_session_is_no_portal_session(self, client, agent, case):
        client.force_login(agent)
        response = client.get("/portal/cases/")
        assert response.status_code == 302 and response["Location"] == "/portal/"

    def test_a_session_for_a_deleted_customer_is_forgotten(self, client, other_customer):
        login(client, other_customer)
        other_customer.delete()
        assert client.get("/portal/cases/")["Location"] == "/portal/"
        assert "portal_customer_id" not in client.session


class TestCsrf:
    @pytest.fixture
    def strict(self, customer) -> Client:
        client = Client(enforce_csrf_checks=True)
        login(client, customer)
        return client

    def test_asking_for_a_link_needs_the_token(self, customer):
        client = Client(enforce_csrf_checks=True)
        page = client.get("/portal/")
        assert client.post("/portal/", {"address": "karin@example.se"}).status_code == 403
        ok = client.post("/portal/", {"address": "karin@example.se", "csrfmiddlewaretoken": csrf_token(page)})
        assert ok.status_code == 200

    def test_every_case_action_needs_the_token(self, strict, case):
        before = snapshot(case)
        for name in ("portal:message", "portal:close", "portal:reopen"):
            response = strict.post(reverse(name, args=[case.reference]), {"body": "Forged"})
            assert response.status_code == 403, name
        assert strict.post(reverse("portal:logout")).status_code == 403
        assert snapshot(case) == before
        page = strict.get(reverse("portal:case", args=[case.reference]))
        token = csrf_token(page)
        response = strict.post(
            reverse("portal:message", args=[case.reference]), {"body": "Real", "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302
        assert case.messages.filter(body_text="Real").exists()
