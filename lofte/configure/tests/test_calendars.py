"""Business calendars on the settings pages: create and edit through the calendar services, errors beside the
field that is wrong (nothing written), and a preview computed by the engine's own schedule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.core import clock
from lofte.promises.calendars import calendar_create
from lofte.promises.models import BusinessCalendar

pytestmark = pytest.mark.django_db

MONDAY_BEFORE_CHRISTMAS = datetime(2026, 12, 21, 9, 0, tzinfo=UTC)  # 10:00 in Stockholm


def week(**days: tuple[str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data[f"{day}_open_0"], data[f"{day}_close_0"] = days.get(day, ("08:00", "17:00"))
    return data


def form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Kontoret",
        "time_zone": "Europe/Stockholm",
        "country": "se",
        "closed_on_eves": "on",
        "closed_days": "2026-12-28",
        "special_hours": "2026-12-23 10:00-14:00",
        **week(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_admin_creates_a_calendar_from_the_weekly_table(admin_client):
    response = admin_client.post("/configure/calendars/new", form(wed_open_1="18:00", wed_close_1="20:00"))
    calendar = BusinessCalendar.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/configure/calendars/{calendar.pk}/"
    assert calendar.name == "Kontoret"
    assert calendar.country == "SE"
    assert calendar.opening_hours == {
        "mon": [["08:00", "17:00"]],
        "tue": [["08:00", "17:00"]],
        "wed": [["08:00", "17:00"], ["18:00", "20:00"]],
        "thu": [["08:00", "17:00"]],
        "fri": [["08:00", "17:00"]],
        "sat": [],
        "sun": [],
    }
    assert calendar.closed_days == ["2026-12-28"]
    assert calendar.special_hours == {"2026-12-23": [["10:00", "14:00"]]}
    assert calendar.closed_on_eves is True


def test_editing_changes_the_row_and_the_form_shows_what_is_stored(admin_client):
    calendar = calendar_create(name="Office", country="SE")
    page = admin_client.get(f"/configure/calendars/{calendar.pk}/").content.decode()
    assert 'name="mon_open_0"' in page and 'value="08:00"' in page
    response = admin_client.post(
        f"/configure/calendars/{calendar.pk}/", form(name="Office", fri_close_0="15:00", closed_days="")
    )
    assert response.status_code == 302
    calendar.refresh_from_db()
    assert calendar.opening_hours["fri"] == [["08:00", "15:00"]]
    assert calendar.closed_days == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"tue_open_0": "17:00", "tue_close_0": "08:00"}, "tue", "Tuesday: 17:00-08:00 must start before it ends."),
        (
            {"thu_open_0": "08:00", "thu_close_0": ""},
            "thu",
            "Thursday: give both the time it opens and the time it closes.",
        ),
        ({"mon_open_0": "25:00"}, "mon", "Monday: [&quot;25:00&quot;, &quot;17:00&quot;] is not a pair of times"),
        ({"time_zone": "Europe/Stokholm"}, "time_zone", "&#x27;Europe/Stokholm&#x27; is not a known time zone."),
        ({"country": "XX"}, "country", "&#x27;XX&#x27; is not a country whose public holidays are known."),
        ({"closed_days": "2026-13-01"}, "closed_days", "&#x27;2026-13-01&#x27; is not a date like 2026-12-24."),
        (
            {"special_hours": "23 december 10-14"},
            "special_hours",
            "is not a date and hours like 2026-12-23 10:00-14:00.",
        ),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_nothing_is_written(admin_client, changes, field, message):
    response = admin_client.post("/configure/calendars/new", form(**changes))
    assert response.status_code == 422
    page = response.content.decode()
    start = page.index(f'data-error-for="{field}"')
    assert message in page[start : start + 400]
    assert not BusinessCalendar.objects.exists()


def test_a_name_taken_is_an_error_on_the_name(admin_client):
    calendar_create(name="Kontoret")
    response = admin_client.post("/configure/calendars/new", form())
    assert response.status_code == 422
    assert "There is already a calendar named Kontoret." in response.content.decode()
    assert BusinessCalendar.objects.count() == 1


def test_the_preview_shows_the_engines_hours_for_the_next_week(admin_client):
    calendar = calendar_create(
        name="Office",
        country="SE",
        closed_days=["2026-12-28"],
        special_hours={"2026-12-23": [["10:00", "14:00"]]},
    )
    with clock.at(MONDAY_BEFORE_CHRISTMAS):
        response = admin_client.get(f"/configure/calendars/{calendar.pk}/preview", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page  # the partial
    days = {}
    for day in ("2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-25", "2026-12-26", "2026-12-27"):
        row = page[page.index(f'data-date="{day}"') :]
        days[day] = " ".join(row[: row.index("</tr>")].split())
    assert "08:00–17:00" in days["2026-12-21"] and "08:00–17:00" in days["2026-12-22"]
    assert "10:00–14:00" in days["2026-12-23"] and "Special hours" in days["2026-12-23"]
    assert "closed" in days["2026-12-24"] and "Eve: Christmas Eve" in days["2026-12-24"]
    assert "closed" in days["2026-12-25"] and "Public holiday: Christmas Day" in days["2026-12-25"]
    assert "closed" in days["2026-12-26"] and "Public holiday: Second Day of Christmas" in days["2026-12-26"]
    assert "closed" in days["2026-12-27"]
    assert "Open now." in page
    upcoming = page[page.index("data-upcoming") :]
    assert upcoming.index('data-date="2026-12-23"') < upcoming.index('data-date="2026-12-28"')
    assert "Closed day" in upcoming and "New Year" in upcoming


def test_the_preview_follows_the_form_without_saving(admin_client):
    calendar = calendar_create(name="Office", country="SE")
    with clock.at(MONDAY_BEFORE_CHRISTMAS):
        response = admin_client.post(
            f"/configure/calendars/{calendar.pk}/preview",
            form(name="Office", mon_open_0="12:00", mon_close_0="13:00", preview="1"),
            headers={"HX-Request": "true"},
        )
    page = response.content.decode()
    assert "12:00–13:00" in page[page.index('data-date="2026-12-21"') :][:400]
    assert "Opens next: Monday 21 December 12:00." in page
    calendar.refresh_from_db()
    assert calendar.opening_hours["mon"] == [["08:00", "17:00"]]  # nothing saved


def test_the_preview_button_works_without_javascript_and_saves_nothing(admin_client):
    with clock.at(MONDAY_BEFORE_CHRISTMAS):
        response = admin_client.post("/configure/calendars/new", form(preview="1"))
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page
    assert "Eve: Christmas Eve" in page
    assert not BusinessCalendar.objects.exists()


def test_the_preview_speaks_the_readers_language(client, admin):
    admin.language = "sv"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    calendar = calendar_create(name="Office", country="SE")
    with clock.at(MONDAY_BEFORE_CHRISTMAS):
        page = client.get(f"/configure/calendars/{calendar.pk}/preview", headers={"HX-Request": "true"}).content
    assert "Juldagen" in page.decode()


def test_the_list_reads_the_same_number_of_rows_in_one_query_count(admin_client):
    def count(n: int) -> int:
        BusinessCalendar.objects.all().delete()
        BusinessCalendar.objects.bulk_create([BusinessCalendar(name=f"Calendar {i}") for i in range(n)])
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/configure/calendars/").status_code == 200
        return len(queries)

    assert count(5) == count(50)
