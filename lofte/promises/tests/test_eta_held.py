"""How often acknowledged ETAs held: exact counts per channel and case type, who counts whose, the API, and the
promise board's panel."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.stats import eta_held_rates, eta_held_total

pytestmark = pytest.mark.django_db

FROM, TO = date(2026, 11, 1), date(2026, 11, 8)
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
API = "/api/v1/promises/eta-held"
BOARD = "/promises/"

HELD, LATE, BROKEN = "held", "late", "broken"


def told(case, outcome, *, team, basis="channel", due_at=MONDAY, paused=False):  # type: ignore[no-untyped-def]
    """A first-response promise whose due time was told in an acknowledgement, and how it ended."""
    return Promise.objects.create(
        kind=PromiseKind.FIRST_RESPONSE,
        case=case,
        due_at=due_at,
        owner_team=team,
        state=PromiseState.BROKEN if outcome == BROKEN else PromiseState.KEPT,
        origin=PromiseOrigin.POLICY,
        created_at=due_at - timedelta(hours=2),
        kept_at={HELD: due_at - timedelta(minutes=5), LATE: due_at + timedelta(seconds=20)}.get(outcome),
        broken_at=due_at if outcome == BROKEN else None,
        paused_at=due_at - timedelta(hours=1) if paused else None,
        eta_basis=basis,
    )


@pytest.fixture
def world(team, other_team, customer):  # type: ignore[no-untyped-def]
    invoice = CaseTypeFactory(name="Invoice")
    delivery = CaseTypeFactory(name="Delivery")
    email_invoice = make_case(customer=customer, team=team, channel="email", case_type=invoice)
    email_delivery = make_case(customer=customer, team=team, channel="email", case_type=delivery)
    web_untyped = make_case(customer=customer, team=team, channel="web")
    billing = make_case(customer=customer, team=other_team, channel="sms", case_type=invoice)
    # counted for Support
    told(email_invoice, HELD, team=team)
    told(email_invoice, HELD, team=team, basis="sla")
    told(email_invoice, BROKEN, team=team)
    told(email_invoice, LATE, team=team)  # answered after the time told, before the tick broke it
    told(email_delivery, HELD, team=team, basis="default")
    told(web_untyped, BROKEN, team=team)
    told(web_untyped, LATE, team=team, paused=True)  # kept while the clock was stopped: held
    # not counted: pending, cancelled, no ETA (the policy's own time), outside the period
    Promise.objects.create(
        kind=PromiseKind.FIRST_RESPONSE, case=email_invoice, due_at=MONDAY, owner_team=team,
        origin=PromiseOrigin.POLICY, eta_basis="all",
    )  # fmt: skip
    Promise.objects.create(
        kind=PromiseKind.FIRST_RESPONSE, case=email_invoice, due_at=MONDAY, owner_team=team,
        origin=PromiseOrigin.POLICY, eta_basis="all", state=PromiseState.CANCELLED, cancelled_at=MONDAY,
    )  # fmt: skip
    told(email_invoice, BROKEN, team=team, basis="")
    told(email_invoice, BROKEN, team=team, due_at=datetime(2026, 10, 31, 22, 59, tzinfo=UTC))  # 31 Oct
    # Billing's
    told(billing, HELD, team=other_team)
    return {"invoice": invoice, "delivery": delivery}


def table(rows):  # type: ignore[no-untyped-def]
    return [(r.channel_label, r.case_type_label, r.held, r.missed, r.rate) for r in rows]


class TestEtaHeldRates:
    def test_per_channel_and_case_type(self, world, agent):
        rows = eta_held_rates(agent=agent, date_from=FROM, date_to=TO)
        assert table(rows) == [
            ("Email", "Delivery", 1, 0, 1.0),
            ("Email", "Invoice", 2, 2, 0.5),
            ("Web", "No case type", 1, 1, 0.5),
        ]
        assert [(r.channel, r.case_type) for r in rows] == [
            ("email", world["delivery"].pk),
            ("email", world["invoice"].pk),
            ("web", None),
        ]
        total = eta_held_total(rows)
        assert (total.held, total.missed, total.rate, total.percent) == (4, 3, 0.5714, 57)

    def test_an_admin_counts_every_team_and_a_team_filter_narrows(self, world, team, other_team):
        admin = AgentFactory(email="admin@example.com", role=Role.ADMIN)
        everything = eta_held_rates(agent=admin, date_from=FROM, date_to=TO)
        assert ("SMS", "Invoice", 1, 0, 1.0) in table(everything)
        assert len(everything) == 4
        assert table(eta_held_rates(agent=admin, date_from=FROM, date_to=TO, team=other_team.pk)) == [
            ("SMS", "Invoice", 1, 0, 1.0)
        ]

    def test_an_outsider_counts_only_their_teams(self, world, outsider):
        assert table(eta_held_rates(agent=outsider, date_from=FROM, date_to=TO)) == [("SMS", "Invoice", 1, 0, 1.0)]

    def test_one_query_for_5_and_for_50_promises(self, agent, team, customer):
        cases = [make_case(customer=customer, team=team, channel=c) for c in ("email", "web", "sms")]

        def count() -> int:
            fresh = type(agent).objects.get(pk=agent.pk)
            with CaptureQueriesContext(connection) as ctx:
                eta_held_rates(agent=fresh, date_from=FROM, date_to=TO)
            return len(ctx.captured_queries)

        for i in range(5):
            told(cases[i % 3], (HELD, BROKEN, LATE)[i % 3], team=team)
        few = count()
        for i in range(45):
            told(cases[i % 3], (HELD, BROKEN, LATE)[i % 3], team=team)
        assert count() == few == 2  # the agent's teams, then the one grouped count


@pytest.fixture
def alma(agent):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent)
    return client


class TestApi:
    def test_rows_and_total(self, world, alma):
        response = alma.get(API, {"from": "2026-11-01", "to": "2026-11-08"})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-08")
        assert body["rows"] == [
            {
                "channel": "email",
                "channel_label": "Email",
                "case_type": world["delivery"].pk,
                "case_type_label": "Delivery",
                "held": 1,
                "missed": 0,
                "rate": 1.0,
            },
            {
                "channel": "email",
                "channel_label": "Email",
                "case_type": world["invoice"].pk,
                "case_type_label": "Invoice",
                "held": 2,
                "missed": 2,
                "rate": 0.5,
            },
            {
                "channel": "web",
                "channel_label": "Web",
                "case_type": None,
                "case_type_label": "No case type",
                "held": 1,
                "missed": 1,
                "rate": 0.5,
            },
        ]
        assert body["total"] == {
            "channel": None,
            "channel_label": "All",
            "case_type": None,
            "case_type_label": "",
            "held": 4,
            "missed": 3,
            "rate": 0.5714,
        }

    def test_the_default_period_is_the_last_30_days(self, world, alma):
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            body = alma.get(API).json()
        assert (body["from"], body["to"]) == ("2026-10-22", "2026-11-21")
        assert (body["total"]["held"], body["total"]["missed"]) == (4, 4)  # 31 Oct counts now

    @pytest.mark.parametrize(
        ("params", "field"),
        [({"from": "2026-13-01"}, "from"), ({"from": "2026-11-08", "to": "2026-11-01"}, "to")],
    )
    def test_bad_input_is_a_422_naming_the_field(self, alma, params, field):
        response = alma.get(API, params)
        assert response.status_code == 422, response.content
        assert (response.json()["code"], response.json()["field"]) == ("validation_error", field)

    def test_anonymous_is_refused(self, db):
        assert Client().get(API).status_code == 401


class TestBoardPanel:
    def test_the_board_shows_etas_held_per_channel_and_case_type(self, world, alma):
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            html = alma.get(BOARD).content.decode()
        assert '<h2 id="eta-held-title">ETAs held</h2>' in html
        assert '<th scope="row">Email</th>\n        <td>Invoice</td>' in html
        assert '<td class="num">57 %</td>' not in html  # 31 Oct is in the last 30 days: 4 of 8
        assert '<td class="num">50 %</td>' in html
        # the htmx refresh carries it too
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            partial = alma.get(BOARD, headers={"HX-Request": "true"}).content.decode()
        assert 'id="eta-held-title"' in partial

    def test_without_acknowledged_etas_it_says_so(self, alma):
        assert "No acknowledged ETA was due in the last 30 days." in alma.get(BOARD).content.decode()

    def test_the_teams_filter_applies(self, world, alma, other_team):
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            html = alma.get(BOARD, {"team": other_team.pk}).content.decode()
        assert "No acknowledged ETA was due in the last 30 days." in html  # Alma may not see Billing's

    def test_a_reader_who_changes_language_gets_the_months_figures_in_it_at_once(self, world, agent, alma):
        # the month's figures are kept for a minute per reader: not across a change of the reader's language
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            assert '<th scope="row">Email</th>' in alma.get(BOARD).content.decode()
            agent.language = "sv"
            agent.save(update_fields=["language"])
            html = alma.get(BOARD).content.decode()
        assert '<th scope="row">E-post</th>' in html
