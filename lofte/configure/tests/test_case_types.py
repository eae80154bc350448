"""Case types on the settings pages: every field, names for customers per language, errors beside the field, and
deactivation instead of deletion once cases use a type."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.cases.models import CaseType
from lofte.cases.tests.factories import CaseTypeFactory, make_case

pytestmark = pytest.mark.django_db


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Faktura",
        "description": "Questions about an invoice",
        "default_priority": 3,
        "is_complaint": "on",
        "expected_handling_minutes": 45,
        "update_interval_hours": 48,
        "breach_notice": "on",
        "breach_notice_hours": 6,
        "is_public": "on",
        "is_active": "on",
        "public_name_en": "Invoice",
        "public_name_sv": "Faktura",
        "public_name_da": "Faktura",
        "public_name_nb": "Faktura",
        "public_name_fi": "Lasku",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_case_type_with_every_field(admin_client, team):
    response = admin_client.post("/configure/case-types/new", form(default_team=team.pk))
    assert response.status_code == 302 and response["Location"] == "/configure/case-types/"
    t = CaseType.objects.get()
    assert (t.name, t.description, t.default_team, t.default_priority) == (
        "Faktura",
        "Questions about an invoice",
        team,
        3,
    )
    assert (t.is_complaint, t.breach_notice, t.breach_notice_hours, t.is_public, t.is_active) == (
        True,
        True,
        6,
        True,
        True,
    )
    assert t.expected_handling_time == timedelta(minutes=45)
    assert t.update_interval == timedelta(hours=48)
    assert t.public_names == {"en": "Invoice", "sv": "Faktura", "da": "Faktura", "nb": "Faktura", "fi": "Lasku"}


def test_editing_changes_the_row_and_empty_names_are_dropped(admin_client):
    t = CaseTypeFactory(name="Faktura", public_names={"fi": "Lasku"})
    page = admin_client.get(f"/configure/case-types/{t.pk}/").content.decode()
    assert 'value="Lasku"' in page
    response = admin_client.post(
        f"/configure/case-types/{t.pk}/",
        form(public_name_fi="", is_complaint=None, expected_handling_minutes="", update_interval_hours=""),
    )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.public_names == {"en": "Invoice", "sv": "Faktura", "da": "Faktura", "nb": "Faktura"}
    assert (t.is_complaint, t.expected_handling_time, t.update_interval) == (False, None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "  "}, "name", "This field is required."),
        ({"default_priority": 9}, "default_priority", "Select a valid choice."),
        (
            {"expected_handling_minutes": 0},
            "expected_handling_minutes",
            "Ensure this value is greater than or equal to 1.",
        ),
        (
            {"expected_handling_minutes": 600000},
            "expected_handling_minutes",
            "A time here is more than zero and at most a year.",
        ),
        ({"update_interval_hours": 9000}, "update_interval_hours", "A time here is more than zero and at most a year."),
        ({"breach_notice_hours": 0}, "breach_notice_hours", "Ensure this value is greater than or equal to 1."),
        (
            {"breach_notice_hours": 5000},
            "breach_notice_hours",
            "The new time after a broken promise is 1 to 744 business hours.",
        ),
        ({"public_name_sv": "x" * 101}, "public_name_sv", "Ensure this value has at most 100 characters"),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_nothing_is_written(admin_client, changes, field, message):
    response = admin_client.post("/configure/case-types/new", form(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    start = page.index(f'data-error-for="{field}"')
    assert message in page[start : start + 300]
    assert not CaseType.objects.exists()


def test_a_name_taken_in_another_case_is_an_error_on_the_name(admin_client):
    CaseTypeFactory(name="faktura")
    response = admin_client.post("/configure/case-types/new", form())
    assert response.status_code == 422
    assert "There is already a case type named Faktura." in response.content.decode()
    assert CaseType.objects.count() == 1


def test_a_case_type_cases_use_is_deactivated_not_deleted(admin_client, team):
    used = CaseTypeFactory(name="Used")
    case = make_case(case_type=used, team=team)
    unused = CaseTypeFactory(name="Unused")
    response = admin_client.post(f"/configure/case-types/{used.pk}/remove")
    assert response.status_code == 302
    used.refresh_from_db()
    assert used.is_active is False
    case.refresh_from_db()
    assert case.case_type == used
    assert admin_client.post(f"/configure/case-types/{unused.pk}/remove").status_code == 302
    assert list(CaseType.objects.values_list("name", flat=True)) == ["Used"]
    page = admin_client.get("/configure/case-types/").content.decode()
    assert "inactive" in page


def test_the_list_reads_in_a_fixed_number_of_queries(admin_client, team):
    def count(n: int) -> int:
        CaseType.objects.all().delete()
        CaseType.objects.bulk_create([CaseType(name=f"T{i}", default_team=team) for i in range(n)])
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/configure/case-types/").status_code == 200
        return len(queries)

    assert count(5) == count(50)


def test_the_preview_shows_the_name_customers_see_in_each_language(admin_client):
    t = CaseTypeFactory(name="Faktura", is_public=True, public_names={"en": "Invoice", "fi": "Lasku"})
    page = admin_client.get(f"/configure/case-types/{t.pk}/").content.decode()
    table = page[page.index("data-public-names") :]
    assert '<th scope="row">Finnish</th><td>Lasku</td>' in table
    assert '<th scope="row">Swedish</th><td>Invoice</td>' in table  # no Swedish name: the English one
    assert "Customers can choose it on the contact form" in page
    response = admin_client.post(
        f"/configure/case-types/{t.pk}/preview",
        form(public_name_sv="Fakturafråga", is_public=None),
        headers={"HX-Request": "true"},
    )
    partial = response.content.decode()
    assert "<html" not in partial and '<th scope="row">Swedish</th><td>Fakturafråga</td>' in partial
    assert "Not on the contact form" in partial
    t.refresh_from_db()
    assert t.public_names == {"en": "Invoice", "fi": "Lasku"}  # nothing saved
