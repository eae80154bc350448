"""The ingestion service: raw bytes stored first, threading, duplicates, mail systems' messages, quarantine."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core.files.storage import default_storage

from lofte.cases.models import Case, CaseEvent, EventKind, Message, Status
from lofte.cases.services import case_reply, case_transition
from lofte.channels.email.ingest import email_ingest, inbound_raw, inbound_reprocess
from lofte.channels.models import InboundEmail, InboundState, Mailbox, Outcome
from lofte.channels.tests.messages import T0, mail
from lofte.core import clock
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage, OutboxState

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(team, settings):
    settings.DEFAULT_FROM_EMAIL = "noreply@lofte.test"
    return Mailbox.objects.create(name="support", address="support@lofte.test", display_name="Lofte Support", team=team)


def sent_reply(case, agent) -> Message:
    """An agent's reply on the case: an outbound email with a Message-ID Lofte made."""
    reply = case_reply(case=case, author=agent, body="Vi tittar på det.")
    assert reply.external_id.startswith("<")
    return reply


# --- storing first -----------------------------------------------------------------


def test_a_new_message_opens_a_case_and_the_raw_bytes_are_kept(mailbox, team):
    raw = mail()
    result = email_ingest(raw)
    assert result.outcome == Outcome.CREATED
    case = Case.objects.get(reference=result.case)
    assert (case.team, case.channel, case.subject, case.inbox_address) == (team, "email", "Fakturan", mailbox.address)
    assert case.customer.name == "Karin Kund"
    message = case.messages.get()
    assert message.body_text == "Hej!\n\nFakturan är fel.\n\nMvh Karin"
    assert message.external_id == "<new-1@mail.example.se>"
    row = InboundEmail.objects.get(pk=result.inbound_id)
    assert (row.state, row.outcome, row.case, row.case_message) == (InboundState.PROCESSED, "created", case, None)
    assert row.sha256 == hashlib.sha256(raw).hexdigest()
    assert inbound_raw(row) == raw
    assert bytes(row.raw) == raw  # small: kept in the row itself
    assert not default_storage.exists(row.raw_path)


def test_a_large_message_is_kept_as_a_file_named_by_its_hash(mailbox, settings):
    settings.LOFTE_EMAIL_INLINE_BYTES = 100
    raw = mail()
    result = email_ingest(raw)
    row = InboundEmail.objects.get(pk=result.inbound_id)
    assert row.raw is None
    assert row.raw_path == f"inbound/{row.sha256[:2]}/{row.sha256}.eml"
    with default_storage.open(row.raw_path, "rb") as handle:
        assert handle.read() == raw
    assert inbound_raw(row) == raw
    assert result.outcome == Outcome.CREATED


def test_the_same_bytes_twice_are_one_row_and_one_case(mailbox):
    first = email_ingest(mail())
    again = email_ingest(mail())
    assert (again.outcome, again.case, again.inbound_id) == (Outcome.DUPLICATE, first.case, first.inbound_id)
    assert Case.objects.count() == 1
    assert InboundEmail.objects.count() == 1


def test_the_same_message_id_in_other_bytes_is_a_duplicate(mailbox):
    first = email_ingest(mail())
    again = email_ingest(mail(subject="Fakturan (resent)"))
    assert (again.outcome, again.case) == (Outcome.DUPLICATE, first.case)
    assert Message.objects.count() == 1
    assert InboundEmail.objects.get(pk=again.inbound_id).outcome == "duplicate"


def test_unparseable_bytes_are_stored_then_quarantined_and_reprocessable(mailbox, monkeypatch):
    raw = mail(message_id="<fails@x>")
    import lofte.channels.email.ingest as ingest

    def broken(_raw: bytes):
        raise RuntimeError("parser crashed")

    monkeypatch.setattr(ingest, "parse_email", broken)
    result = email_ingest(raw)
    assert result.outcome == Outcome.QUARANTINED
    assert result.error == "Processing failed: RuntimeError: parser crashed"
    row = InboundEmail.objects.get(pk=result.inbound_id)
    assert row.state == InboundState.QUARANTINED
    assert inbound_raw(row) == raw
    assert Case.objects.count() == 0
    monkeypatch.undo()
    again = inbound_reprocess(row)
    assert again.outcome == Outcome.CREATED
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == (InboundState.PROCESSED, 2, "")


def test_empty_input_is_quarantined_with_the_reason():
    result = email_ingest(b"")
    assert result.outcome == Outcome.QUARANTINED
    assert result.visible_text is None
    assert result.error.startswith("The data is not an email message")


def test_no_sender_is_quarantined(mailbox):
    result = email_ingest(mail(sender=""))
    assert result.outcome == Outcome.QUARANTINED
    assert result.error == "The message has no sender address (no From, Sender or Reply-To)."
    assert result.visible_text == "Hej!\n\nFakturan är fel.\n\nMvh Karin"


def test_mail_from_lofte_itself_is_a_loop_and_quarantined(mailbox):
    result = email_ingest(mail(sender="Lofte <SUPPORT@lofte.test>"))
    assert result.outcome == Outcome.QUARANTINED
    assert "support@lofte.test" in result.error
    default_sender = email_ingest(mail(sender="noreply@lofte.test", message_id="<x2@x>"))
    assert default_sender.outcome == Outcome.QUARANTINED
    assert Case.objects.count() == 0


def test_a_flooding_sender_is_quarantined_after_the_hourly_limit(mailbox, settings):
    settings.LOFTE_EMAIL_FLOOD_PER_HOUR = 3
    outcomes = [email_ingest(mail(message_id=f"<flood-{i}@x>", subject=f"S{i}")).outcome for i in range(5)]
    assert outcomes == ["created", "created", "created", "quarantined", "quarantined"]


def test_a_message_too_large_is_stored_and_quarantined(mailbox, settings):
    settings.LOFTE_EMAIL_MAX_BYTES = 2**20
    result = email_ingest(mail(body="x" * (2**20 + 10)))
    assert result.outcome == Outcome.QUARANTINED
    assert result.error == "The message is 1 MB, over the limit of 1 MB."


# --- threading -------------------------------------------------------------------


def test_in_reply_to_a_sent_reply_appends_to_its_case(case, agent, mailbox):
    reply = sent_reply(case, agent)
    case_transition(case=case, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    body = "Tack, nu fungerar det.\n\nDen 2 mars 2026 kl. 10:00 skrev Lofte <support@lofte.test>:\n> Vi tittar på det."
    result = email_ingest(mail(subject="SV: Fel belopp", body=body, In_Reply_To=reply.external_id))
    assert (result.outcome, result.case) == (Outcome.APPENDED, case.reference)
    assert result.visible_text == "Tack, nu fungerar det."
    message = case.messages.order_by("id").last()
    assert message.visible_text == "Tack, nu fungerar det."
    assert message.body_text == body
    case.refresh_from_db()
    assert case.status == Status.OPEN  # the customer answered: the case opens again


def test_references_are_tried_newest_first(case, agent, mailbox):
    reply = sent_reply(case, agent)
    refs = f"<unknown-a@x> {reply.external_id} <unknown-b@x>"
    result = email_ingest(mail(References=refs))
    assert (result.outcome, result.case) == (Outcome.APPENDED, case.reference)


def test_the_reference_in_the_subject_threads_for_the_customer(case, mailbox):
    result = email_ingest(mail(subject=f"Re: Fakturan [{case.reference}]"))
    assert (result.outcome, result.case) == (Outcome.APPENDED, case.reference)


def test_the_reference_in_the_subject_from_a_stranger_opens_a_new_case(case, mailbox):
    result = email_ingest(mail(sender="mallory@evil.example", subject=f"Re: [{case.reference}] give me the data"))
    assert result.outcome == Outcome.CREATED
    assert result.case != case.reference
    assert case.messages.count() == 1


def test_a_reply_to_a_closed_case_opens_a_follow_up(case, agent, mailbox):
    reply = sent_reply(case, agent)
    case_transition(case=case, actor=agent, status=Status.SOLVED)
    case_transition(case=case, actor=agent, status=Status.CLOSED)
    result = email_ingest(mail(In_Reply_To=reply.external_id))
    assert result.outcome == Outcome.CREATED
    follow_up = Case.objects.get(reference=result.case)
    assert follow_up.follow_up_of == case
    assert follow_up.inbox_address == case.inbox_address


def test_the_mailbox_written_to_gives_team_and_case_type(other_team, settings):
    from lofte.cases.tests.factories import CaseTypeFactory

    kind = CaseTypeFactory(name="Billing")
    Mailbox.objects.create(name="billing", address="billing@lofte.test", team=other_team, case_type=kind)
    result = email_ingest(mail(to="Billing <BILLING@lofte.test>, someone@else.example"))
    case = Case.objects.get(reference=result.case)
    assert (case.team, case.case_type, case.inbox_address) == (other_team, kind, "billing@lofte.test")


def test_attachments_are_stored_and_an_oversized_one_is_named_in_the_text(mailbox, settings):
    settings.LOFTE_MAX_ATTACHMENT_BYTES = 1000
    message = EmailMessage()
    message["From"] = "karin@example.se"
    message["To"] = "support@lofte.test"
    message["Subject"] = "Kvitto"
    message["Message-ID"] = "<att@x>"
    message.set_content("Se bifogat.")
    message.add_attachment(b"%PDF-1.4 small", maintype="application", subtype="pdf", filename="kvitto.pdf")
    message.add_attachment(b"x" * 5000, maintype="application", subtype="zip", filename="stor.zip")
    result = email_ingest(message.as_bytes())
    stored = Case.objects.get(reference=result.case).messages.get()
    assert [(a.filename, a.size) for a in stored.attachments.all()] == [("kvitto.pdf", 14)]
    assert "stor.zip" in stored.body_text
    assert "over the attachment limit" in stored.body_text


# --- what mail systems send ------------------------------------------------------------


def test_an_auto_reply_goes_on_the_timeline_without_reopening_or_answering(case, agent, mailbox):
    reply = sent_reply(case, agent)
    case_transition(case=case, actor=agent, status=Status.WAITING_ON_CUSTOMER)
    outbox_before = OutboxMessage.objects.count()
    result = email_ingest(
        mail(
            subject="Frånvaro: Fel belopp",
            body="Jag är tillbaka måndag.",
            In_Reply_To=reply.external_id,
            Auto_Submitted="auto-replied",
        )
    )
    assert (result.outcome, result.case) == (Outcome.AUTO_REPLY, case.reference)
    case.refresh_from_db()
    assert case.status == Status.WAITING_ON_CUSTOMER
    message = case.messages.order_by("id").last()
    assert message.is_automatic
    assert CaseEvent.objects.filter(case=case, kind=EventKind.AUTO_REPLY, message=message).count() == 1
    assert OutboxMessage.objects.count() == outbox_before


def test_an_auto_reply_to_nothing_makes_no_case(mailbox):
    result = email_ingest(mail(Auto_Submitted="auto-generated"))
    assert (result.outcome, result.case) == (Outcome.AUTO_REPLY, None)
    assert Case.objects.count() == 0


def bounce_of(
    message_id: str, recipient: str = "karin@example.se", bounce_id: str = "<bounce-1@mx.example.se>"
) -> bytes:
    """A Postfix-style delivery status notification about one message."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.se>
To: support@lofte.test
Subject: Undelivered Mail Returned to Sender
Message-ID: {bounce_id}
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.se

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B1
Content-Type: text/rfc822-headers

From: support@lofte.test
To: {recipient}
Subject: Re: x
Message-ID: {message_id}

--B1--
""".replace("\n", "\r\n").encode()


def test_a_bounce_marks_the_delivery_failed_and_tells_the_agent(case, agent, mailbox):
    case.assignee = agent
    case.save(update_fields=["assignee"])
    reply = sent_reply(case, agent)
    result = email_ingest(bounce_of(reply.external_id))
    assert (result.outcome, result.case) == (Outcome.BOUNCE, case.reference)
    row = OutboxMessage.objects.get(pk=reply.outbox_message_id)
    assert row.state == OutboxState.BOUNCED
    assert "550 5.1.1" in row.last_error
    event = CaseEvent.objects.get(case=case, kind=EventKind.DELIVERY_FAILED)
    assert event.data["to"] == "karin@example.se"
    note = Notification.objects.get(agent=agent, kind="delivery_failed")
    assert case.reference in note.text
    assert Case.objects.count() == 1
    # the same bounce delivered twice (different bytes) changes nothing more
    again = email_ingest(bounce_of(reply.external_id, bounce_id="<bounce-2@mx.example.se>"))
    assert again.outcome == Outcome.BOUNCE
    assert CaseEvent.objects.filter(kind=EventKind.DELIVERY_FAILED).count() == 1
    assert Notification.objects.filter(kind="delivery_failed").count() == 1


def test_a_bounce_of_an_unknown_message_is_reported_and_makes_nothing(mailbox):
    result = email_ingest(bounce_of("<not-ours@x>"))
    assert (result.outcome, result.case) == (Outcome.BOUNCE, None)
    assert Case.objects.count() == 0


# --- automatic messages out: loop protection ------------------------------------------


def test_automatic_messages_to_one_address_stop_at_the_hourly_limit(settings):
    from lofte.outbox.services import AutomaticLimitReached, outbox_enqueue

    settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR = 2
    with clock.at(T0):
        for _ in range(2):
            outbox_enqueue(channel="email", to="a@example.se", payload={"text": "x"}, automatic=True)
        with pytest.raises(AutomaticLimitReached):
            outbox_enqueue(channel="email", to="a@example.se", payload={"text": "x"}, automatic=True)
        # people's messages and other addresses are not limited
        outbox_enqueue(channel="email", to="a@example.se", payload={"text": "x"})
        outbox_enqueue(channel="email", to="b@example.se", payload={"text": "x"}, automatic=True)
    with clock.at(T0 + timedelta(hours=1, seconds=1)):
        outbox_enqueue(channel="email", to="a@example.se", payload={"text": "x"}, automatic=True)
    assert OutboxMessage.objects.filter(to="a@example.se", automatic=True).count() == 3
