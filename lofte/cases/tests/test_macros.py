"""Macros: who sees and changes which, the text filled in for a case (never a time nobody promised), sending with
one in one transaction, the reply box, the macros page and the API.

Where access is denied or input is refused, the tests also check that nothing changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.models import Agent, Role
from lofte.accounts.tests.api_client import Api
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import macros, services
from lofte.cases.acknowledgements import template_check
from lofte.cases.macros import MacroInput
from lofte.cases.models import Case, Macro, Message, Status
from lofte.core import clock, placeholders
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed
from lofte.outbox.models import OutboxMessage
from lofte.promises.calendars import calendar_create, team_calendar_set
from lofte.promises.models import Promise, PromiseKind, PromiseState

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(db) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN)


@pytest.fixture
def lead(team) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lea Lead", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def colleague(team) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="colleague@example.com", name="Cid Colleague", teams=[team])


def make(agent: Agent, **kwargs) -> Macro:  # type: ignore[no-untyped-def]
    kwargs.setdefault("name", "Thanks")
    kwargs.setdefault("body", "Hej {customer_first_name}, tack! /{agent_first_name}")
    return macros.macro_create(agent=agent, data=MacroInput(**kwargs))


def visible(agent: Agent) -> list[str]:
    return [m.name for m in macros.macro_list_for_agent(agent=agent)]


class TestPlaceholders:
    def test_known_names_fill_and_braces_stay_literal(self):
        assert placeholders.fill("{a} {{b}} {a}", {"a": "x"}) == "x {b} x"
        assert placeholders.names("{a} and {b} {{c}}") == {"a", "b"}

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("{reference:>999999999}", "Write {reference} alone"),  # would pad the text to a gigabyte
            ("{reference!r}", "Write {reference} alone"),
            ("{reference.__class__}", "{reference.__class__} is not a placeholder"),
            ("{reference[0]}", "{reference[0]} is not a placeholder"),
            ("{name}", "{name} is not a placeholder; use {reference}"),
            ("{reference", "unmatched brace"),
        ],
    )
    def test_anything_but_a_plain_name_is_refused(self, text, problem):
        assert problem in placeholders.problems(text, ["reference"])[0]
        with pytest.raises(ValidationFailed) as failed:
            placeholders.fill(text, {"reference": "LF-1"})
        assert problem in failed.value.message

    def test_acknowledgement_templates_refuse_a_format_spec_too(self):
        assert "Write {eta} alone" in template_check("Hej {eta:>99999999}")[0]


class TestWhoSeesWhich:
    def test_personal_team_and_everyones(self, agent, colleague, outsider, lead, admin, team, other_team):
        make(agent, name="Alma's own")
        make(lead, name="Support's", scope="team", team=team)
        make(admin, name="Billing's", scope="team", team=other_team)
        make(admin, name="Everyone's", scope="everyone")
        assert visible(agent) == ["Alma's own", "Support's", "Everyone's"]  # own, team's, everyone's
        assert visible(colleague) == ["Support's", "Everyone's"]
        assert visible(outsider) == ["Billing's", "Everyone's"]
        # an admin uses every team's, and never another agent's own
        assert visible(admin) == ["Billing's", "Support's", "Everyone's"]

    def test_another_agents_macro_is_not_found_by_id_or_name(self, agent, colleague, admin):
        own = make(agent, name="Alma's own")
        for other in (colleague, admin):
            with pytest.raises(NotFound):
                macros.macro_get_for_agent(agent=other, macro_id=own.pk)
            with pytest.raises(NotFound):
                macros.macro_find_for_agent(agent=other, name="Alma's own")

    def test_language_first_then_any(self, agent):
        make(agent, name="Tack", language="sv")
        make(agent, name="Any")
        make(agent, name="Kiitos", language="fi")
        assert [m.name for m in macros.macro_list_for_agent(agent=agent, language="sv")] == ["Tack", "Any"]

    def test_a_deactivated_agent_sees_none(self, agent):
        make(agent)
        agent.is_active = False
        agent.save()
        assert visible(agent) == []


class TestWhoChangesWhich:
    def test_an_agent_cannot_share(self, agent, team):
        with pytest.raises(PermissionDenied, match="team's leads and admins"):
            make(agent, scope="team", team=team)
        with pytest.raises(PermissionDenied, match="Only admins"):
            make(agent, scope="everyone")
        assert Macro.objects.count() == 0

    def test_a_lead_shares_with_their_own_team_only(self, lead, team, other_team):
        assert make(lead, scope="team", team=team).team == team
        with pytest.raises(PermissionDenied):
            make(lead, name="Other", scope="team", team=other_team)
        assert Macro.objects.count() == 1

    def test_a_qa_reviewer_writes_no_replies_and_no_macros(self, db):
        reviewer = AgentFactory(role=Role.QA_REVIEWER)
        with pytest.raises(PermissionDenied):
            make(reviewer)
        assert Macro.objects.count() == 0

    def test_members_use_the_teams_macro_but_do_not_change_it(self, lead, colleague, team):
        shared = make(lead, scope="team", team=team)
        same = MacroInput(name="Changed", body="x")
        with pytest.raises(PermissionDenied, match="Only the team's leads and admins can change"):
            macros.macro_update(agent=colleague, macro=shared, data=same)
        with pytest.raises(PermissionDenied):
            macros.macro_delete(agent=colleague, macro=shared)
        shared.refresh_from_db()
        assert (shared.name, shared.team_id) == ("Thanks", team.pk)

    def test_an_agent_cannot_take_a_teams_macro_for_their_own(self, lead, colleague, team):
        shared = make(lead, scope="team", team=team)
        with pytest.raises(PermissionDenied):
            macros.macro_update(agent=colleague, macro=shared, data=MacroInput(name="Mine", body="x"))
        assert Macro.objects.get().owner_id is None

    def test_the_owner_changes_their_own(self, agent):
        own = make(agent)
        macros.macro_update(agent=agent, macro=own, data=MacroInput(name="Renamed", body="Hej {customer_name}"))
        own.refresh_from_db()
        assert (own.name, own.body, own.owner_id) == ("Renamed", "Hej {customer_name}", agent.pk)

    @pytest.mark.parametrize(
        ("fields", "field", "message"),
        [
            ({"name": "  "}, "name", "Give the macro a name."),
            ({"body": " "}, "body", "Write the macro's text."),
            ({"body": "x" * 20_001}, "body", "longer than 20000"),
            ({"body": "Hej {kund}"}, "body", "{kund} is not a placeholder"),
            ({"language": "xx"}, "language", "'xx' is not a language"),
            ({"set_status": "closed"}, "set_status", "A reply can set the status to"),
            ({"follow_up_hours": 0}, "follow_up_hours", "between 1 and 720 hours"),
            ({"add_tags": ",".join(f"t{i}" for i in range(11))}, "add_tags", "at most 10 tags"),
            ({"scope": "team"}, "team", "Choose the team"),
            ({"scope": "world"}, "scope", "'world' is not a scope"),
        ],
    )
    def test_bad_input_names_the_field(self, agent, fields, field, message):
        with pytest.raises(ValidationFailed) as failed:
            make(agent, **fields)
        assert (failed.value.field, message in failed.value.message) == (field, True)
        assert Macro.objects.count() == 0

    def test_tags_are_stored_as_cases_store_them(self, agent):
        assert make(agent, add_tags=" Faktura ,återbetalning,faktura").add_tags == "faktura, återbetalning"


class TestText:
    def test_placeholders_filled_for_the_case(self, agent, case):
        macro = make(agent, body="Hej {customer_first_name} ({customer_name}), {reference}: {subject}. /{agent_name}")
        text = macros.macro_text(macro=macro, case=case, agent=agent)
        assert text == f"Hej Karin (Karin Kund), {case.reference}: Fel belopp på fakturan. /Alma Agent"

    def test_a_time_only_when_a_promise_holds_it(self, agent, case):
        macro = make(agent, body="Vi återkommer senast {next_promise}.")
        # the case's first-response promise is kept by this very reply: it is no time to tell
        with pytest.raises(ValidationFailed, match="has no pending promise"):
            macros.macro_text(macro=macro, case=case, agent=agent)
        due = datetime(2030, 5, 16, 12, 0, tzinfo=UTC)  # a Thursday, 14:00 in Stockholm
        services.case_promise_make(case=case, author=agent, due_at=due)
        text = macros.macro_text(macro=macro, case=case, agent=agent)
        assert text == "Vi återkommer senast torsdag 16 maj 14:00."  # the customer's language and zone

    def test_the_preview_uses_sample_values(self, agent):
        text = macros.macro_preview(body="Hej {customer_first_name}, {reference}", language="sv", agent=agent)
        assert text.startswith("Hej Karin, LF-")
        assert macros.macro_preview(body="Hej {x}", language="", agent=agent).startswith("{x} is not a placeholder")


def case_state(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.team_id,
        sorted(t.name for t in case.tags.all()),
        Message.objects.filter(case=case).count(),
        OutboxMessage.objects.count(),
        Promise.objects.filter(case=case, kind=PromiseKind.FOLLOW_UP).count(),
    )


class TestReply:
    def test_one_step_does_all_the_macro_says(self, agent, case, other_team):
        services.case_update(case=case, actor=agent, tags=["vip"])
        macro = make(agent, set_status="waiting_on_customer", add_tags="faktura", set_team=other_team)
        with clock.at(datetime(2030, 5, 14, 8, 0, tzinfo=UTC)):
            macros.macro_reply(
                case=case,
                agent=agent,
                macro=macro,
                body=macros.macro_text(macro=macro, case=case, agent=agent),
                status=macro.set_status,
            )
        message = Message.objects.filter(case=case).latest("id")
        assert message.body_text == "Hej Karin, tack! /Alma"
        assert case_state(case)[:3] == (Status.WAITING_ON_CUSTOMER, other_team.pk, ["faktura", "vip"])
        macro.refresh_from_db()
        assert (macro.usage_count, macro.last_used_at) == (1, datetime(2030, 5, 14, 8, 0, tzinfo=UTC))

    def test_what_the_agent_unticked_is_not_done(self, agent, case, other_team):
        macro = make(agent, add_tags="faktura", set_team=other_team)
        macros.macro_reply(
            case=case, agent=agent, macro=macro, body="Hej", status=None, add_tags=False, move_team=False
        )
        assert case_state(case)[1:3] == (case.team_id, [])
        assert Macro.objects.get().usage_count == 1

    def test_all_or_nothing(self, agent, case):
        services.case_update(case=case, actor=agent, tags=[f"t{i}" for i in range(services.MAX_TAGS)])
        before = case_state(case)
        macro = make(agent, add_tags="one more")
        with pytest.raises(ValidationFailed, match="at most 20 tags"):
            macros.macro_reply(case=case, agent=agent, macro=macro, body="Hej", status=None)
        assert case_state(case) == before  # the reply was not sent either
        assert Macro.objects.get().usage_count == 0

    def test_the_follow_up_falls_in_the_teams_hours_from_now(self, agent, case, team):
        macro = make(agent, follow_up_hours=4)
        now = datetime(2030, 5, 17, 14, 0, tzinfo=UTC)  # Friday 16:00 in Stockholm
        # a team without hours: four hours from now
        assert macros.macro_follow_up_at(macro=macro, case=case, now=now) == now + timedelta(hours=4)
        assert macros.macro_follow_up_at(macro=make(agent, name="No"), case=case, now=now) is None
        # open 08-17 on weekdays: Friday 20:00 is told as Monday's opening, 08:00 in Stockholm
        team_calendar_set(team=team, calendar=calendar_create(name="Kontor", time_zone="Europe/Stockholm"))
        assert macros.macro_follow_up_at(macro=macro, case=case, now=now) == datetime(2030, 5, 20, 6, 0, tzinfo=UTC)


@pytest.fixture
def client_agent(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


class TestReplyBox:
    def test_the_case_page_offers_the_agents_macros_only(self, client_agent, agent, colleague, case):
        make(agent, name="Alma's thanks")
        make(colleague, name="Cid's secret")
        html = client_agent.get(reverse("cases:detail", args=[case.reference])).content.decode()
        assert '<option value="Alma&#x27;s thanks">' in html
        assert "Cid&#x27;s secret" not in html

    def test_picking_a_macro_fills_the_box_after_what_was_typed(self, client_agent, agent, case, other_team):
        macro = make(agent, set_status="solved", add_tags="faktura", set_team=other_team, follow_up_hours=2)
        url = reverse("cases:macro", args=[case.reference])
        response = client_agent.get(url, {"macro_name": "Thanks", "body": "Förlåt dröjsmålet."}, **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Förlåt dröjsmålet.\n\nHej Karin, tack! /Alma</textarea>" in html
        assert f'name="macro" value="{macro.pk}"' in html
        assert '<option value="solved" selected>' in html
        assert 'name="macro_tags" value="1" checked' in html and "faktura" in html
        assert 'name="macro_team" value="1" checked' in html and "Billing" in html
        assert 'name="follow_up_at" value="20' in html  # a time is chosen

    def test_an_unknown_or_foreign_name_keeps_what_was_typed(self, client_agent, colleague, case):
        make(colleague, name="Cid's secret", body="Secret text")
        url = reverse("cases:macro", args=[case.reference])
        response = client_agent.get(url, {"macro_name": "Cid's secret", "body": "Mitt svar"}, **HX)
        html = response.content.decode()
        assert response.status_code == 422
        assert "There is no macro called Cid&#x27;s secret for this case." in html
        assert "Mitt svar</textarea>" in html and "Secret text" not in html

    def test_a_time_nobody_promised_is_refused(self, client_agent, agent, case):
        make(agent, body="Svar senast {next_promise}")
        url = reverse("cases:macro", args=[case.reference])
        response = client_agent.get(url, {"macro_name": "Thanks"}, **HX)
        assert response.status_code == 422
        assert "has no pending promise" in response.content.decode()

    def test_sending_with_the_macro(self, client_agent, agent, case, other_team):
        macro = make(agent, add_tags="faktura", set_team=other_team)
        url = reverse("cases:reply", args=[case.reference])
        response = client_agent.post(url, {"body": "Hej!", "status": "", "macro": macro.pk, "macro_tags": "1"}, **HX)
        assert response.status_code == 200
        assert case_state(case)[1:4] == (case.team_id, ["faktura"], 2)  # the team was unticked
        assert Macro.objects.get().usage_count == 1

    def test_sending_with_someone_elses_macro_sends_nothing(self, client_agent, colleague, case, other_team):
        macro = make(colleague, set_team=other_team)
        before = case_state(case)
        url = reverse("cases:reply", args=[case.reference])
        response = client_agent.post(url, {"body": "Hej!", "macro": macro.pk, "macro_team": "1"}, **HX)
        assert response.status_code == 422
        assert "Hej!</textarea>" in response.content.decode()  # what was typed is kept
        assert case_state(case) == before
        assert Macro.objects.get().usage_count == 0


class TestMacrosPage:
    def test_empty(self, client_agent):
        html = client_agent.get(reverse("cases:macros")).content.decode()
        assert "There are no macros yet." in html

    def test_create_preview_and_delete(self, client_agent, agent):
        response = client_agent.post(
            reverse("cases:macro_new"),
            {"name": "Tack", "body": "Hej {customer_first_name}", "scope": "personal", "add_tags": "a"},
        )
        assert response.status_code == 302
        macro = Macro.objects.get()
        assert (macro.owner_id, macro.add_tags) == (agent.pk, "a")
        html = client_agent.get(reverse("cases:macro_edit", args=[macro.pk])).content.decode()
        assert "Hej Karin</pre>" in html
        assert client_agent.post(reverse("cases:macro_delete", args=[macro.pk])).status_code == 302
        assert Macro.objects.count() == 0

    def test_an_error_names_the_field_and_keeps_the_input(self, client_agent):
        response = client_agent.post(
            reverse("cases:macro_new"), {"name": "Tack", "body": "Hej {kund}", "scope": "personal"}
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "{kund} is not a placeholder" in html and "Hej {kund}</textarea>" in html
        assert Macro.objects.count() == 0

    def test_an_agent_cannot_choose_to_share(self, client_agent, team):
        response = client_agent.post(
            reverse("cases:macro_new"), {"name": "Tack", "body": "Hej", "scope": "team", "team": team.pk}
        )
        assert response.status_code == 422  # "team" is not among the agent's choices
        assert Macro.objects.count() == 0

    def test_a_teams_macro_is_used_but_not_edited_by_members(self, client_agent, lead, team):
        shared = make(lead, scope="team", team=team)
        html = client_agent.get(reverse("cases:macros")).content.decode()
        assert "Thanks" in html and reverse("cases:macro_edit", args=[shared.pk]) not in html
        assert client_agent.get(reverse("cases:macro_edit", args=[shared.pk])).status_code == 403
        assert client_agent.post(reverse("cases:macro_delete", args=[shared.pk])).status_code == 403
        assert Macro.objects.count() == 1

    def test_another_agents_macro_is_not_found(self, client_agent, colleague):
        own = make(colleague)
        assert client_agent.get(reverse("cases:macro_edit", args=[own.pk])).status_code == 404
        assert client_agent.post(reverse("cases:macro_delete", args=[own.pk])).status_code == 404
        assert Macro.objects.count() == 1

    def test_the_list_costs_the_same_for_5_and_50(self, client_agent, agent):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client_agent.get(reverse("cases:macros")).status_code == 200
            return len(captured)

        Macro.objects.bulk_create([Macro(name=f"M{i}", body="x", owner=agent) for i in range(5)])
        five = queries()
        Macro.objects.bulk_create([Macro(name=f"N{i}", body="x", owner=agent) for i in range(45)])
        assert queries() == five


class TestApi:
    def test_crud(self, agent):
        api = Api(agent)
        created = api.post("/macros", {"name": "Tack", "body": "Hej {customer_name}", "add_tags": ["Faktura"]})
        assert created.status_code == 201
        body = created.json()
        assert (body["scope"], body["owner"], body["add_tags"], body["usage_count"]) == (
            "personal",
            agent.pk,
            ["faktura"],
            0,
        )
        macro_id = body["id"]
        assert [m["name"] for m in api.get("/macros").json()] == ["Tack"]
        changed = api.put(f"/macros/{macro_id}", {"name": "Tack 2", "body": "Hej", "set_status": "solved"})
        assert (changed.status_code, changed.json()["set_status"]) == (200, "solved")
        assert api.delete(f"/macros/{macro_id}").status_code == 204
        assert Macro.objects.count() == 0

    def test_sharing_is_refused_to_an_agent(self, agent, team):
        response = Api(agent).post("/macros", {"name": "Tack", "body": "Hej", "scope": "team", "team": team.pk})
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
        assert Macro.objects.count() == 0

    def test_someone_elses_is_not_found(self, agent, colleague):
        own = make(colleague)
        api = Api(agent)
        assert api.get(f"/macros/{own.pk}").status_code == 404
        assert api.put(f"/macros/{own.pk}", {"name": "Mine", "body": "x"}).status_code == 404
        assert api.delete(f"/macros/{own.pk}").status_code == 404
        assert api.get("/macros").json() == []
        assert Macro.objects.get().name == "Thanks"

    def test_a_bad_placeholder_is_422(self, agent):
        response = Api(agent).post("/macros", {"name": "Tack", "body": "{customer_name:>999999999}"})
        assert (response.status_code, response.json()["field"]) == (422, "body")
        assert Macro.objects.count() == 0

    def test_fill_and_apply(self, agent, case, other_team):
        macro = make(agent, set_status="waiting_on_customer", add_tags="faktura", follow_up_hours=3)
        api = Api(agent)
        filled = api.get(f"/cases/{case.reference}/macros/{macro.pk}").json()
        assert filled["text"] == "Hej Karin, tack! /Alma" and filled["follow_up_at"] is not None
        response = api.post(f"/cases/{case.reference}/macros/{macro.pk}/apply", {})
        assert response.status_code == 201
        assert response.json()["body_text"].startswith("Hej Karin, tack! /Alma\n\n")  # and the follow-up sentence
        state = case_state(case)
        assert (state[0], state[2], state[5]) == (Status.WAITING_ON_CUSTOMER, ["faktura"], 1)
        assert Promise.objects.get(case=case, kind=PromiseKind.FOLLOW_UP).state == PromiseState.PENDING
        assert Macro.objects.get().usage_count == 1

    def test_apply_on_a_case_one_cannot_see_changes_nothing(self, outsider, case):
        macro = make(outsider)
        before = case_state(case)
        response = Api(outsider).post(f"/cases/{case.reference}/macros/{macro.pk}/apply", {"body": "Hej"})
        assert response.status_code == 404
        assert case_state(case) == before and Macro.objects.get().usage_count == 0

    def test_a_reviewer_cannot_apply(self, case, team):
        reviewer = AgentFactory(role=Role.QA_REVIEWER, teams=[team])
        shared = make(AgentFactory(role=Role.ADMIN), scope="everyone")
        before = case_state(case)
        response = Api(reviewer).post(f"/cases/{case.reference}/macros/{shared.pk}/apply", {})
        assert response.status_code == 403
        assert case_state(case) == before


def test_without_javascript_the_pick_answers_the_whole_case_page(client_agent, agent, case):
    make(agent)
    response = client_agent.get(reverse("cases:macro", args=[case.reference]), {"macro_name": "Thanks"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and "Hej Karin, tack! /Alma</textarea>" in html
