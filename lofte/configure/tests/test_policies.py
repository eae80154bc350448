"""SLA policies on the settings pages: written through the policy services (the engine's cache forgotten), errors
beside the field, and a preview of which policy a sample case gets and its due times, by the engine's functions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.cases.tests.factories import CaseTypeFactory
from lofte.promises.calendars import calendar_create
from lofte.promises.models import SlaPolicy
from lofte.promises.policies import policy_create
from lofte.promises.services import _active_policies

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(db):  # type: ignore[no-untyped-def]
    return calendar_create(name="Office", country="SE", time_zone="Europe/Stockholm")


def form(office, **changes: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "name": "Gold",
        "order": 10,
        "is_active": "on",
        "tier": "A",
        "first_response_minutes": 30,
        "first_response_calendar": office.pk,
        "pause_statuses": ["waiting_on_customer"],
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_policy_and_the_engine_uses_it_at_once(admin_client, office):
    assert _active_policies() == []  # cached empty
    response = admin_client.post("/configure/sla/new", form(office))
    policy = SlaPolicy.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/configure/sla/{policy.pk}/"
    assert (policy.name, policy.order, policy.tier, policy.first_response_minutes) == ("Gold", 10, "A", 30)
    assert policy.first_response_calendar == office
    assert policy.pause_statuses == ["waiting_on_customer"]
    assert _active_policies() == [policy]  # the cache was forgotten


def test_editing_changes_the_row(admin_client, office):
    policy = policy_create(name="Gold", tier="A", first_response_minutes=30, first_response_calendar=office)
    response = admin_client.post(
        f"/configure/sla/{policy.pk}/",
        form(office, resolution_minutes=2400, resolution_calendar=office.pk, is_active=None),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.resolution_minutes, policy.resolution_calendar, policy.is_active) == (2400, office, False)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes", "Ensure this value is greater than or equal to 1."),
        ({"first_response_minutes": -5}, "first_response_minutes", "Ensure this value is greater than or equal to 1."),
        ({"first_response_calendar": ""}, "first_response_calendar", "Choose the calendar this target counts in"),
        ({"first_response_minutes": ""}, "first_response_minutes", "A policy needs at least one target."),
        (
            {"first_response_minutes": 600000},
            "first_response_minutes",
            "A target is a positive number of minutes, at most 527040",
        ),
        ({"channel": "fax"}, "channel", "Select a valid choice."),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_nothing_is_written(admin_client, office, changes, field, message):
    response = admin_client.post("/configure/sla/new", form(office, **changes))
    assert response.status_code == 422
    page = response.content.decode()
    start = page.index(f'data-error-for="{field}"')
    assert message in page[start : start + 300]
    assert not SlaPolicy.objects.exists()


def test_wall_clock_needs_no_calendar(admin_client, office):
    response = admin_client.post("/configure/sla/new", form(office, first_response_calendar="", wall_clock="on"))
    assert response.status_code == 302
    assert SlaPolicy.objects.get().first_response_calendar is None


def test_an_inactive_case_type_is_refused_by_the_service(admin_client, office):
    case_type = CaseTypeFactory(name="Old", is_active=False)
    policy = policy_create(name="Everyone", first_response_minutes=60, first_response_calendar=office)
    response = admin_client.post(f"/configure/sla/{policy.pk}/", form(office, name="Everyone", case_type=case_type.pk))
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    policy.refresh_from_db()
    assert policy.case_type_id is None


def test_the_preview_picks_the_most_specific_policy_and_its_due_times(admin_client, office, team):
    everyone = policy_create(name="Everyone", first_response_minutes=240, first_response_calendar=office)
    gold = policy_create(
        name="Gold", tier="A", first_response_minutes=60, first_response_calendar=office, resolution_minutes=1440
    )
    sample = {
        "sample-channel": "email",
        "sample-priority": "2",
        "sample-tier": "A",
        "sample-case_type": "",
        "sample-team": str(team.pk),
        "sample-now": "2026-12-22T16:30",  # Tuesday, Stockholm time (the reader's: the site's)
    }
    response = admin_client.get(f"/configure/sla/{everyone.pk}/preview", sample, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert f'data-applies="{gold.pk}"' in page and "The policy Gold applies, not this one." in page
    applies = page[: page.index("What this policy would give")]
    # 30 minutes to 17:00 on Tuesday, the other 30 on Wednesday morning
    assert 'data-kind="first_response"' in applies
    assert 'datetime="2026-12-23T08:30:00+01:00"' in applies
    # resolution without a calendar: 24 hours of wall-clock time
    assert 'datetime="2026-12-23T16:30:00+01:00"' in applies
    this = page[page.index("What this policy would give") :]
    assert 'datetime="2026-12-23T11:30:00+01:00"' in this  # Everyone's 240 minutes

    # on Wednesday afternoon: Christmas Eve, Christmas Day and Boxing Day are closed (SE); Monday the 28th
    late = {**sample, "sample-now": "2026-12-23T16:45"}
    page = admin_client.get(f"/configure/sla/{gold.pk}/preview", late, headers={"HX-Request": "true"}).content.decode()
    assert "This policy applies." in page
    assert 'datetime="2026-12-28T08:45:00+01:00"' in page

    response = admin_client.get(f"/configure/sla/{gold.pk}/preview", {**sample, "sample-tier": "C"})
    page = response.content.decode()
    assert "<html" in page  # without HTMX, the whole page
    assert f'data-applies="{everyone.pk}"' in page


def test_the_policy_page_shows_a_preview_for_a_sample_that_meets_its_conditions(admin_client, office):
    gold = policy_create(name="Gold", tier="A", first_response_minutes=60, first_response_calendar=office)
    page = admin_client.get(f"/configure/sla/{gold.pk}/").content.decode()
    assert "This policy applies." in page


def test_no_policy_applies(admin_client, office):
    gold = policy_create(name="Gold", tier="A", first_response_minutes=60, first_response_calendar=office)
    page = admin_client.get(
        f"/configure/sla/{gold.pk}/preview",
        {"sample-channel": "sms", "sample-priority": "2", "sample-tier": "B", "sample-now": ""},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "No active policy applies" in page


def test_the_list_reads_in_a_fixed_number_of_queries(admin_client, office, team):
    case_type = CaseTypeFactory(name="Invoice")

    def count(n: int) -> int:
        SlaPolicy.objects.all().delete()
        SlaPolicy.objects.bulk_create(
            [
                SlaPolicy(
                    name=f"P{i}",
                    first_response_minutes=60,
                    first_response_calendar=office,
                    team=team,
                    case_type=case_type,
                )
                for i in range(n)
            ]
        )
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/configure/sla/").status_code == 200
        return len(queries)

    assert count(5) == count(50)
