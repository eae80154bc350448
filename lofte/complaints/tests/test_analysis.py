"""The complaints' analysis (figures, charts, the table and CSV behind each, the API), the register's export for a
regulator (CSV streamed, printable page), and churned customers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.cases.services import case_transition
from lofte.cases.tests.factories import make_case
from lofte.complaints import analysis, services
from lofte.complaints import compensation as comp
from lofte.complaints.models import ApprovalLimit, Category, RootCause, Source
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.services import customer_create, customer_update

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world(team, agent):
    billing = Category.objects.create(name="Billing", names={"sv": "Fakturor"})
    delivery = Category.objects.create(name="Delivery")
    cause = RootCause.objects.create(name="Price list not updated")
    ApprovalLimit.objects.create(role="agent", currency="SEK", amount=500)
    made = []
    for i, (when, category, channel) in enumerate(
        [
            (datetime(2026, 9, 3, 9, tzinfo=UTC), billing, "email"),
            (datetime(2026, 10, 7, 9, tzinfo=UTC), billing, "web"),
            (datetime(2026, 10, 8, 9, tzinfo=UTC), delivery, "email"),
            (datetime(2026, 11, 2, 9, tzinfo=UTC), billing, "sms"),
        ]
    ):
        customer = customer_create(name=f"Customer {i}", email=f"c{i}@example.com", tier="A" if i == 0 else "B")
        with clock.at(when):
            case = make_case(customer=customer, team=team, channel=channel, subject=f"Complaint {i}")
            complaint = services.complaint_flag(case=case, source=Source.AGENT, actor=agent)
            complaint = services.complaint_update(
                complaint=complaint, actor=agent, category=category.pk, root_cause=cause.pk if i < 2 else None
            )
        made.append(complaint)
    # the first resolved in 4 hours (within 24), the second in 3 days (late)
    with clock.at(datetime(2026, 9, 3, 13, tzinfo=UTC)):
        case_transition(case=made[0].case, actor=agent, status="solved")
    with clock.at(datetime(2026, 10, 10, 9, tzinfo=UTC)):
        case_transition(case=made[1].case, actor=agent, status="solved")
        paid = comp.compensation_propose(
            complaint=made[1], actor=agent, kind="refund", amount="100", currency="SEK", reason="Late"
        )
    return made, paid


def period() -> analysis.Period:
    return analysis.default_period(NOW.date())


def test_per_month_counts_resolved_and_within_the_deadline(world, agent):
    figure = analysis.per_month(agent, period())
    rows = {r[0]: r for r in figure.rows}
    assert len(figure.rows) == 12 and figure.rows[0][0] == "2025-12" and figure.rows[-1][0] == "2026-11"
    assert rows["2026-09"] == ["2026-09", 1, 1, 1, 100, 4.0]
    assert rows["2026-10"] == ["2026-10", 2, 1, 0, 0, 72.0]
    assert rows["2026-11"] == ["2026-11", 1, 0, 0, None, None]
    assert rows["2026-01"] == ["2026-01", 0, 0, 0, None, None]
    assert str(figure.chart).startswith("<svg")


def test_grouped_figures_count_each_group_per_month(world, agent):
    # the twelve months up to November 2026: the group, its total, then December 2025 ... November 2026
    def zeros(n: int) -> list[int]:
        return [0] * n

    by_category = analysis.figure(agent, period(), "by_category")
    assert by_category.columns[:4] == ["Category", "Complaints", "2025-12", "2026-01"]
    assert by_category.columns[-1] == "2026-11" and len(by_category.columns) == 14
    assert by_category.rows == [["Billing", 3, *zeros(9), 1, 1, 1], ["Delivery", 1, *zeros(10), 1, 0]]
    assert analysis.figure(agent, period(), "by_channel").rows == [
        ["Email", 2, *zeros(9), 1, 1, 0],
        ["SMS", 1, *zeros(11), 1],
        ["Web", 1, *zeros(10), 1, 0],
    ]
    assert [r[:2] for r in analysis.figure(agent, period(), "by_tier").rows] == [["B", 3], ["A", 1]]
    assert [r[:2] for r in analysis.figure(agent, period(), "by_root_cause").rows] == [
        ["Not set", 2],
        ["Price list not updated", 2],
    ]
    assert [r[:2] for r in analysis.figure(agent, period(), "by_outcome").rows] == [["Not decided", 4]]
    # the chart: October's column stacked from Billing (first, at the bottom) and Delivery, both named in the legend
    chart = str(by_category.chart)
    assert chart.count('class="chart-s0"') == 3 + 1 and chart.count('class="chart-s1"') == 1 + 1
    assert ">Billing</text>" in chart and ">Delivery</text>" in chart


def test_more_groups_than_colours_are_summed_as_other(world, agent, team):
    for i in range(analysis.TOP + 2):
        extra = Category.objects.create(name=f"Extra {i:02d}")
        with clock.at(datetime(2026, 11, 5, 9, tzinfo=UTC)):
            complaint = services.complaint_flag(case=make_case(team=team, subject=f"X{i}"), source=Source.API)
            services.complaint_update(complaint=complaint, actor=agent, category=extra.pk)

    rows = analysis.figure(agent, period(), "by_category").rows

    assert len(rows) == analysis.TOP + 1
    assert rows[0][:2] == ["Billing", 3]
    # Billing, Delivery, then Extra 00 ... Extra 07 by name; Extra 08 ... 11 summed as Other in November
    assert [r[0] for r in rows[1:3]] == ["Delivery", "Extra 00"] and rows[-2][0] == "Extra 07"
    assert rows[-1] == ["Other", 4, *([0] * 11), 4]


def test_compensation_checks_and_churn(world, agent):
    made, paid = world
    with clock.at(datetime(2026, 10, 11, tzinfo=UTC)):
        comp.compensation_paid(compensation=paid, actor=agent)
    assert analysis.figure(agent, period(), "compensation").rows == [["2026-10", "SEK", 1, "100.00"]]
    customer_update(customer=made[0].customer, churned_at=date(2026, 11, 1), churn_reason="Moved to a competitor")
    churn = analysis.figure(agent, period(), "churn")
    assert churn.rows == [["Moved to a competitor", 1]]
    assert churn.extra == {"complainants": 4, "churned": 1}
    assert analysis.figure(agent, period(), "checks").rows == []


def test_a_reader_counts_only_the_complaints_they_see(world, outsider):
    assert analysis.figure(outsider, period(), "by_category").rows == []


def test_the_page_costs_the_same_queries_at_any_size(client, world, agent, team):
    client.force_login(agent)
    with clock.at(NOW), CaptureQueriesContext(connection) as few:
        page = client.get("/complaints/analysis/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Complaints by category" in text and "<svg" in text
    for i in range(20):
        with clock.at(NOW - timedelta(days=i)):
            services.complaint_flag(case=make_case(team=team, subject=f"More {i}"), source=Source.API)
    with clock.at(NOW), CaptureQueriesContext(connection) as many:
        client.get("/complaints/analysis/")
    assert len(many) == len(few)


def test_each_figure_has_its_csv_and_api(client, world, agent):
    client.force_login(agent)
    with clock.at(NOW):
        response = client.get("/complaints/analysis/by_category.csv?from=2026-09&to=2026-10")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows == [
            ["Category", "Complaints", "2026-09", "2026-10"],
            ["Billing", "2", "1", "1"],
            ["Delivery", "1", "0", "1"],
        ]
        body = client.get("/api/v1/complaints/analysis/by_category?from=2026-09&to=2026-10").json()
        assert body["rows"] == [["Billing", 2, 1, 1], ["Delivery", 1, 0, 1]]
        assert body["period_from"].startswith("2026-09-01") and body["period_to"].startswith("2026-11-01")
        assert client.get("/api/v1/complaints/analysis/by_colour").status_code == 404
        assert client.get("/api/v1/complaints/analysis/per_month?from=yesterday").status_code == 422
        assert client.get("/complaints/analysis/?from=2026-13").status_code == 422  # the page says why
        sv = client.get("/complaints/analysis/by_category.csv", HTTP_ACCEPT_LANGUAGE="sv")
    assert sv.status_code == 200


def test_periods():
    stockholm = ZoneInfo("Europe/Stockholm")  # months are the site's (TIME_ZONE)
    assert analysis.period_parse("2026-01", "2026-03", today=date(2026, 11, 20)) == analysis.Period(
        datetime(2026, 1, 1, tzinfo=stockholm), datetime(2026, 4, 1, tzinfo=stockholm)
    )
    assert analysis.period_parse(None, None, today=date(2026, 1, 5)) == analysis.Period(
        datetime(2025, 2, 1, tzinfo=stockholm), datetime(2026, 2, 1, tzinfo=stockholm)
    )
    with pytest.raises(ValidationFailed):
        analysis.period_parse("2026-05", "2026-01", today=date(2026, 11, 20))
    with pytest.raises(ValidationFailed):
        analysis.period_parse("2000-01", "2026-01", today=date(2026, 11, 20))


def test_the_register_export_streams_every_complaint_with_compensation_paid(client, world, agent):
    made, paid = world
    comp.compensation_paid(compensation=paid, actor=agent)
    client.force_login(agent)
    response = client.get("/complaints/register.csv?state=all")
    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["case", "received_at", "channel", "customer"]
    by_case = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert len(by_case) == 4
    first, second = by_case[made[0].case.reference], by_case[made[1].case.reference]
    assert (first["within_deadline"], second["within_deadline"]) == ("yes", "no")
    assert second["compensation_paid"] == "100.00 SEK"
    assert first["category"] == "Billing" and first["customer_tier"] == "A"
    page = client.get("/complaints/register/print?state=all").content.decode()
    assert made[0].case.reference in page and "100.00 SEK" in page


def test_churn_is_set_by_the_api_and_checked(client, agent, customer):
    client.force_login(agent)
    response = client.patch(
        f"/api/v1/customers/{customer.pk}",
        {"churned_at": "2026-11-01", "churn_reason": "Price"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["churned_at"], response.json()["churn_reason"]) == ("2026-11-01", "Price")
    future = (clock.now().date() + timedelta(days=3)).isoformat()
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"churned_at": future}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "churned_at"
    response = client.patch(f"/api/v1/customers/{customer.pk}", {"churned_at": None}, content_type="application/json")
    assert response.json()["churned_at"] is None


def test_a_reader_exports_and_prints_only_the_complaints_they_see(client, world, outsider):
    made, _paid = world
    client.force_login(outsider)
    rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/complaints/register.csv?state=all").streaming_content).decode()))
    )
    assert len(rows) == 1  # the header only
    page = client.get("/complaints/register/print?state=all").content.decode()
    assert made[0].case.reference not in page
    assert client.get("/complaints/analysis/by_category.csv").content.decode().splitlines()[1:] == []
