"""Agent pages: full page and HTMX partial from the same URL, access, errors that keep input, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import Case, CaseEvent, Message, Priority, Status
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client_agent(client: Client, agent) -> Client:
    client.force_login(agent)
    return client


def snapshot(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.priority,
        case.team_id,
        case.assignee_id,
        case.case_type_id,
        case.updated_at,
        CaseEvent.objects.filter(case=case).count(),
        Message.objects.filter(case=case).count(),
        OutboxMessage.objects.count(),
    )


class TestInbox:
    def test_login_required(self, client):
        response = client.get(reverse("cases:inbox"))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")

    def test_full_page_lists_the_agents_cases(self, client_agent, case):
        response = client_agent.get(reverse("cases:inbox"))
        assert response.status_code == 200
        html = response.content.decode()
        assert "<html" in html
        assert case.reference in html and "Karin Kund" in html and "Fel belopp på fakturan" in html

    def test_htmx_filter_request_answers_only_the_list(self, client_agent, case):
        response = client_agent.get(reverse("cases:inbox"), {"q": "faktura"}, HTTP_HX_TARGET="case-list", **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert html.lstrip().startswith('<div id="case-list">')
        assert case.reference in html

    def test_show_more_answers_rows_after_the_cursor(self, client_agent, team):
        made = [make_case(team=team, subject=f"Ärende {i}") for i in range(27)]
        first = client_agent.get(reverse("cases:inbox")).content.decode()
        assert made[-1].reference in first and made[0].reference not in first  # newest first, 25 a page
        cursor = first.split("cursor=")[1].split('"')[0]
        more = client_agent.get(reverse("cases:inbox"), {"cursor": cursor}, **HX).content.decode()
        assert "<html" not in more
        assert made[0].reference in more and made[1].reference in more and made[-1].reference not in more

    def test_bad_cursor_is_a_clear_message_not_a_server_error(self, client_agent):
        response = client_agent.get(reverse("cases:inbox"), {"cursor": "%%%garbage"})
        assert response.status_code == 422
        assert "The cursor is not valid" in response.content.decode()

    def test_empty_state_says_what_to_do(self, client_agent):
        html = client_agent.get(reverse("cases:inbox")).content.decode()
        assert "No cases match." in html

    def test_query_count_is_the_same_for_5_and_50_rows(self, client_agent, agent, team):
        case_type = CaseTypeFactory(name="Faktura")

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client_agent.get(reverse("cases:inbox"), {"view": "all"}).status_code == 200
            return len(ctx.captured_queries)

        for i in range(5):
            make_case(team=team, assignee=agent if i % 2 else None, tags=["vip"], case_type=case_type)
        few = count()
        for i in range(20):
            make_case(team=team, assignee=agent if i % 2 else None, tags=["x", "y"], case_type=case_type)
        assert count() == few  # 25 rows: one full page


class TestCasePage:
    def test_shows_timeline_customer_and_other_cases(self, client_agent, case, agent, customer, team):
        other = make_case(customer=customer, team=team, subject="Tidigare ärende")
        services.case_note_add(case=case, author=agent, body="Intern anteckning")
        services.case_reply(case=case, author=agent, body="Vi tittar på det.")
        html = client_agent.get(reverse("cases:detail", args=[case.reference])).content.decode()
        for text in (
            "Hej! Fakturan är fel.",
            "Intern anteckning",
            "Vi tittar på det.",
            "karin@example.se",
            "+46 70 123 45 67",
            other.reference,
            "Tidigare ärende",
        ):
            assert text in html
        assert html.index("Hej! Fakturan är fel.") < html.index("Intern anteckning") < html.index("Vi tittar på det.")

    def test_unknown_case_is_404(self, client_agent):
        assert client_agent.get(reverse("cases:detail", args=["LF-2026-999999"])).status_code == 404

    def test_other_teams_case_is_404(self, client, outsider, case):
        client.force_login(outsider)
        assert client.get(reverse("cases:detail", args=[case.reference])).status_code == 404

    def test_query_count_is_the_same_for_few_and_many_events(self, client_agent, case, agent):
        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert client_agent.get(reverse("cases:detail", args=[case.reference])).status_code == 200
            return len(ctx.captured_queries)

        services.case_reply(case=case, author=agent, body="Ett")
        services.case_note_add(case=case, author=agent, body="Not")
        count()  # the first request fills the status page's cache (the incidents panel reads it), as in use
        few = count()
        for i in range(15):
            services.case_reply(case=case, author=agent, body=f"Svar {i}")
            services.case_note_add(case=case, author=agent, body=f"Not {i}")
            services.case_add_inbound(case=case, body=f"Fråga {i}", channel="email")
            services.case_assign(case=case, actor=agent, assignee=agent if i % 2 else None)
        assert count() == few


class TestActions:
    def test_htmx_reply_answers_the_refreshed_case(self, client_agent, case):
        response = client_agent.post(reverse("cases:reply", args=[case.reference]), {"body": "Hej Karin!"}, **HX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html and html.lstrip().startswith('<div id="case"')
        assert "Hej Karin!" in html and "Reply sent." in html
        row = OutboxMessage.objects.get()
        assert (row.to, row.payload["text"]) == ("karin@example.se", "Hej Karin!")

    def test_plain_reply_redirects_to_the_case(self, client_agent, case):
        response = client_agent.post(reverse("cases:reply", args=[case.reference]), {"body": "Hej!"})
        assert response.status_code == 302
        assert response["Location"] == reverse("cases:detail", args=[case.reference])
        assert "Reply sent." in client_agent.get(response["Location"]).content.decode()

    def test_reply_with_status_and_attachment(self, client_agent, case, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("kvitto.txt", b"belopp 400", content_type="text/plain")
        client_agent.post(
            reverse("cases:reply", args=[case.reference]),
            {"body": "Se bifogat.", "status": "waiting_on_customer", "attachments": upload},
            **HX,
        )
        case.refresh_from_db()
        assert case.status == Status.WAITING_ON_CUSTOMER
        message = case.messages.get(direction="out")
        assert [a.filename for a in message.attachments.all()] == ["kvitto.txt"]

    def test_failed_reply_keeps_what_was_typed_and_changes_nothing(self, client_agent, team, settings):
        from lofte.customers.services import customer_create

        # without an SMS provider (LOFTE_SMS_PROVIDER=none; the embedded default is the console provider)
        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        case = make_case(
            customer=customer_create(name="Bara telefon", phone="+46701234567"), channel="phone", team=team
        )
        before = snapshot(case)
        response = client_agent.post(reverse("cases:reply", args=[case.reference]), {"body": "Mitt långa svar"}, **HX)
        assert response.status_code == 422
        html = response.content.decode()
        assert "The customer has no address this reply can be sent to" in html
        assert (
            '<textarea id="reply-body" name="body" rows="5" data-reply aria-invalid="true">Mitt långa svar</textarea>'
            in html
        )
        assert snapshot(case) == before

    def test_reply_to_a_closed_case_is_refused(self, client_agent, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.CLOSED)
        before = snapshot(case)
        response = client_agent.post(reverse("cases:reply", args=[case.reference]), {"body": "Hallå"}, **HX)
        assert response.status_code == 422
        assert "The case is closed; it cannot be replied to." in response.content.decode()
        assert snapshot(case) == before

    def test_failed_note_keeps_the_text_in_the_form(self, client_agent, case):
        before = snapshot(case)
        response = client_agent.post(reverse("cases:note", args=[case.reference]), {"body": "   "}, **HX)
        assert response.status_code == 422
        assert "This field is required." in response.content.decode()
        assert snapshot(case) == before

    def test_note(self, client_agent, case):
        client_agent.post(reverse("cases:note", args=[case.reference]), {"body": "Ringde kunden"}, **HX)
        assert case.notes.get().body == "Ringde kunden"

    def test_status_change_and_illegal_one(self, client_agent, case, agent):
        client_agent.post(reverse("cases:status", args=[case.reference]), {"status": "solved"}, **HX)
        case.refresh_from_db()
        assert case.status == Status.SOLVED
        services.case_transition(case=case, actor=agent, status=Status.CLOSED)
        before = snapshot(case)
        response = client_agent.post(reverse("cases:status", args=[case.reference]), {"status": "open"}, **HX)
        assert response.status_code == 422
        assert "A case cannot go from Closed to Open." in response.content.decode()
        assert snapshot(case) == before

    def test_assign_to_me_and_unassign(self, client_agent, case, agent):
        client_agent.post(reverse("cases:assign", args=[case.reference]), {"assignee": "me"}, **HX)
        case.refresh_from_db()
        assert case.assignee == agent
        client_agent.post(reverse("cases:assign", args=[case.reference]), {"assignee": ""}, **HX)
        case.refresh_from_db()
        assert case.assignee is None

    def test_assign_to_unknown_agent_is_refused(self, client_agent, case):
        before = snapshot(case)
        response = client_agent.post(reverse("cases:assign", args=[case.reference]), {"assignee": "999999"}, **HX)
        assert response.status_code == 422
        assert "There is no active agent 999999." in response.content.decode()
        assert snapshot(case) == before

    def test_properties(self, client_agent, case, team):
        case_type = CaseTypeFactory(name="Faktura")
        client_agent.post(
            reverse("cases:properties", args=[case.reference]),
            {"priority": Priority.URGENT, "team": team.pk, "case_type": case_type.pk, "tags": "vip, Faktura"},
            **HX,
        )
        case.refresh_from_db()
        assert (case.priority, case.case_type) == (Priority.URGENT, case_type)
        assert sorted(t.name for t in case.tags.all()) == ["faktura", "vip"]

    def test_moving_a_case_out_of_my_view_sends_me_to_the_inbox(self, client_agent, case, other_team):
        response = client_agent.post(
            reverse("cases:properties", args=[case.reference]),
            {"priority": Priority.NORMAL, "team": other_team.pk},
            **HX,
        )
        assert response.status_code == 204
        assert response["HX-Redirect"] == reverse("cases:inbox")
        case.refresh_from_db()
        assert case.team == other_team

    @pytest.mark.parametrize(
        ("name", "data"),
        [
            ("reply", {"body": "x"}),
            ("note", {"body": "x"}),
            ("status", {"status": "solved"}),
            ("assign", {"assignee": "me"}),
            ("properties", {"priority": 4}),
        ],
    )
    def test_outsider_gets_404_and_nothing_changes(self, client, outsider, case, name, data):
        client.force_login(outsider)
        before = snapshot(case)
        assert client.post(reverse(f"cases:{name}", args=[case.reference]), data, **HX).status_code == 404
        assert snapshot(case) == before

    def test_post_without_csrf_token_is_refused(self, agent, case):
        client = Client(enforce_csrf_checks=True)
        client.force_login(agent)
        before = snapshot(case)
        assert client.post(reverse("cases:reply", args=[case.reference]), {"body": "x"}).status_code == 403
        assert snapshot(case) == before

    def test_get_is_not_allowed_on_actions(self, client_agent, case):
        assert client_agent.get(reverse("cases:reply", args=[case.reference])).status_code == 405


def test_every_page_renders_in_every_language(client, case, agent):
    for language in ("en", "sv", "da", "nb", "fi"):
        agent.language = language
        agent.save(update_fields=["language"])
        client.force_login(agent)
        for url in (
            reverse("cases:inbox"),
            reverse("cases:detail", args=[case.reference]),
            reverse("customers:list"),
            reverse("customers:detail", args=[case.customer_id]),
            reverse("accounts:preferences"),
        ):
            response = client.get(url)
            assert response.status_code == 200, (language, url)
            assert f'lang="{language}"' in response.content.decode()


def test_admin_pages_for_every_model(client, case, agent):
    admin = AgentFactory(email="root@example.com", role="admin")  # the role alone opens the admin site
    services.case_reply(case=case, author=agent, body="Svar")
    services.case_note_add(case=case, author=agent, body="Not")
    client.force_login(admin)
    from django.contrib import admin as django_admin

    for model in django_admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        obj = model._default_manager.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


class TestNewCase:
    def test_agent_opens_a_case_for_a_new_caller(self, client_agent, agent, team):
        response = client_agent.post(
            reverse("cases:new"),
            {
                "name": "Per Persson",
                "phone": "070-765 43 21",
                "channel": "phone",
                "subject": "Ringde om fakturan",
                "body": "Kunden undrar över förseningsavgiften.",
                "team": team.pk,
                "assign_to_me": "on",
            },
        )
        case = Case.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("cases:detail", args=[case.reference])
        assert (case.channel, case.team, case.assignee, case.customer.name) == ("phone", team, agent, "Per Persson")
        assert case.customer.identities.get().value == "+46707654321"
        assert case.events.get().actor == agent

    def test_existing_customer_is_reused(self, client_agent, customer):
        client_agent.post(
            reverse("cases:new"),
            {
                "email": "KARIN@example.se",
                "channel": "email",
                "subject": "Brev",
                "body": "Brev från kunden.",
            },
        )
        assert Case.objects.get().customer == customer

    def test_missing_address_and_bad_phone_keep_the_form(self, client_agent):
        response = client_agent.post(
            reverse("cases:new"), {"name": "X", "channel": "phone", "subject": "S", "body": "B"}
        )
        assert response.status_code == 422
        assert "Give the customer&#x27;s email address or phone number." in response.content.decode()
        response = client_agent.post(
            reverse("cases:new"),
            {
                "phone": "12",
                "channel": "phone",
                "subject": "Min rubrik",
                "body": "Min text",
            },
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "&#x27;12&#x27; is not a phone number." in html or "is not a valid phone number" in html
        assert 'value="Min rubrik"' in html and "Min text</textarea>" in html
        assert Case.objects.count() == 0


def test_follow_up_links_show_on_both_timelines(client_agent, case, agent):
    services.case_transition(case=case, actor=agent, status=Status.CLOSED)
    follow_up = services.case_add_inbound(case=case, body="Igen!", channel="email").case
    old = client_agent.get(reverse("cases:detail", args=[case.reference])).content.decode()
    new = client_agent.get(reverse("cases:detail", args=[follow_up.reference])).content.decode()
    link_new = f'<a href="{reverse("cases:detail", args=[follow_up.reference])}">{follow_up.reference}</a>'
    link_old = f'<a href="{reverse("cases:detail", args=[case.reference])}">{case.reference}</a>'
    assert f"The customer wrote again; their message opened the follow-up case {link_new}." in old
    assert f"Follow-up: the customer wrote again after {link_old} was closed." in new


def test_a_qa_reviewer_reads_the_case_page_without_any_form_to_change_it(client, case, team):
    reviewer = AgentFactory(email="qa@example.com", role="qa_reviewer", teams=[team])
    client.force_login(reviewer)
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert case.subject in html
    assert "Your role can read this case but not change it." in html
    for action in ("reply", "note", "status", "assign", "properties", "promise"):
        assert f'action="/cases/{case.reference}/{action}"' not in html, action
    assert 'action="/callbacks/calls"' not in html
    assert "New case" not in client.get("/").content.decode()


def test_a_message_in_another_language_than_the_cases_says_so(client, case, agent):
    from lofte.cases.services import case_add_inbound

    case_add_inbound(case=case, body="Hei, en ole vieläkään saanut laskua.", channel="email", message_language="fi")
    case_add_inbound(case=case, body="Здравствуйте, счет неверный.", channel="email", message_language="other")
    case_add_inbound(case=case, body="Hej, fakturan är fortfarande fel.", channel="email", message_language="sv")
    agent.language = "sv"
    agent.save(update_fields=["language"])
    client.force_login(agent)
    text = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
    assert case.language == "sv"
    assert text.count('class="badge badge-language"') == 2  # the Swedish message, in the case's language, has none
    assert "Skrivet på finska" in text and "Skrivet på ett annat språk" in text
    assert "Automatiska meddelanden i det här ärendet är på svenska." in text
