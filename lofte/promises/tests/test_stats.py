"""The promise-kept rate: exact rates per grouping over a hand-built set of promises, who counts whose
promises, the period's edges in the site's time zone, the API and the page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState
from lofte.promises.stats import kept_rate, kept_rate_period, kept_rate_total

pytestmark = pytest.mark.django_db

FROM, TO = date(2026, 11, 1), date(2026, 11, 8)  # [1 Nov, 8 Nov) in Stockholm, UTC+1 (CET)
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
URL = "/promises/kept-rate"
API = "/api/v1/promises/kept-rate"


def promise(*, kind, state, team, agent=None, case=None, due_at=MONDAY):  # type: ignore[no-untyped-def]
    stamp = due_at - timedelta(minutes=5) if state == PromiseState.KEPT else due_at
    return Promise.objects.create(
        kind=kind,
        case=case,
        due_at=due_at,
        owner_team=team,
        owner_agent=agent,
        state=state,
        origin=PromiseOrigin.POLICY,
        created_at=due_at - timedelta(hours=2),
        kept_at=stamp if state == PromiseState.KEPT else None,
        broken_at=stamp if state == PromiseState.BROKEN else None,
        cancelled_at=stamp if state == PromiseState.CANCELLED else None,
    )


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def world(agent, team, other_team, outsider, customer):  # type: ignore[no-untyped-def]
    """Alma (Support) and Otto (Billing). Seven decided Support promises in the period, one decided Billing
    promise that Alma owns, one of Otto's; and what must not count: cancelled, pending, just outside."""
    email = make_case(customer=customer, team=team, channel="email")
    web = make_case(customer=customer, team=team, channel="web")
    phone = make_case(customer=customer, team=other_team, channel="phone", assignee=agent)  # lent to Alma
    billing = make_case(customer=customer, team=other_team, channel="email")
    K, B = PromiseState.KEPT, PromiseState.BROKEN
    FR, RES, FU, NU = PromiseKind.FIRST_RESPONSE, PromiseKind.RESOLUTION, PromiseKind.FOLLOW_UP, PromiseKind.NEXT_UPDATE
    # counted for Alma
    promise(kind=FR, state=K, team=team, agent=agent, case=email)
    promise(kind=FR, state=B, team=team, agent=agent, case=email)
    promise(kind=RES, state=K, team=team, case=web)
    promise(kind=RES, state=K, team=team, agent=agent, case=web)
    promise(kind=FU, state=B, team=team, agent=agent, case=email)
    promise(kind=FR, state=K, team=team, case=email, due_at=datetime(2026, 10, 31, 23, 0, tzinfo=UTC))  # 1 Nov 00:00
    promise(kind=NU, state=B, team=team)  # no case, no owner
    promise(kind=FR, state=K, team=other_team, agent=agent, case=phone)  # Alma's own, in Billing
    # not counted for anyone
    promise(kind=NU, state=PromiseState.CANCELLED, team=team, agent=agent, case=email)
    promise(kind=NU, state=PromiseState.PENDING, team=team, agent=agent, case=email)
    promise(kind=FR, state=K, team=team, case=email, due_at=datetime(2026, 10, 31, 22, 59, tzinfo=UTC))  # 31 Oct
    promise(kind=FR, state=B, team=team, case=email, due_at=datetime(2026, 11, 7, 23, 0, tzinfo=UTC))  # 8 Nov 00:00
    # Billing's, Otto's: not Alma's to see
    promise(kind=FR, state=K, team=other_team, agent=outsider, case=billing)


def table(rows):  # type: ignore[no-untyped-def]
    return [(r.label, r.kept, r.broken, r.rate) for r in rows]


class TestKeptRate:
    def test_per_kind(self, world, agent):
        rows = kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="kind")
        assert table(rows) == [
            ("First response", 3, 1, 0.75),
            ("Follow-up", 0, 1, 0.0),
            ("Next update", 0, 1, 0.0),
            ("Resolution", 2, 0, 1.0),
        ]
        assert [r.key for r in rows] == ["first_response", "follow_up", "next_update", "resolution"]

    def test_per_channel_of_the_case_with_promises_without_a_case_last(self, world, agent):
        rows = kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="channel")
        assert table(rows) == [
            ("Email", 2, 2, 0.5),
            ("Phone", 1, 0, 1.0),
            ("Web", 2, 0, 1.0),
            ("No case", 0, 1, 0.0),
        ]
        assert rows[-1].key is None

    def test_per_team(self, world, agent, team, other_team):
        rows = kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="team")
        assert table(rows) == [("Billing", 1, 0, 1.0), ("Support", 4, 3, 0.5714)]
        assert [r.key for r in rows] == [other_team.pk, team.pk]
        assert [r.percent for r in rows] == [100, 57]

    def test_per_agent(self, world, agent):
        rows = kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="agent")
        assert table(rows) == [("Alma Agent", 3, 2, 0.6), ("No owner", 2, 1, 0.6667)]
        assert rows[0].key == agent.pk

    def test_the_total_is_every_row_together(self, world, agent):
        total = kept_rate_total(kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="kind"))
        assert (total.kept, total.broken, total.rate) == (5, 3, 0.625)
        assert kept_rate_total([]).rate is None

    def test_an_outsider_counts_only_promises_of_their_team(self, world, outsider):
        rows = kept_rate(agent=outsider, date_from=FROM, date_to=TO, group_by="team")
        assert table(rows) == [("Billing", 2, 0, 1.0)]

    def test_an_admin_counts_every_promise(self, world, admin):
        rows = kept_rate(agent=admin, date_from=FROM, date_to=TO, group_by="team")
        assert table(rows) == [("Billing", 2, 0, 1.0), ("Support", 4, 3, 0.5714)]

    def test_days_are_the_sites_days_whatever_the_readers_time_zone(self, world, agent, settings):
        settings.TIME_ZONE = "UTC"  # the site moves: 31 Oct 23:00 UTC is now 31 Oct, 7 Nov 23:00 UTC is 7 Nov
        rows = kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="team")
        assert table(rows) == [("Billing", 1, 0, 1.0), ("Support", 3, 4, 0.4286)]

    def test_an_empty_period_has_no_rows(self, world, agent):
        assert kept_rate(agent=agent, date_from=TO, date_to=TO, group_by="kind") == []

    def test_an_unknown_grouping_names_the_field(self, agent):
        with pytest.raises(ValidationFailed) as err:
            kept_rate(agent=agent, date_from=FROM, date_to=TO, group_by="customer")
        assert err.value.field == "by"

    @pytest.mark.parametrize("by", ["kind", "channel", "team", "agent"])
    def test_one_query_per_grouping_for_5_and_for_50_promises(self, agent, team, customer, by):
        case = make_case(customer=customer, team=team, channel="email")

        def count() -> int:
            fresh = type(agent).objects.get(pk=agent.pk)  # no cached team ids
            with CaptureQueriesContext(connection) as ctx:
                kept_rate(agent=fresh, date_from=FROM, date_to=TO, group_by=by)
            return len(ctx.captured_queries)

        others = [AgentFactory(teams=[team]) for _ in range(5)]
        for i in range(5):
            promise(kind=PromiseKind.values[i % 3], state=PromiseState.KEPT, team=team, agent=others[i], case=case)
        few = count()
        for i in range(45):
            promise(kind=PromiseKind.values[i % 5], state=PromiseState.BROKEN, team=team, agent=others[i % 5])
        assert count() == few == 2  # the agent's teams, then the one grouped count


class TestPeriod:
    TODAY = date(2026, 11, 20)

    def test_the_default_is_the_last_30_days_today_included(self):
        assert kept_rate_period(date_from=None, date_to=None, today=self.TODAY) == (
            date(2026, 10, 22),
            date(2026, 11, 21),
        )

    def test_a_given_end_counts_back_30_days(self):
        assert kept_rate_period(date_from=None, date_to=TO, today=self.TODAY) == (date(2026, 10, 9), TO)

    def test_a_start_after_the_end_is_refused_naming_the_end(self):
        with pytest.raises(ValidationFailed) as err:
            kept_rate_period(date_from=TO, date_to=FROM, today=self.TODAY)
        assert err.value.field == "to"

    def test_a_date_outside_the_years_the_database_holds_is_refused(self):
        with pytest.raises(ValidationFailed) as err:
            kept_rate_period(date_from=date(1, 1, 1), date_to=None, today=self.TODAY)
        assert err.value.field == "from"


@pytest.fixture
def alma(agent):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(agent)
    return client


class TestApi:
    def test_rows_per_team(self, world, alma, team, other_team):
        response = alma.get(API, {"from": "2026-11-01", "to": "2026-11-08", "by": "team"})
        assert response.status_code == 200, response.content
        assert response.json() == {
            "from": "2026-11-01",
            "to": "2026-11-08",
            "by": "team",
            "rows": [
                {"key": other_team.pk, "label": "Billing", "kept": 1, "broken": 0, "rate": 1.0},
                {"key": team.pk, "label": "Support", "kept": 4, "broken": 3, "rate": 0.5714},
            ],
        }

    def test_keys_are_the_kinds_and_channels_as_the_api_writes_them(self, world, alma):
        kinds = alma.get(API, {"from": "2026-11-01", "to": "2026-11-08"}).json()
        assert kinds["by"] == "kind"
        assert [r["key"] for r in kinds["rows"]] == ["first_response", "follow_up", "next_update", "resolution"]
        channels = alma.get(API, {"from": "2026-11-01", "to": "2026-11-08", "by": "channel"}).json()
        assert [r["key"] for r in channels["rows"]] == ["email", "phone", "web", None]

    def test_the_default_period_is_the_last_30_days(self, world, alma):
        with clock.at(datetime(2026, 11, 20, 12, 0, tzinfo=UTC)):
            body = alma.get(API).json()
        assert (body["from"], body["to"], body["by"]) == ("2026-10-22", "2026-11-21", "kind")
        assert sum(r["kept"] + r["broken"] for r in body["rows"]) == 10  # 31 Oct and 8 Nov count now too

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"from": "2026-13-01"}, "from"),
            ({"from": "yesterday"}, "from"),
            ({"to": "2026-11-31"}, "to"),
            ({"from": "2026-11-08", "to": "2026-11-01"}, "to"),
            ({"by": "customer"}, "by"),
            ({"from": "0001-01-01", "to": "2026-11-01"}, "from"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field(self, alma, params, field):
        response = alma.get(API, params)
        assert response.status_code == 422, response.content
        assert (response.json()["code"], response.json()["field"]) == ("validation_error", field)

    def test_an_outsider_counts_only_their_teams_promises(self, world, outsider, agent):
        client = Client()
        client.force_login(outsider)
        rows = client.get(API, {"from": "2026-11-01", "to": "2026-11-08", "by": "agent"}).json()["rows"]
        assert rows == [
            {"key": agent.pk, "label": "Alma Agent", "kept": 1, "broken": 0, "rate": 1.0},  # hers, owned by Billing
            {"key": outsider.pk, "label": "Otto Outsider", "kept": 1, "broken": 0, "rate": 1.0},
        ]

    def test_anonymous_is_refused(self, db):
        assert Client().get(API).status_code == 401


class TestPage:
    def test_renders_a_row_and_a_bar_per_group(self, world, alma):
        response = alma.get(URL, {"from": "2026-11-01", "to": "2026-11-08", "by": "team"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "<h1>Promise-kept rate</h1>" in html
        assert '<th scope="row">Support</th>' in html
        assert '<rect width="57" height="1"/>' in html  # of a bar 100 wide: no style attribute (CSP)
        assert '<rect width="100" height="1"/>' in html
        assert 'value="2026-11-01"' in html and 'value="2026-11-08"' in html
        assert '<option value="team" selected>Team</option>' in html
        assert html.count('class="rate-bar"') == 3  # two teams and the total

    def test_htmx_gets_the_table_only(self, world, alma):
        response = alma.get(URL, {"from": "2026-11-01", "to": "2026-11-08"}, headers={"HX-Request": "true"})
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="kept-rate"')
        assert "<h1>" not in html
        assert '<th scope="row">First response</th>' in html

    def test_without_promises_it_says_so(self, alma):
        response = alma.get(URL)
        assert response.status_code == 200
        assert "was kept or broken." in response.content.decode()

    def test_a_bad_date_is_shown_with_its_field_marked(self, alma):
        response = alma.get(URL, {"from": "2026-02-30"})
        assert response.status_code == 422
        html = response.content.decode()
        assert "is not a date" in html
        assert 'id="kr-from" name="from" value="2026-02-30" aria-invalid="true"' in html

    def test_the_board_links_to_it(self, alma):
        assert f'href="{URL}"' in alma.get("/promises/").content.decode()

    def test_anonymous_is_sent_to_log_in(self, db):
        assert Client().get(URL).status_code == 302

    def test_query_count_is_the_same_for_5_and_50_promises(self, agent, team, customer, alma):
        case = make_case(customer=customer, team=team, channel="web")
        states = (PromiseState.KEPT, PromiseState.BROKEN)

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                response = alma.get(URL, {"from": "2026-11-01", "to": "2026-11-08", "by": "agent"})
            assert response.status_code == 200
            return len(ctx.captured_queries)

        owners = [AgentFactory(teams=[team]) for _ in range(5)]
        for i in range(5):
            promise(kind=PromiseKind.values[i], state=states[i % 2], team=team, agent=owners[i], case=case)
        few = count()
        for i in range(45):
            promise(kind=PromiseKind.values[i % 7], state=states[i % 2], team=team, agent=owners[i % 5], case=case)
        assert count() == few
