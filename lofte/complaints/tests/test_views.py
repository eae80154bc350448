"""The register page, the case page's complaint panel and its forms, the contact form's complaint choice, and text
understanding's complaint verdict."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import CaseEvent
from lofte.cases.tests.factories import make_case
from lofte.complaints import services
from lofte.complaints.models import Category, Complaint, ComplaintSettings, Source
from lofte.webform.services import ContactSubmission, contact_submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, agent):
    client.force_login(agent)
    return client


def test_the_empty_register_says_how_complaints_arrive(logged_in):
    response = logged_in.get("/complaints/")
    assert response.status_code == 200
    assert "No open complaints." in response.content.decode()


def test_the_register_lists_what_the_reader_sees_with_the_same_queries_for_5_and_25(logged_in, team, other_team):
    for i in range(5):
        services.complaint_flag(case=make_case(team=team, subject=f"Mine {i}"), source=Source.API)
    hidden = services.complaint_flag(case=make_case(team=other_team, subject="Not mine"), source=Source.API)
    with CaptureQueriesContext(connection) as few:
        page = logged_in.get("/complaints/").content.decode()
    assert page.count("data-complaint=") == 5
    assert hidden.case.reference not in page
    for i in range(20):
        services.complaint_flag(case=make_case(team=team, subject=f"More {i}"), source=Source.API)
    with CaptureQueriesContext(connection) as many:
        page = logged_in.get("/complaints/").content.decode()
    assert page.count("data-complaint=") == 25
    assert 'rel="next"' not in page
    assert len(many) == len(few)
    services.complaint_flag(case=make_case(team=team, subject="The 26th"), source=Source.API)
    page = logged_in.get("/complaints/").content.decode()
    assert 'rel="next"' in page
    older = re.search(r'href="\?([^"]*cursor=[^"]+)" rel="next"', page)
    assert older is not None
    rest = logged_in.get("/complaints/?" + older.group(1).replace("&amp;", "&")).content.decode()
    assert rest.count("data-complaint=") == 1 and "Mine 0" in rest
    assert logged_in.get("/complaints/?cursor=nonsense").status_code == 200  # a bad cursor: the first page


def test_the_case_panel_flags_changes_and_unflags(logged_in, case):
    billing = Category.objects.create(name="Billing")
    page = logged_in.get(f"/cases/{case.reference}/").content.decode()
    assert "This is a complaint" in page
    response = logged_in.post(f"/cases/{case.reference}/complaint/flag")
    assert response.status_code == 302
    complaint = Complaint.objects.get(case=case)
    assert complaint.source == Source.AGENT
    page = logged_in.get(f"/cases/{case.reference}/").content.decode()
    assert "Save complaint" in page and "handled by" in page
    response = logged_in.post(
        f"/cases/{case.reference}/complaint", {"category": billing.pk, "severity": "high", "outcome": "upheld"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.category is None  # the outcome came without its reason: nothing was saved
    page = logged_in.get(f"/cases/{case.reference}/").content.decode()
    assert "the reason given to the customer goes with the outcome" in page
    logged_in.post(f"/cases/{case.reference}/complaint", {"category": billing.pk, "severity": "high"})
    complaint.refresh_from_db()
    assert (complaint.category, complaint.severity) == (billing, "high")
    logged_in.post(f"/cases/{case.reference}/complaint/unflag", {"reason": "A question"})
    complaint.refresh_from_db()
    assert complaint.is_active is False
    assert (
        "Once taken for a complaint, then not: A question"
        in logged_in.get(f"/cases/{case.reference}/").content.decode()
    )


def test_htmx_answers_bring_the_case_back_into_its_pane(logged_in, case):
    response = logged_in.post(f"/cases/{case.reference}/complaint/flag", HTTP_HX_REQUEST="true")
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.reference}/"
    response = logged_in.post(f"/cases/{case.reference}/complaint", {"severity": "enormous"}, HTTP_HX_REQUEST="true")
    assert (response.status_code, response["HX-Redirect"]) == (204, f"/cases/{case.reference}/")


def test_strangers_get_404_and_readers_403_with_nothing_changed(client, case, outsider, team):
    client.force_login(outsider)
    assert client.post(f"/cases/{case.reference}/complaint/flag").status_code == 404
    reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
    client.force_login(reviewer)
    assert client.post(f"/cases/{case.reference}/complaint/flag").status_code == 403
    assert not Complaint.objects.exists()
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert "This is a complaint" not in page


def test_the_contact_forms_complaint_choice_files_a_complaint(db):
    case = contact_submit(
        submission=ContactSubmission(
            name="Kim",
            email="kim@example.com",
            phone="",
            subject="Broken delivery",
            message="The parcel arrived broken and nobody answers.",
            language="en",
            complaint=True,
        )
    )
    complaint = Complaint.objects.get(case=case)
    assert (complaint.source, complaint.channel) == ("customer", "web")
    assert CaseEvent.objects.filter(case=case, kind="complaint_flagged", data__source="customer").count() == 1


def test_the_contact_form_has_the_choice(client):
    page = client.get("/contact").content.decode()
    assert 'name="complaint"' in page
    assert "I want to make a complaint" in page


def test_the_complaint_settings_default_and_admin_page(admin_client):
    assert services.settings_get().detection == "applied"
    assert ComplaintSettings.objects.count() == 1
    assert admin_client.get("/admin/complaints/category/").status_code == 200
    assert admin_client.get("/admin/complaints/complaint/").status_code == 200
