"""The cases API: create, list with the inbox's filters, get, update, messages, replies, notes, events.

Where access is denied or input is refused, the tests also re-read the rows
and count events, messages and outbox rows: nothing may have changed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import Case, CaseEvent, EventKind, Message, Note, Priority, Status, Tag
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.customers.models import Customer, CustomerIdentity, IdentitySuggestion
from lofte.customers.services import customer_create
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
CONTRACT_BODY = {
    "subject": "Fel belopp",
    "body": "Fakturan är fel.",
    "channel": "email",
    "customer": {"email": "karin@example.se", "name": "Karin"},
}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(agent) -> Api:  # type: ignore[no-untyped-def]
    """Alma, an agent of the Support team."""
    return Api(agent)


@pytest.fixture
def outsider_api(outsider) -> Api:  # type: ignore[no-untyped-def]
    """Otto, an agent of the Billing team: must not see Support's cases."""
    return Api(outsider)


@pytest.fixture
def admin(db) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


def error(response: Any) -> tuple[int, str, str | None]:
    body = response.json()
    return response.status_code, body["code"], body.get("field")


def counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "customers": Customer.objects.count(),
        "identities": CustomerIdentity.objects.count(),
        "messages": Message.objects.count(),
        "notes": Note.objects.count(),
        "events": CaseEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "tags": Tag.objects.count(),
    }


def snapshot(case: Case) -> dict[str, Any]:
    """Every field a PATCH could change, read again from the database."""
    row = Case.objects.get(pk=case.pk)
    return {
        "subject": row.subject,
        "status": row.status,
        "priority": row.priority,
        "team_id": row.team_id,
        "assignee_id": row.assignee_id,
        "case_type_id": row.case_type_id,
        "tags": sorted(row.tags.values_list("name", flat=True)),
        "solved_at": row.solved_at,
        "closed_at": row.closed_at,
        "updated_at": row.updated_at,
    }


def refs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [c["reference"] for c in response.json()["items"]]


# --- create ---------------------------------------------------------------------------


class TestCreate:
    def test_contract_body_creates_customer_and_case_and_returns_it_with_its_message(self, api):
        # when
        with clock.at(T0):
            response = api.post("/cases", CONTRACT_BODY)
        # then
        assert response.status_code == 201
        body = response.json()
        case = Case.objects.get()
        customer = Customer.objects.get()
        assert body["reference"] == case.reference == "LF-2026-000001"
        assert (body["subject"], body["status"], body["priority"], body["channel"]) == (
            "Fel belopp",
            "new",
            "normal",
            "email",
        )
        assert body["customer"] == {"id": customer.pk, "name": "Karin", "tier": "B"}
        assert (body["team"], body["assignee"], body["case_type"], body["tags"]) == (None, None, None, [])
        assert body["created_at"] == "2026-03-04T09:00:00Z"
        assert [
            (m["direction"], m["channel"], m["body_text"], m["sender"], m["delivery"]) for m in body["messages"]
        ] == [("in", "email", "Fakturan är fel.", "karin@example.se", None)]
        assert list(customer.identities.values_list("kind", "value", "is_primary")) == [
            ("email", "karin@example.se", True)
        ]
        assert list(case.events.values_list("kind", "actor_id")) == [(EventKind.CREATED, api.agent.pk)]

    @pytest.mark.parametrize("tags", [[], ["faktura", "vip"]])
    def test_the_new_case_is_answered_as_written_and_as_a_get_reads_it_back(self, api, tags):
        # the answer is built from what was written, not read again: it must equal what the API reads later
        with CaptureQueriesContext(connection) as ctx:
            created = api.post("/cases", {**CONTRACT_BODY, "tags": tags})
        assert created.status_code == 201, created.content
        # (the test's transaction makes the request's a savepoint: its release is where it commits)
        sqls = [q["sql"] for q in ctx.captured_queries]
        committed = [i for i, sql in enumerate(sqls) if sql.startswith(("COMMIT", "RELEASE SAVEPOINT"))][-1]
        after_commit = sqls[committed + 1 :]
        body = created.json()
        assert body == api.get(f"/cases/{body['reference']}").json()
        assert sorted(body["tags"]) == tags
        assert [m["attachments"] for m in body["messages"]] == [[]]
        # with no tags given, nothing at all is read back; given tags, only they are
        assert len(after_commit) == (1 if tags else 0), after_commit

    def test_reference_has_the_format_lf_year_number(self, api):
        body = api.post("/cases", CONTRACT_BODY).json()
        assert re.fullmatch(rf"LF-{clock.now().year}-\d{{6}}", body["reference"])

    def test_existing_customer_is_matched_by_email_without_a_duplicate(self, api, customer):
        # when
        response = api.post("/cases", {**CONTRACT_BODY, "customer": {"email": "KARIN@Example.se", "name": "K"}})
        # then
        assert response.status_code == 201
        assert response.json()["customer"]["id"] == customer.pk
        assert Customer.objects.count() == 1
        assert Customer.objects.get().name == "Karin Kund"  # a known name is not overwritten

    def test_swedish_local_phone_matches_the_stored_e164_number(self, api, db):
        # given
        customer = customer_create(name="Sven", phone="+46701234567")
        # when
        response = api.post(
            "/cases", {"subject": "Sms", "body": "Hej", "channel": "sms", "customer": {"phone": "070-123 45 67"}}
        )
        # then
        assert response.status_code == 201
        assert response.json()["customer"]["id"] == customer.pk
        assert Customer.objects.count() == 1
        assert Case.objects.get().messages.get().sender == "070-123 45 67"

    def test_an_email_claimed_next_to_a_known_phone_does_not_join_that_customer(self, api, db):
        """The portal takeover: `email=attacker, phone=<the victim's number>` must not give the attacker's
        address to the victim's customer (a portal link to it would show the victim's cases). The case is
        filed with the number's customer, the address is only a suggestion, and nothing is sent to it."""
        victim = customer_create(name="Sven", phone="+46701234567")
        response = api.post(
            "/cases", {**CONTRACT_BODY, "customer": {"email": "mallory@example.net", "phone": "0701234567"}}
        )
        assert response.status_code == 201
        assert list(CustomerIdentity.objects.values_list("customer_id", "kind", "value")) == [
            (victim.pk, "phone", "+46701234567")
        ]
        assert list(IdentitySuggestion.objects.values_list("customer_id", "kind", "value", "owner_id", "state")) == [
            (victim.pk, "email", "mallory@example.net", None, "pending")
        ]
        assert Case.objects.get().reply_to == ""  # replies about the victim's matters never go to the claim

    def test_a_new_customer_gets_the_first_address_claimed_and_the_other_as_a_suggestion(self, api):
        response = api.post(
            "/cases",
            {**CONTRACT_BODY, "customer": {"email": "Ny@Example.se", "phone": "070-765 43 21", "name": "Ny Kund"}},
        )
        customer = Customer.objects.get(pk=response.json()["customer"]["id"])
        assert customer.name == "Ny Kund"
        assert list(customer.identities.values_list("kind", "value", "is_primary", "proven_at")) == [
            ("email", "ny@example.se", True, None)
        ]
        assert list(customer.identity_suggestions.values_list("kind", "value", "owner", "reference")) == [
            ("phone", "+46707654321", None, response.json()["reference"])
        ]

    def test_the_same_external_id_again_answers_the_case_it_made(self, api):
        first = api.post("/cases", {**CONTRACT_BODY, "external_id": "order-7"})
        again = api.post("/cases", {**CONTRACT_BODY, "external_id": "order-7"})
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["reference"] == first.json()["reference"]
        assert Case.objects.count() == 1

    def test_an_api_external_id_cannot_claim_a_future_email(self, api, db):
        """An API client sends the Message-ID an email will carry: the email must still be filed, not taken
        for a duplicate of the client's message (external ids are scoped to their source)."""
        from lofte.channels.email.ingest import email_ingest

        api.post("/cases", {**CONTRACT_BODY, "channel": "email", "external_id": "<future@mail.example.se>"})
        raw = (
            b"From: Karin <karin@example.se>\r\nTo: support@lofte.localhost\r\nSubject: Hej\r\n"
            b"Message-ID: <future@mail.example.se>\r\n\r\nDet riktiga mejlet.\r\n"
        )
        result = email_ingest(raw=raw)
        assert result.outcome == "created"
        assert Case.objects.count() == 2

    def test_every_optional_field_is_applied(self, api, agent, team):
        # given
        case_type = CaseTypeFactory(name="Reklamation")
        # when
        response = api.post(
            "/cases",
            {
                **CONTRACT_BODY,
                "channel": "web",
                "case_type": case_type.pk,
                "priority": "urgent",
                "team": team.pk,
                "assignee": agent.pk,
                "tags": ["Faktura", "VIP"],
                "language": "en",
                "sender": "form@example.se",
                "external_id": "form-42",
            },
        )
        # then
        assert response.status_code == 201
        body = response.json()
        assert body["case_type"] == {"id": case_type.pk, "name": "Reklamation"}
        assert body["team"] == {"id": team.pk, "name": "Support"}
        assert body["assignee"] == {"id": agent.pk, "name": "Alma Agent", "email": "agent@example.com"}
        assert (body["priority"], body["tags"], body["language"], body["channel"]) == (
            "urgent",
            ["faktura", "vip"],
            "en",
            "web",
        )
        message = body["messages"][0]
        assert (message["sender"], message["external_id"], message["channel"]) == ("form@example.se", "form-42", "web")

    def test_case_type_brings_its_default_team_and_priority(self, api, team):
        case_type = CaseTypeFactory(name="Reklamation", default_team=team, default_priority=Priority.HIGH)
        body = api.post("/cases", {**CONTRACT_BODY, "case_type": case_type.pk}).json()
        assert (body["team"]["id"], body["priority"]) == (team.pk, "high")

    def test_case_filed_for_a_team_the_agent_is_not_on_is_returned(self, api, other_team):
        # when: Alma (Support) files a case straight to Billing
        response = api.post("/cases", {**CONTRACT_BODY, "team": other_team.pk})
        # then: she gets it back, though she cannot open it afterwards
        assert response.status_code == 201
        assert response.json()["reference"] == Case.objects.get().reference
        assert response.json()["team"] == {"id": other_team.pk, "name": "Billing"}
        assert api.get(f"/cases/{response.json()['reference']}").status_code == 404

    def test_channel_defaults_to_api(self, api):
        body = {k: v for k, v in CONTRACT_BODY.items() if k != "channel"}
        assert api.post("/cases", body).json()["channel"] == "api"

    @pytest.mark.parametrize("missing", ["subject", "body", "customer"])
    def test_missing_required_field_is_422_naming_it_and_creates_nothing(self, api, missing):
        # given
        before = counts()
        body = {k: v for k, v in CONTRACT_BODY.items() if k != missing}
        # when
        response = api.post("/cases", body)
        # then
        assert error(response) == (422, "validation_error", missing)
        assert response.json()["message"] == f"{missing}: Field required"
        assert response.json()["errors"] == [{"field": missing, "message": "Field required"}]
        assert counts() == before

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"channel": "pigeon"}, "channel"),
            ({"customer": {"email": "not-an-email"}}, "customer.email"),
            ({"customer": {"phone": "12"}}, "customer.phone"),
            ({"customer": {"name": "Karin"}}, "customer"),
            ({"customer": {"email": "", "phone": ""}}, "customer"),
            ({"customer": "karin@example.se"}, "customer"),
            ({"priority": "critical"}, "priority"),
            ({"priority": 4}, "priority"),
            ({"body": "   "}, "body"),
            ({"body": ""}, "body"),
            ({"subject": "x" * 256}, "subject"),
            ({"tags": "vip"}, "tags"),
            ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
            ({"language": "de"}, "language"),
            ({"team": 999999}, "team"),
            ({"assignee": 999999}, "assignee"),
            ({"case_type": 999999}, "case_type"),
            ({"team": "Support"}, "team"),
        ],
    )
    def test_bad_field_is_422_naming_it_and_creates_nothing(self, api, change, field):
        # given
        before = counts()
        # when
        response = api.post("/cases", {**CONTRACT_BODY, **change})
        # then
        assert error(response) == (422, "validation_error", field)
        assert response.json()["message"]
        assert counts() == before

    def test_inactive_assignee_and_inactive_case_type_are_refused(self, api, db):
        before = counts()
        inactive = AgentFactory(is_active=False)
        retired = CaseTypeFactory(name="Gammal", is_active=False)
        assert error(api.post("/cases", {**CONTRACT_BODY, "assignee": inactive.pk})) == (
            422,
            "validation_error",
            "assignee",
        )
        assert error(api.post("/cases", {**CONTRACT_BODY, "case_type": retired.pk})) == (
            422,
            "validation_error",
            "case_type",
        )
        assert counts() == before

    def test_malformed_json_is_400_with_the_error_code(self, api):
        before = counts()
        response = api.client.post(
            "/api/v1/cases", '{"subject": ', content_type="application/json", headers=api.headers
        )
        assert response.status_code == 400
        assert response.json()["code"] == "bad_request"
        assert counts() == before

    def test_unauthenticated_is_401_and_creates_nothing(self, client, db):
        response = client.post("/api/v1/cases", CONTRACT_BODY, content_type="application/json")
        assert error(response) == (401, "unauthenticated", None)
        assert counts()["cases"] == 0


# --- list -----------------------------------------------------------------------------


class TestListFilters:
    def test_default_is_every_active_visible_case_newest_update_first(self, api, team):
        # given
        with clock.at(T0):
            older = make_case(team=team)
        with clock.at(T0 + timedelta(hours=1)):
            newer = make_case(team=team)
        solved = make_case(team=team)
        services.case_transition(case=solved, actor=None, status=Status.SOLVED)
        # when
        response = api.get("/cases")
        # then
        assert refs(response) == [newer.reference, older.reference]
        assert response.json()["next_cursor"] is None

    def test_status_names_and_groups_and_repeats(self, api, team):
        # given
        new = make_case(team=team)
        solved = make_case(team=team)
        services.case_transition(case=solved, actor=None, status=Status.SOLVED)
        closed = make_case(team=team)
        services.case_transition(case=closed, actor=None, status=Status.CLOSED)
        # then
        assert set(refs(api.get("/cases", {"status": "active"}))) == {new.reference}
        assert set(refs(api.get("/cases", {"status": "all"}))) == {new.reference, solved.reference, closed.reference}
        assert set(refs(api.get("/cases", {"status": "solved"}))) == {solved.reference}
        assert set(refs(api.get("/cases", {"status": ["solved", "closed"]}))) == {
            solved.reference,
            closed.reference,
        }
        assert set(refs(api.get("/cases", {"status": ["active", "closed"]}))) == {new.reference, closed.reference}

    def test_view_mine_and_unassigned(self, api, agent, team, other_team, outsider):
        # given
        mine = make_case(team=team, assignee=agent)
        team_queue = make_case(team=team)
        colleague = make_case(team=team, assignee=AgentFactory(teams=[team]))
        triage = make_case()  # no team and nobody's: the triage queue, in everybody's "mine"
        make_case(assignee=AgentFactory(teams=[team]))  # no team but a colleague's: not mine
        # then
        assert set(refs(api.get("/cases", {"view": "mine"}))) == {
            mine.reference,
            team_queue.reference,
            triage.reference,
        }
        assert set(refs(api.get("/cases", {"view": "unassigned"}))) == {team_queue.reference, triage.reference}
        assert colleague.reference in refs(api.get("/cases", {"view": "all"}))
        assert len(refs(api.get("/cases", {"view": "all"}))) == 5

    def test_team(self, admin, team, other_team):
        support = make_case(team=team)
        make_case(team=other_team)
        make_case()
        assert refs(Api(admin).get("/cases", {"team": team.pk})) == [support.reference]

    def test_assignee_me_none_and_id(self, api, agent, team):
        colleague = AgentFactory(teams=[team])
        mine = make_case(team=team, assignee=agent)
        theirs = make_case(team=team, assignee=colleague)
        nobody = make_case(team=team)
        assert refs(api.get("/cases", {"assignee": "me"})) == [mine.reference]
        assert refs(api.get("/cases", {"assignee": "none"})) == [nobody.reference]
        assert refs(api.get("/cases", {"assignee": str(colleague.pk)})) == [theirs.reference]

    def test_channel(self, api, team):
        sms = make_case(team=team, channel="sms")
        make_case(team=team, channel="email")
        assert refs(api.get("/cases", {"channel": "sms"})) == [sms.reference]

    def test_case_type(self, api, team):
        complaint = CaseTypeFactory(name="Reklamation")
        typed = make_case(team=team, case_type=complaint)
        make_case(team=team, case_type=CaseTypeFactory(name="Fråga"))
        make_case(team=team)
        assert refs(api.get("/cases", {"case_type": complaint.pk})) == [typed.reference]

    def test_tag_is_matched_case_insensitively(self, api, team):
        vip = make_case(team=team, tags=["VIP", "faktura"])
        make_case(team=team, tags=["faktura"])
        make_case(team=team)
        assert refs(api.get("/cases", {"tag": " Vip "})) == [vip.reference]

    def test_tag_with_inner_whitespace_is_matched_as_it_was_stored(self, api, team):
        # given: stored as "big deal"
        tagged = make_case(team=team, tags=["Big  Deal"])
        # then: the same spelling finds it again
        assert refs(api.get("/cases", {"tag": "Big  Deal"})) == [tagged.reference]

    def test_customer(self, api, team, customer):
        theirs = make_case(team=team, customer=customer)
        make_case(team=team)
        assert refs(api.get("/cases", {"customer": customer.pk})) == [theirs.reference]

    def test_q_matches_reference_subject_customer_name_and_email(self, api, team, customer):
        # given
        by_customer = make_case(team=team, customer=customer, subject="Router")
        by_subject = make_case(team=team, subject="Fakturan är fel")
        other = make_case(team=team, subject="Leverans")
        # then
        assert refs(api.get("/cases", {"q": other.reference.lower()})) == [other.reference]
        assert refs(api.get("/cases", {"q": "FAKTURAN"})) == [by_subject.reference]
        assert refs(api.get("/cases", {"q": "karin kund"})) == [by_customer.reference]
        assert refs(api.get("/cases", {"q": " Karin@Example.SE "})) == [by_customer.reference]
        assert refs(api.get("/cases", {"q": "ingenting"})) == []

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"view": "everything"}, "view"),
            ({"status": "pending"}, "status"),
            ({"status": ["active", "pending"]}, "status"),
            ({"sort": "subject"}, "sort"),
            ({"channel": "pigeon"}, "channel"),
            ({"assignee": "someone"}, "assignee"),
            ({"team": "Support"}, "team"),
            ({"case_type": "x"}, "case_type"),
            ({"limit": "many"}, "limit"),
            ({"cursor": "not-a-cursor"}, "cursor"),
            ({"cursor": "W10"}, "cursor"),  # base64 of "[]"
            ({"cursor": "WyJ4IiwxXQ"}, "cursor"),  # base64 of '["x",1]', not a time
        ],
    )
    def test_bad_parameter_is_422_naming_it(self, api, case, params, field):
        assert error(api.get("/cases", params)) == (422, "validation_error", field)

    def test_unauthenticated_is_401(self, client, case):
        assert error(client.get("/api/v1/cases")) == (401, "unauthenticated", None)


class TestListVisibility:
    def test_agent_of_another_team_does_not_see_supports_cases(self, outsider_api, outsider, case, other_team):
        # given
        triage = make_case()
        billing = make_case(team=other_team)
        assigned_to_outsider = make_case(team=case.team, assignee=outsider)
        # then
        assert set(refs(outsider_api.get("/cases"))) == {
            triage.reference,
            billing.reference,
            assigned_to_outsider.reference,
        }
        assert refs(outsider_api.get("/cases", {"q": case.reference})) == []
        assert refs(outsider_api.get("/cases", {"team": case.team.pk})) == [assigned_to_outsider.reference]

    def test_team_member_does_not_see_another_teams_cases(self, api, case, other_team):
        make_case(team=other_team)
        assert refs(api.get("/cases")) == [case.reference]

    def test_admin_sees_every_case(self, admin, case, other_team):
        billing = make_case(team=other_team)
        triage = make_case()
        assert set(refs(Api(admin).get("/cases"))) == {case.reference, billing.reference, triage.reference}


def _varied_cases(team: Any) -> list[Case]:
    """Seven cases with ties in every sort key, so that ties are broken by id."""
    cases = []
    for i in range(7):
        with clock.at(T0 + timedelta(minutes=i // 2)):  # pairs share created_at and updated_at
            cases.append(make_case(team=team, priority=[1, 2, 2, 3, 4, 4, 1][i]))
    due = [T0 + timedelta(days=1), None, T0 + timedelta(days=1), None, T0, T0 + timedelta(days=2), None]
    for case, moment in zip(cases, due, strict=True):
        Case.objects.filter(pk=case.pk).update(next_due_at=moment)  # promises are not part of this test
    return cases


def _expected_order(sort: str) -> list[str]:
    desc = sort.startswith("-")
    field = sort.lstrip("-")
    rows = list(Case.objects.values_list(field, "id", "reference"))
    present = [r for r in rows if r[0] is not None]
    nulls = [r for r in rows if r[0] is None]
    present.sort(key=lambda r: (r[0], r[1]), reverse=desc)
    nulls.sort(key=lambda r: r[1], reverse=desc)
    return [r[2] for r in present + nulls]


class TestListPagination:
    @pytest.mark.parametrize(
        "sort", ["-updated_at", "updated_at", "-created_at", "created_at", "next_due_at", "-priority"]
    )
    def test_walking_pages_of_two_shows_every_case_once_in_order(self, api, team, sort):
        # given
        _varied_cases(team)
        expected = _expected_order(sort)
        # when
        seen: list[str] = []
        cursor = None
        for _page in range(10):
            params: dict[str, Any] = {"limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            response = api.get("/cases", params)
            assert len(response.json()["items"]) <= 2
            seen += refs(response)
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        # then
        assert seen == expected
        assert len(seen) == 7

    def test_limit_is_1_to_100_and_outside_is_422_naming_it(self, api, team):
        for _ in range(3):
            make_case(team=team)
        assert len(refs(api.get("/cases", {"limit": 1}))) == 1
        assert len(refs(api.get("/cases", {"limit": 100}))) == 3
        for limit in (0, 101, 10**20):
            response = api.get("/cases", {"limit": limit})
            assert (response.status_code, response.json()["field"]) == (422, "limit")

    def test_query_count_does_not_grow_with_the_rows(self, api, agent, team):
        # given: cases that use every relation the list shows
        case_type = CaseTypeFactory(name="Fråga")
        api.get("/me")  # the token's last_used_at is written once

        def add(n: int) -> None:
            for _ in range(n):
                make_case(team=team, assignee=agent, case_type=case_type, tags=["a", "b"])

        add(5)
        with CaptureQueriesContext(connection) as few:
            response = api.get("/cases", {"limit": 100})
        assert len(refs(response)) == 5
        add(45)
        with CaptureQueriesContext(connection) as many:
            response = api.get("/cases", {"limit": 100})
        # then
        assert len(refs(response)) == 50
        assert len(few) == len(many)


# --- get ------------------------------------------------------------------------------


class TestGet:
    def test_returns_the_case_with_its_messages_in_order(self, api, agent, case):
        # given
        services.case_reply(case=case, author=agent, body="Vi tittar på det.")
        # when
        response = api.get(f"/cases/{case.reference}")
        # then
        assert response.status_code == 200
        body = response.json()
        assert (body["reference"], body["status"], body["team"]["name"]) == (case.reference, "open", "Support")
        assert [(m["direction"], m["body_text"]) for m in body["messages"]] == [
            ("in", "Hej! Fakturan är fel."),
            ("out", "Vi tittar på det."),
        ]
        assert body["messages"][1]["delivery"] == "pending"
        assert body["messages"][1]["author"] == {"id": agent.pk, "name": "Alma Agent", "email": "agent@example.com"}

    def test_reference_is_case_insensitive(self, api, case):
        assert api.get(f"/cases/{case.reference.lower()}").json()["reference"] == case.reference

    def test_unknown_reference_is_404(self, api, case):
        response = api.get("/cases/LF-1999-000001")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Case LF-1999-000001 not found."}

    def test_case_of_another_team_is_404_like_an_unknown_one(self, outsider_api, case):
        response = outsider_api.get(f"/cases/{case.reference}")
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": f"Case {case.reference} not found."}

    def test_admin_gets_any_case(self, admin, case):
        assert Api(admin).get(f"/cases/{case.reference}").status_code == 200


# --- update ---------------------------------------------------------------------------


class TestUpdate:
    def test_allowed_status_transition_is_200_with_an_event(self, api, agent, case):
        # when
        response = api.patch(f"/cases/{case.reference}", {"status": "waiting_on_customer"})
        # then
        assert response.status_code == 200
        assert response.json()["status"] == "waiting_on_customer"
        assert Case.objects.get(pk=case.pk).status == Status.WAITING_ON_CUSTOMER
        event = case.events.get(kind=EventKind.STATUS_CHANGED)
        assert (event.actor_id, event.data) == (agent.pk, {"from": "new", "to": "waiting_on_customer"})

    def test_solving_stamps_solved_at(self, api, case):
        with clock.at(T0):
            body = api.patch(f"/cases/{case.reference}", {"status": "solved"}).json()
        assert (body["status"], body["solved_at"]) == ("solved", "2026-03-04T09:00:00Z")

    def test_illegal_transition_is_409_and_changes_nothing(self, api, case):
        # given
        services.case_transition(case=case, actor=None, status=Status.SOLVED)
        before, before_counts = snapshot(case), counts()
        # when
        response = api.patch(
            f"/cases/{case.reference}", {"status": "waiting_on_customer", "priority": "urgent", "tags": ["x"]}
        )
        # then
        assert error(response) == (409, "invalid_transition", "status")
        assert response.json()["message"] == "A case cannot go from Solved to Waiting on customer."
        assert snapshot(case) == before
        assert counts() == before_counts

    def test_closed_case_cannot_be_reopened(self, api, case):
        services.case_transition(case=case, actor=None, status=Status.CLOSED)
        before = snapshot(case)
        assert error(api.patch(f"/cases/{case.reference}", {"status": "open"})) == (
            409,
            "invalid_transition",
            "status",
        )
        assert snapshot(case) == before

    @pytest.mark.parametrize(("name", "value"), [("low", 1), ("normal", 2), ("high", 3), ("urgent", 4)])
    def test_priority_by_name(self, api, case, name, value):
        response = api.patch(f"/cases/{case.reference}", {"priority": name})
        assert response.json()["priority"] == name
        assert Case.objects.get(pk=case.pk).priority == value

    def test_tags_are_replaced_normalised_and_sorted(self, api, case):
        api.patch(f"/cases/{case.reference}", {"tags": ["old"]})
        response = api.patch(f"/cases/{case.reference}", {"tags": ["VIP", " Faktura ", "vip"]})
        assert response.json()["tags"] == ["faktura", "vip"]
        assert snapshot(case)["tags"] == ["faktura", "vip"]
        assert api.patch(f"/cases/{case.reference}", {"tags": []}).json()["tags"] == []

    def test_assignee_id_assigns_and_null_unassigns(self, api, agent, case):
        body = api.patch(f"/cases/{case.reference}", {"assignee": agent.pk}).json()
        assert body["assignee"]["id"] == agent.pk
        body = api.patch(f"/cases/{case.reference}", {"assignee": None}).json()
        assert body["assignee"] is None
        assert Case.objects.get(pk=case.pk).assignee_id is None
        assert [e.data for e in case.events.filter(kind=EventKind.ASSIGNED).order_by("id")] == [
            {"from": None, "to": {"id": agent.pk, "name": "Alma Agent"}},
            {"from": {"id": agent.pk, "name": "Alma Agent"}, "to": None},
        ]

    def test_team_change_and_clear(self, admin, case, other_team):
        admin_api = Api(admin)
        body = admin_api.patch(f"/cases/{case.reference}", {"team": other_team.pk}).json()
        assert body["team"] == {"id": other_team.pk, "name": "Billing"}
        assert Case.objects.get(pk=case.pk).team_id == other_team.pk
        assert admin_api.patch(f"/cases/{case.reference}", {"team": None}).json()["team"] is None

    def test_moving_a_case_to_another_team_hides_it_from_the_mover(self, api, case, other_team):
        response = api.patch(f"/cases/{case.reference}", {"team": other_team.pk})
        assert response.status_code == 200
        assert response.json()["team"]["id"] == other_team.pk
        assert api.get(f"/cases/{case.reference}").status_code == 404

    def test_subject_and_case_type(self, api, case):
        case_type = CaseTypeFactory(name="Reklamation")
        body = api.patch(f"/cases/{case.reference}", {"subject": "  Ny   rubrik ", "case_type": case_type.pk}).json()
        assert (body["subject"], body["case_type"]) == ("Ny rubrik", {"id": case_type.pk, "name": "Reklamation"})
        assert api.patch(f"/cases/{case.reference}", {"case_type": None}).json()["case_type"] is None

    def test_empty_body_changes_nothing(self, api, case):
        before, before_counts = snapshot(case), counts()
        assert api.patch(f"/cases/{case.reference}", {}).status_code == 200
        assert (snapshot(case), counts()) == (before, before_counts)

    @pytest.mark.parametrize(
        ("change", "status", "field"),
        [
            ({"status": "pending"}, 422, "status"),
            ({"status": None}, 422, "status"),
            ({"priority": "critical"}, 422, "priority"),
            ({"priority": None}, 422, "priority"),
            ({"subject": ""}, 422, "subject"),
            ({"subject": None}, 422, "subject"),
            ({"team": 999999}, 422, "team"),
            ({"assignee": 999999}, 422, "assignee"),
            ({"case_type": 999999}, 422, "case_type"),
            ({"tags": [f"t{i}" for i in range(21)]}, 422, "tags"),
            ({"tags": None}, 422, "tags"),
        ],
    )
    def test_bad_field_is_refused_naming_it_and_changes_nothing(self, api, agent, case, change, status, field):
        # given
        before, before_counts = snapshot(case), counts()
        # when: a good change rides along with the bad one
        response = api.patch(f"/cases/{case.reference}", {"assignee": agent.pk, **change})
        # then
        assert error(response) == (status, "validation_error", field)
        assert snapshot(case) == before
        assert counts() == before_counts

    def test_inactive_assignee_is_refused_and_changes_nothing(self, api, case):
        inactive = AgentFactory(is_active=False, teams=[case.team])
        before, before_counts = snapshot(case), counts()
        response = api.patch(f"/cases/{case.reference}", {"assignee": inactive.pk, "priority": "high"})
        assert error(response) == (422, "validation_error", "assignee")
        assert response.json()["message"] == f"There is no active agent {inactive.pk}."
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_outsider_gets_404_and_changes_nothing(self, outsider_api, outsider, other_team, case):
        # given
        before, before_counts = snapshot(case), counts()
        # when
        response = outsider_api.patch(
            f"/cases/{case.reference}",
            {
                "subject": "Hijacked",
                "status": "closed",
                "priority": "urgent",
                "team": other_team.pk,
                "assignee": outsider.pk,
                "tags": ["x"],
            },
        )
        # then
        assert error(response) == (404, "not_found", None)
        assert snapshot(case) == before
        assert counts() == before_counts

    def test_unknown_case_is_404(self, api, case):
        assert error(api.patch("/cases/LF-1999-000001", {"priority": "high"})) == (404, "not_found", None)


# --- messages, replies, notes, events -----------------------------------------------------


class TestMessages:
    def test_lists_inbound_and_outbound_messages_but_never_notes(self, api, agent, case):
        # given
        services.case_note_add(case=case, author=agent, body="Internt: kunden är VIP.")
        services.case_reply(case=case, author=agent, body="Hej Karin!")
        # when
        response = api.get(f"/cases/{case.reference}/messages")
        # then
        assert response.status_code == 200
        body = response.json()
        assert [(m["direction"], m["body_text"], m["delivery"]) for m in body] == [
            ("in", "Hej! Fakturan är fel.", None),
            ("out", "Hej Karin!", "pending"),
        ]
        assert "Internt" not in response.content.decode()
        assert "Internt" not in api.get(f"/cases/{case.reference}").content.decode()

    def test_outsider_gets_404(self, outsider_api, case):
        assert error(outsider_api.get(f"/cases/{case.reference}/messages")) == (404, "not_found", None)

    def test_inbound_is_201_and_reopens_a_case_waiting_on_the_customer(self, api, agent, case):
        # given
        services.case_transition(case=case, actor=agent, status=Status.WAITING_ON_CUSTOMER)
        # when
        response = api.post(
            f"/cases/{case.reference}/messages",
            {"body": "Här är fakturanumret: 123.", "channel": "sms", "sender": "+46701234567"},
        )
        # then
        assert response.status_code == 201
        body = response.json()
        assert (body["direction"], body["channel"], body["body_text"], body["sender"], body["delivery"]) == (
            "in",
            "sms",
            "Här är fakturanumret: 123.",
            "+46701234567",
            None,
        )
        assert Case.objects.get(pk=case.pk).status == Status.OPEN
        assert case.messages.count() == 2
        event = case.events.get(kind=EventKind.STATUS_CHANGED, data__reason="customer_replied")
        assert event.data == {"from": "waiting_on_customer", "to": "open", "reason": "customer_replied"}

    @pytest.mark.parametrize(
        ("text", "language"),
        [
            ("Hei, en ole vieläkään saanut laskua marraskuulta.", "fi"),
            ("Kiitos!", ""),
            ("Здравствуйте, я всё ещё не получил счёт за ноябрь.", "other"),
        ],
    )
    def test_inbound_says_the_language_it_is_written_in(self, api, case, text, language):
        response = api.post(f"/cases/{case.reference}/messages", {"body": text})
        assert response.status_code == 201
        assert response.json()["language"] == language
        assert case.messages.order_by("-id").first().language == language
        assert api.get(f"/cases/{case.reference}").json()["messages"][-1]["language"] == language

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({}, "body"),
            ({"body": ""}, "body"),
            ({"body": "  \n "}, "body"),
            ({"body": "x", "channel": "fax"}, "channel"),
        ],
    )
    def test_bad_inbound_is_422_and_adds_nothing(self, api, case, body, field):
        before, before_counts = snapshot(case), counts()
        assert error(api.post(f"/cases/{case.reference}/messages", body)) == (422, "validation_error", field)
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_inbound_from_an_outsider_is_404_and_adds_nothing(self, outsider_api, case):
        before, before_counts = snapshot(case), counts()
        response = outsider_api.post(f"/cases/{case.reference}/messages", {"body": "Hej"})
        assert error(response) == (404, "not_found", None)
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_query_count_does_not_grow_with_the_messages(self, api, agent, case):
        api.get("/me")

        def add(n: int) -> None:
            for i in range(n):
                if i % 2:
                    services.case_reply(case=case, author=agent, body=f"Svar {i}")
                else:
                    services.case_add_inbound(case=case, body=f"Fråga {i}", channel="email")

        add(4)  # and the first message: 5
        with CaptureQueriesContext(connection) as few:
            response = api.get(f"/cases/{case.reference}/messages")
        assert len(response.json()) == 5
        add(45)
        with CaptureQueriesContext(connection) as many:
            response = api.get(f"/cases/{case.reference}/messages")
        assert len(response.json()) == 50
        assert len(few) == len(many)

    def test_case_detail_query_count_does_not_grow_with_the_messages(self, api, agent, case):
        api.get("/me")
        for i in range(4):
            services.case_reply(case=case, author=agent, body=f"Svar {i}")
        with CaptureQueriesContext(connection) as few:
            assert len(api.get(f"/cases/{case.reference}").json()["messages"]) == 5
        for i in range(45):
            services.case_reply(case=case, author=agent, body=f"Svar {i}")
        with CaptureQueriesContext(connection) as many:
            assert len(api.get(f"/cases/{case.reference}").json()["messages"]) == 50
        assert len(few) == len(many)


class TestReplies:
    def test_reply_is_201_and_queues_an_email_to_the_customer(self, api, agent, case):
        # when
        with clock.at(T0):
            response = api.post(f"/cases/{case.reference}/replies", {"body": "Hej Karin, vi rättar fakturan."})
        # then
        assert response.status_code == 201
        body = response.json()
        row = OutboxMessage.objects.get()
        message = Message.objects.get(pk=body["id"])
        assert (row.channel, row.to, row.state, row.external_id) == (
            "email",
            "karin@example.se",
            "pending",
            message.external_id,
        )
        assert row.payload["subject"] == f"Re: Fel belopp på fakturan [{case.reference}]"
        assert row.payload["headers"]["In-Reply-To"] == "<first@mail.example.se>"
        assert (body["direction"], body["channel"], body["recipients"], body["delivery"]) == (
            "out",
            "email",
            ["karin@example.se"],
            "pending",
        )
        assert body["author"]["id"] == agent.pk
        assert message.outbox_message_id == row.pk
        after = Case.objects.get(pk=case.pk)
        assert (after.status, after.first_response_at) == (Status.OPEN, T0)

    def test_reply_can_move_the_case_on(self, api, case):
        response = api.post(
            f"/cases/{case.reference}/replies", {"body": "Vi väntar på dig.", "status": "waiting_on_customer"}
        )
        assert response.status_code == 201
        assert Case.objects.get(pk=case.pk).status == Status.WAITING_ON_CUSTOMER

    def test_reply_on_a_closed_case_is_422_and_queues_nothing(self, api, case):
        # given
        services.case_transition(case=case, actor=None, status=Status.CLOSED)
        before, before_counts = snapshot(case), counts()
        # when
        response = api.post(f"/cases/{case.reference}/replies", {"body": "Hallå?"})
        # then
        assert error(response) == (422, "validation_error", "body")
        assert response.json()["message"] == "The case is closed; it cannot be replied to."
        assert (snapshot(case), counts()) == (before, before_counts)
        assert OutboxMessage.objects.count() == 0

    def test_reply_with_an_illegal_status_is_409_and_queues_nothing(self, api, case):
        services.case_transition(case=case, actor=None, status=Status.SOLVED)
        before, before_counts = snapshot(case), counts()
        response = api.post(f"/cases/{case.reference}/replies", {"body": "Klart.", "status": "waiting_on_customer"})
        assert error(response) == (409, "invalid_transition", "status")
        assert (snapshot(case), counts()) == (before, before_counts)

    @pytest.mark.parametrize(
        ("body", "field"),
        [({}, "body"), ({"body": ""}, "body"), ({"body": " "}, "body"), ({"body": "x", "status": "gone"}, "status")],
    )
    def test_bad_reply_is_422_and_queues_nothing(self, api, case, body, field):
        before, before_counts = snapshot(case), counts()
        assert error(api.post(f"/cases/{case.reference}/replies", body)) == (422, "validation_error", field)
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_reply_to_a_customer_without_an_address_is_422(self, api, team):
        customer = customer_create(name="Anonym", handle="@anon")
        case = make_case(customer=customer, team=team, channel="chat")
        before_counts = counts()
        assert error(api.post(f"/cases/{case.reference}/replies", {"body": "Hej"})) == (422, "validation_error", "body")
        assert counts() == before_counts

    def test_outsider_reply_is_404_and_queues_nothing(self, outsider_api, case):
        before, before_counts = snapshot(case), counts()
        response = outsider_api.post(f"/cases/{case.reference}/replies", {"body": "Hej från fel team"})
        assert error(response) == (404, "not_found", None)
        assert (snapshot(case), counts()) == (before, before_counts)


class TestNotes:
    def test_create_and_list_notes(self, api, agent, case):
        # when
        with clock.at(T0):
            response = api.post(f"/cases/{case.reference}/notes", {"body": "  Ring kunden i morgon. "})
        # then
        assert response.status_code == 201
        note = Note.objects.get()
        assert response.json() == {
            "id": note.pk,
            "body": "Ring kunden i morgon.",
            "author": {"id": agent.pk, "name": "Alma Agent", "email": "agent@example.com"},
            "created_at": "2026-03-04T09:00:00Z",
        }
        assert [n["body"] for n in api.get(f"/cases/{case.reference}/notes").json()] == ["Ring kunden i morgon."]
        assert [m["direction"] for m in api.get(f"/cases/{case.reference}/messages").json()] == ["in"]
        assert OutboxMessage.objects.count() == 0
        assert case.events.filter(kind=EventKind.NOTE, note=note).count() == 1

    def test_empty_note_is_422_and_adds_nothing(self, api, case):
        before_counts = counts()
        assert error(api.post(f"/cases/{case.reference}/notes", {"body": "  "})) == (422, "validation_error", "body")
        assert counts() == before_counts

    def test_outsider_gets_404_and_adds_nothing(self, outsider_api, agent, case):
        services.case_note_add(case=case, author=agent, body="Hemligt")
        before, before_counts = snapshot(case), counts()
        assert error(outsider_api.get(f"/cases/{case.reference}/notes")) == (404, "not_found", None)
        assert error(outsider_api.post(f"/cases/{case.reference}/notes", {"body": "x"})) == (404, "not_found", None)
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_query_count_does_not_grow_with_the_notes(self, api, agent, case):
        api.get("/me")
        for i in range(5):
            services.case_note_add(case=case, author=agent, body=f"Not {i}")
        with CaptureQueriesContext(connection) as few:
            assert len(api.get(f"/cases/{case.reference}/notes").json()) == 5
        for i in range(45):
            services.case_note_add(case=case, author=AgentFactory(), body=f"Not {i}")
        with CaptureQueriesContext(connection) as many:
            assert len(api.get(f"/cases/{case.reference}/notes").json()) == 50
        assert len(few) == len(many)


class TestEvents:
    def test_timeline_in_order(self, api, agent, case):
        services.case_note_add(case=case, author=agent, body="Not")
        services.case_reply(case=case, author=agent, body="Svar")
        response = api.get(f"/cases/{case.reference}/events")
        assert response.status_code == 200
        assert [e["kind"] for e in response.json()] == ["created", "note", "message_out", "status_changed"]
        assert response.json()[3]["data"] == {"from": "new", "to": "open"}

    def test_outsider_gets_404(self, outsider_api, case):
        assert error(outsider_api.get(f"/cases/{case.reference}/events")) == (404, "not_found", None)

    def test_query_count_does_not_grow_with_the_events(self, api, agent, case):
        api.get("/me")

        def add(n: int) -> None:
            for i in range(n):
                services.case_note_add(case=case, author=agent, body=f"Not {i}")

        add(4)
        with CaptureQueriesContext(connection) as few:
            assert len(api.get(f"/cases/{case.reference}/events").json()) == 5
        add(45)
        with CaptureQueriesContext(connection) as many:
            assert len(api.get(f"/cases/{case.reference}/events").json()) == 50
        assert len(few) == len(many)


class TestCaseTypes:
    def test_lists_active_case_types_by_name(self, api, team):
        CaseTypeFactory(
            name="Reklamation",
            description="Fel på vara",
            default_team=team,
            default_priority=Priority.HIGH,
            is_complaint=True,
            expected_handling_time=timedelta(days=14),
            update_interval=timedelta(days=3),
        )
        CaseTypeFactory(name="Fråga")
        CaseTypeFactory(name="Gammal", is_active=False)
        response = api.get("/case-types")
        assert response.status_code == 200
        body = response.json()
        assert [t["name"] for t in body] == ["Fråga", "Reklamation"]
        complaint = body[1]
        assert complaint["default_team"] == {"id": team.pk, "name": "Support"}
        assert (complaint["default_priority"], complaint["is_complaint"], complaint["description"]) == (
            "high",
            True,
            "Fel på vara",
        )
        assert (complaint["expected_handling_time"], complaint["update_interval"]) == (
            "P14DT00H00M00S",
            "P3DT00H00M00S",
        )
        assert (body[0]["default_team"], body[0]["default_priority"], body[0]["expected_handling_time"]) == (
            None,
            "normal",
            None,
        )

    def test_query_count_does_not_grow_with_the_types(self, api, team):
        api.get("/me")
        for i in range(5):
            CaseTypeFactory(name=f"Typ {i:02}", default_team=team)
        with CaptureQueriesContext(connection) as few:
            assert len(api.get("/case-types").json()) == 5
        for i in range(5, 50):
            CaseTypeFactory(name=f"Typ {i:02}", default_team=team)
        with CaptureQueriesContext(connection) as many:
            assert len(api.get("/case-types").json()) == 50
        assert len(few) == len(many)


NOT_OBJECTS = ["[null, null]", "null", "5", '"x"', "[]", "true"]


def send_raw(api: Api, method: str, path: str, raw: str) -> Any:
    """A request whose body is exactly `raw` (JSON text), as a client that sends whatever it likes would."""
    send = getattr(api.client, method)
    return send(f"/api/v1{path}", raw, content_type="application/json", headers=api.headers)


class TestInputBounds:
    """What the schema states is what is enforced: out of range is a 422 naming the field, never a 500."""

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_create_with_a_body_that_is_not_an_object_is_422_naming_body_and_creates_nothing(self, api, raw):
        before = counts()
        response = send_raw(api, "post", "/cases", raw)
        assert error(response) == (422, "validation_error", "body")
        assert response.json()["message"] == "body: Input should be a JSON object"
        assert counts() == before

    def test_create_with_a_customer_that_is_not_an_object_is_422_naming_customer(self, api):
        before = counts()
        response = api.post("/cases", {**CONTRACT_BODY, "customer": [None, None]})
        assert error(response) == (422, "validation_error", "customer")
        assert counts() == before

    @pytest.mark.parametrize("raw", NOT_OBJECTS)
    def test_update_with_a_body_that_is_not_an_object_is_422_and_changes_nothing(self, api, case, raw):
        before, before_counts = snapshot(case), counts()
        response = send_raw(api, "patch", f"/cases/{case.reference}", raw)
        assert error(response) == (422, "validation_error", "body")
        assert (snapshot(case), counts()) == (before, before_counts)

    def test_update_with_an_empty_object_answers_the_case_unchanged(self, api, case):
        before, before_counts = snapshot(case), counts()
        response = api.patch(f"/cases/{case.reference}", {})
        assert response.status_code == 200
        assert (response.json()["reference"], response.json()["subject"]) == (case.reference, case.subject)
        assert (snapshot(case), counts()) == (before, before_counts)

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"team": 10**20}, "team"),
            ({"team": 0}, "team"),
            ({"assignee": 2**63}, "assignee"),
            ({"case_type": -1}, "case_type"),
            ({"tags": ["x" * 51]}, "tags"),
            ({"subject": "a\x00b"}, "subject"),
        ],
    )
    def test_update_out_of_range_is_422_naming_the_field_and_changes_nothing(self, api, case, change, field):
        before, before_counts = snapshot(case), counts()
        response = api.patch(f"/cases/{case.reference}", change)
        assert error(response) == (422, "validation_error", field)
        assert (snapshot(case), counts()) == (before, before_counts)

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"team": "1" * 20}, "team"),
            ({"customer": 2**63}, "customer"),
            ({"case_type": 0}, "case_type"),
            ({"assignee": "²"}, "assignee"),  # a digit to str.isdigit(), not to int()
            ({"assignee": "9" * 20}, "assignee"),
            ({"channel": "fax"}, "channel"),
            ({"sort": "subject"}, "sort"),
            ({"view": "everything"}, "view"),
            ({"q": "a\x00b"}, "q"),
            ({"q": "x" * 201}, "q"),
            ({"tag": "x" * 51}, "tag"),
            ({"cursor": "x" * 501}, "cursor"),
        ],
    )
    def test_list_filter_out_of_range_is_422_naming_it(self, api, case, params, field):
        assert error(api.get("/cases", params)) == (422, "validation_error", field)

    @pytest.mark.parametrize(("reference", "field"), [("LF-" + "9" * 40, "reference"), ("LF-2026\x00", "reference")])
    def test_a_reference_that_cannot_be_one_is_422(self, api, case, reference, field):
        assert error(api.get(f"/cases/{reference}")) == (422, "validation_error", field)

    def test_promise_due_before_1900_or_after_9999_is_422_and_makes_nothing(self, api, case):
        before = counts()
        for due_at in ("1899-12-31T23:00:00+00:00", "9999-12-31T23:30:00-01:00"):
            response = api.post(f"/cases/{case.reference}/promises", {"due_at": due_at})
            assert error(response) == (422, "validation_error", "due_at")
        assert counts() == before
