"""Replies out: the mailbox's From and SMTP server, attachments, and Auto-Submitted on automatic messages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lofte.cases.services import AttachmentInput, case_reply
from lofte.channels.models import Mailbox, Security
from lofte.core import clock
from lofte.outbox.models import OutboxState
from lofte.outbox.services import outbox_deliver_due, outbox_enqueue
from lofte.outbox.tests.smtp import Recorder, smtp_server, use_smtp

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def smtp(settings) -> Iterator[Recorder]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder


def test_a_reply_comes_from_the_mailbox_written_to_with_its_name_and_files(smtp, case, agent):
    Mailbox.objects.create(name="support", address="hej@kund.example.se", display_name="Kund Support")
    case.inbox_address = "hej@kund.example.se"
    case.save(update_fields=["inbox_address"])
    with clock.at(T0):
        case_reply(
            case=case,
            author=agent,
            body="Se bifogad faktura.",
            attachments=[AttachmentInput("faktura åäö.pdf", "application/pdf", b"%PDF-1.4 test")],
        )
        assert outbox_deliver_due() == {"sent": 1}
    [received] = smtp.messages
    assert received["From"] == "Kund Support <hej@kund.example.se>"
    assert smtp.envelopes[0][0] == "hej@kund.example.se"
    assert received.get_content_type() == "multipart/mixed"
    body, attachment = received.iter_parts()
    assert body.get_content_type() == "multipart/alternative"
    assert attachment.get_filename() == "faktura åäö.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


def test_a_mailbox_with_its_own_smtp_server_sends_through_it(smtp, case, agent):
    own = Recorder()
    with smtp_server(own) as port:
        Mailbox.objects.create(
            name="billing",
            address="billing@kund.example.se",
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_security=Security.NONE,
        )
        case.inbox_address = "billing@kund.example.se"
        case.save(update_fields=["inbox_address"])
        with clock.at(T0):
            case_reply(case=case, author=agent, body="Svar.")
            assert outbox_deliver_due() == {"sent": 1}
    assert smtp.messages == []  # not through the global mailer
    assert [m["From"] for m in own.messages] == ["billing@kund.example.se"]


def test_an_automatic_message_says_so(smtp):
    with clock.at(T0):
        outbox_enqueue(
            channel="email", to="karin@example.se", payload={"subject": "Tack", "text": "Vi har fått"}, automatic=True
        )
        assert outbox_deliver_due() == {"sent": 1}
    [received] = smtp.messages
    assert received["Auto-Submitted"] == "auto-replied"
    assert received["X-Auto-Response-Suppress"] == "All"


def test_an_automatic_message_to_loftes_own_address_is_never_sent(smtp, settings):
    Mailbox.objects.create(name="support", address="support@lofte.test")
    with clock.at(T0):
        row = outbox_enqueue(channel="email", to="SUPPORT@lofte.test", payload={"text": "x"}, automatic=True)
        assert outbox_deliver_due() == {"dead": 1}
    row.refresh_from_db()
    assert row.state == OutboxState.DEAD
    assert "Lofte's own addresses" in row.last_error
    assert smtp.attempts == []
