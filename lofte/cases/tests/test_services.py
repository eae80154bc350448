"""Case services: exact outcomes, and nothing written when a rule is broken."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

import pytest
from django.core.files.storage import default_storage

from lofte.accounts.tests.factories import AgentFactory
from lofte.cases import services
from lofte.cases.models import Attachment, Case, CaseEvent, EventKind, Message, Note, Priority, Status
from lofte.cases.services import AttachmentInput
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.core.errors import InvalidTransition, ValidationFailed
from lofte.customers.services import customer_create
from lofte.outbox.models import OutboxMessage, OutboxState

pytestmark = pytest.mark.django_db


def kinds(case: Case) -> list[str]:
    return list(case.events.order_by("created_at", "id").values_list("kind", flat=True))


class TestCreate:
    def test_creates_case_with_reference_message_and_created_event(self, customer, team):
        with clock.at(datetime(2026, 3, 4, 10, 0, tzinfo=UTC)):
            case = services.case_create(
                customer=customer,
                subject="  Fel   belopp ",
                body="Hej!\r\nFakturan.",
                channel="email",
                team=team,
                sender="karin@example.se",
                external_id="<a@b>",
                tags=["Faktura", "faktura", " VIP "],
            )
        assert case.reference == "LF-2026-000001"
        assert case.subject == "Fel belopp"
        assert case.status == Status.NEW
        assert case.priority == Priority.NORMAL
        assert case.language == "sv"  # from the customer
        assert case.created_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
        message = case.messages.get()
        assert (message.direction, message.channel, message.body_text, message.sender, message.external_id) == (
            "in",
            "email",
            "Hej!\nFakturan.",
            "karin@example.se",
            "<a@b>",
        )
        event = case.events.get()
        assert (event.kind, event.message_id) == (EventKind.CREATED, message.pk)
        assert sorted(t.name for t in case.tags.all()) == ["faktura", "vip"]

    def test_references_count_up_per_year_and_restart_in_a_new_year(self, customer):
        refs = []
        for moment in (
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
            datetime(2027, 1, 1, 0, 1, tzinfo=UTC),
        ):
            with clock.at(moment):
                refs.append(make_case(customer=customer).reference)
        assert refs == ["LF-2026-000001", "LF-2026-000002", "LF-2027-000001"]

    def test_case_type_gives_default_team_and_priority(self, customer, team):
        case_type = CaseTypeFactory(name="Reklamation", default_team=team, default_priority=Priority.HIGH)
        case = make_case(customer=customer, case_type=case_type)
        assert (case.team, case.priority, case.case_type) == (team, Priority.HIGH, case_type)

    def test_empty_subject_takes_the_first_line_of_the_body(self, customer):
        case = make_case(customer=customer, subject="", body="\n  Min router blinkar rött\nSedan i går")
        assert case.subject == "Min router blinkar rött"

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [({"body": "   "}, "body"), ({"channel": "pigeon"}, "channel"), ({"priority": 9}, "priority")],
    )
    def test_bad_input_names_the_field_and_writes_nothing(self, customer, kwargs, field):
        with pytest.raises(ValidationFailed) as err:
            make_case(customer=customer, **kwargs)
        assert err.value.field == field
        assert Case.objects.count() == 0
        assert Message.objects.count() == 0

    def test_attachments_are_stored_by_content_hash(self, customer, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        case = make_case(
            customer=customer,
            attachments=[AttachmentInput(filename="kvitto.pdf", content_type="application/pdf", content=b"%PDF-1")],
        )
        attachment = Attachment.objects.get(message__case=case)
        assert attachment.sha256 == hashlib.sha256(b"%PDF-1").hexdigest()
        assert attachment.file.name == f"attachments/{attachment.sha256[:2]}/{attachment.sha256}"
        assert default_storage.open(attachment.file.name).read() == b"%PDF-1"
        assert (attachment.filename, attachment.size) == ("kvitto.pdf", 6)

    def test_attachment_over_the_limit_is_refused_and_nothing_is_kept(self, customer, settings):
        settings.LOFTE_MAX_ATTACHMENT_BYTES = 10
        with pytest.raises(ValidationFailed) as err:
            make_case(
                customer=customer, attachments=[AttachmentInput("big.bin", "application/octet-stream", b"x" * 11)]
            )
        assert err.value.field == "attachments"
        assert "big.bin" in err.value.message
        assert Case.objects.count() == 0


class TestReply:
    def test_reply_goes_through_the_outbox_with_threading_headers(
        self, case, agent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            message = services.case_reply(case=case, author=agent, body="Hej Karin, vi rättar fakturan.")
        assert len(callbacks) == 1  # the worker is woken after commit, not before
        row = OutboxMessage.objects.get()
        assert message.outbox_message == row
        assert (row.channel, row.to, row.state) == ("email", "karin@example.se", OutboxState.PENDING)
        assert re.fullmatch(r"<[^@]+@lofte\.localhost>", row.external_id)
        assert message.external_id == row.external_id
        assert row.payload["subject"] == f"Re: Fel belopp på fakturan [{case.reference}]"
        assert row.payload["headers"] == {
            "In-Reply-To": "<first@mail.example.se>",
            "References": "<first@mail.example.se>",
        }
        assert row.payload["text"] == "Hej Karin, vi rättar fakturan."
        case.refresh_from_db()
        assert case.status == Status.OPEN
        assert case.first_response_at == message.created_at
        assert kinds(case) == ["created", "message_out", "status_changed"]

    def test_reply_can_set_the_next_status(self, case, agent):
        services.case_reply(
            case=case, author=agent, body="Kan du skicka fakturanumret?", status=Status.WAITING_ON_CUSTOMER
        )
        case.refresh_from_db()
        assert case.status == Status.WAITING_ON_CUSTOMER
        transitions = [e.data for e in case.events.filter(kind=EventKind.STATUS_CHANGED).order_by("id")]
        assert transitions == [{"from": "new", "to": "open"}, {"from": "open", "to": "waiting_on_customer"}]

    def test_second_reply_keeps_first_response_time_and_references_grow(self, case, agent):
        first = services.case_reply(case=case, author=agent, body="Ett")
        services.case_reply(case=case, author=agent, body="Två")
        case.refresh_from_db()
        assert case.first_response_at == first.created_at
        second_row = OutboxMessage.objects.order_by("id").last()
        assert second_row.payload["headers"]["References"] == f"<first@mail.example.se> {first.external_id}"

    def test_reply_to_a_closed_case_is_refused_and_nothing_is_queued(self, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.CLOSED)
        with pytest.raises(ValidationFailed):
            services.case_reply(case=case, author=agent, body="Hallå?")
        assert OutboxMessage.objects.count() == 0
        assert case.messages.count() == 1

    def test_reply_without_any_address_is_refused(self, agent, team, settings):
        # without an SMS provider (LOFTE_SMS_PROVIDER=none; the embedded default is the console provider)
        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        customer = customer_create(name="Bara telefon", phone="+46701234567")
        case = make_case(customer=customer, channel="phone", team=team)
        with pytest.raises(ValidationFailed) as err:
            services.case_reply(case=case, author=agent, body="Hej")
        assert err.value.field == "body"
        assert "email address" in err.value.message
        assert OutboxMessage.objects.count() == 0
        assert Message.objects.filter(direction="out").count() == 0

    def test_phone_case_is_answered_by_email_when_the_customer_has_one(self, customer, agent, team, settings):
        # without an SMS provider (LOFTE_SMS_PROVIDER=none; the embedded default is the console provider)
        settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
        case = make_case(customer=customer, channel="phone", team=team)
        message = services.case_reply(case=case, author=agent, body="Som vi sa i telefon ...")
        assert (message.channel, message.recipients) == ("email", ["karin@example.se"])

    def test_empty_reply_is_refused(self, case, agent):
        with pytest.raises(ValidationFailed) as err:
            services.case_reply(case=case, author=agent, body=" \n ")
        assert err.value.field == "body"
        assert OutboxMessage.objects.count() == 0


class TestInbound:
    def test_customer_reply_reopens_a_case_waiting_on_them(self, case, agent):
        services.case_reply(case=case, author=agent, body="Fakturanumret?", status=Status.WAITING_ON_CUSTOMER)
        services.case_add_inbound(case=case, body="Nummer 123", channel="email", sender="karin@example.se")
        case.refresh_from_db()
        assert case.status == Status.OPEN
        last = case.events.order_by("-id").first()
        assert last.data == {"from": "waiting_on_customer", "to": "open", "reason": "customer_replied"}

    def test_customer_reply_on_a_solved_case_reopens_it(self, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.SOLVED)
        services.case_add_inbound(case=case, body="Det funkar inte ändå", channel="email")
        case.refresh_from_db()
        assert (case.status, case.solved_at) == (Status.OPEN, None)

    def test_inbound_on_an_open_case_keeps_the_status(self, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.OPEN)
        services.case_add_inbound(case=case, body="Tillägg", channel="web")
        case.refresh_from_db()
        assert case.status == Status.OPEN
        assert kinds(case)[-1] == "message_in"


class TestTransitions:
    def test_solving_stamps_solved_at_and_reopening_clears_it(self, case, agent):
        with clock.at(datetime(2026, 5, 1, 12, 0, tzinfo=UTC)):
            services.case_transition(case=case, actor=agent, status=Status.SOLVED)
        case.refresh_from_db()
        assert case.solved_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        services.case_transition(case=case, actor=agent, status=Status.OPEN)
        case.refresh_from_db()
        assert case.solved_at is None

    def test_a_closed_case_cannot_be_reopened_and_stays_closed(self, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.CLOSED)
        events_before = case.events.count()
        with pytest.raises(InvalidTransition) as err:
            services.case_transition(case=case, actor=agent, status=Status.OPEN)
        assert err.value.message == "A case cannot go from Closed to Open."
        case.refresh_from_db()
        assert case.status == Status.CLOSED
        assert case.events.count() == events_before

    def test_unknown_status_is_refused(self, case, agent):
        with pytest.raises(InvalidTransition) as err:
            services.case_transition(case=case, actor=agent, status="lost")
        assert err.value.code == "unknown_status"


class TestAssignAndUpdate:
    def test_assign_records_from_and_to(self, case, agent):
        services.case_assign(case=case, actor=agent, assignee=agent)
        event = case.events.get(kind=EventKind.ASSIGNED)
        assert event.data == {"from": None, "to": {"id": agent.pk, "name": "Alma Agent"}}
        services.case_assign(case=case, actor=agent, assignee=None)
        case.refresh_from_db()
        assert case.assignee is None

    def test_inactive_agent_cannot_be_assigned(self, case, agent):
        gone = AgentFactory(is_active=False)
        with pytest.raises(ValidationFailed) as err:
            services.case_assign(case=case, actor=agent, assignee=gone)
        assert err.value.field == "assignee"
        case.refresh_from_db()
        assert case.assignee is None

    def test_update_validates_everything_before_writing_anything(self, case, agent):
        services.case_transition(case=case, actor=agent, status=Status.CLOSED)
        events_before = case.events.count()
        with pytest.raises(InvalidTransition):
            services.case_update(case=case, actor=agent, priority=Priority.URGENT, tags=["x"], status=Status.OPEN)
        case.refresh_from_db()
        assert case.priority == Priority.NORMAL
        assert case.tags.count() == 0
        assert case.events.count() == events_before

    def test_update_writes_one_event_per_change(self, case, agent, other_team):
        case_type = CaseTypeFactory(name="Faktura")
        services.case_update(
            case=case,
            actor=agent,
            priority=Priority.HIGH,
            team=other_team,
            case_type=case_type,
            tags=["b", "a"],
            subject="Ny rubrik",
        )
        case.refresh_from_db()
        assert (case.priority, case.team, case.case_type, case.subject) == (
            Priority.HIGH,
            other_team,
            case_type,
            "Ny rubrik",
        )
        data = {e.kind: e.data for e in case.events.exclude(kind=EventKind.CREATED)}
        assert data == {
            "subject_changed": {"from": "Fel belopp på fakturan", "to": "Ny rubrik"},
            "priority_changed": {"from": 2, "to": 3},
            "team_changed": {"from": "Support", "to": "Billing"},
            "case_type_changed": {"from": None, "to": "Faktura"},
            "tags_changed": {"from": [], "to": ["a", "b"]},
        }

    def test_update_without_changes_writes_no_event(self, case, agent):
        services.case_update(case=case, actor=agent, priority=case.priority, tags=[], subject=case.subject)
        assert case.events.count() == 1


def test_note_is_internal_and_on_the_timeline(case, agent):
    note = services.case_note_add(case=case, author=agent, body="Kunden ringde också.")
    assert Note.objects.get() == note
    assert CaseEvent.objects.filter(case=case, kind=EventKind.NOTE, note=note).count() == 1
    assert OutboxMessage.objects.count() == 0


def test_html_from_outside_is_sanitised_before_it_is_stored(customer, case):
    hostile = '<p onclick="steal()">Hej <script>alert(1)</script><a href="javascript:alert(2)">länk</a></p>'
    created = make_case(customer=customer, body="Hej", body_html=hostile)
    inbound = services.case_add_inbound(case=case, body="Hej", channel="email", body_html=hostile)
    for html in (created.messages.get().body_html, inbound.body_html):
        assert "script" not in html and "onclick" not in html and "javascript" not in html
        assert html.startswith("<p>Hej ") and "länk</a></p>" in html


def test_a_message_on_a_closed_case_opens_a_linked_follow_up(case, agent, team):
    services.case_update(case=case, actor=agent, priority=Priority.HIGH)
    services.case_transition(case=case, actor=agent, status=Status.CLOSED)
    message = services.case_add_inbound(case=case, body="Det är fel igen", channel="email", sender="karin@example.se")
    follow_up = message.case
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert follow_up.pk != case.pk
    assert (follow_up.follow_up_of, follow_up.customer, follow_up.team, follow_up.priority, follow_up.subject) == (
        case,
        case.customer,
        team,
        Priority.HIGH,
        case.subject,
    )
    assert follow_up.events.get().data == {"follow_up_of": case.reference}
    assert case.events.order_by("-id").first().data == {"reference": follow_up.reference}
    assert case.messages.count() == 1
