"""Outbound email through the outbox, against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from lofte.cases.services import case_reply
from lofte.core import clock
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_deliver_due, outbox_enqueue
from lofte.outbox.tests.smtp import Recorder, free_port, smtp_server, use_smtp

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def case(case):
    """The conftest case, written at T0 - 1 hour so that replies at T0 come after it."""
    case.created_at = case.updated_at = T0 - timedelta(hours=1)
    case.save(update_fields=["created_at", "updated_at"])
    case.messages.update(created_at=T0 - timedelta(hours=1))
    return case


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def smtp(recorder, settings) -> Iterator[Recorder]:
    """An SMTP server on 127.0.0.1 that accepts everything; the default mailer points at it."""
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder


def text(part) -> str:
    """A part's decoded content with the wire's CRLF line ends as \\n."""
    return part.get_content().replace("\r\n", "\n")


def deliver_at(at: datetime) -> dict[str, int]:
    with clock.at(at):
        return outbox_deliver_due()


def reply(case, agent, body: str = "Hej Karin!\n\nVi har rättat fakturan; beloppet är 1 250 kr.") -> OutboxMessage:
    with clock.at(T0):
        message = case_reply(case=case, author=agent, body=body)
    assert message.outbox_message is not None
    return message.outbox_message


def test_a_reply_arrives_with_its_headers_and_body(smtp, case, agent):
    row = reply(case, agent)
    assert deliver_at(T0) == {"sent": 1}

    [received] = smtp.messages
    assert smtp.envelopes == [("support@lofte.localhost", ["karin@example.se"])]
    assert received["From"] == "support@lofte.localhost"
    assert received["To"] == "karin@example.se"
    assert received["Subject"] == f"Re: Fel belopp på fakturan [{case.reference}]"
    assert received["In-Reply-To"] == "<first@mail.example.se>"
    assert received["References"] == "<first@mail.example.se>"
    assert received["Message-ID"] == row.external_id
    assert received.get_content_type() == "multipart/alternative"
    assert text(received.get_body(("plain",))) == "Hej Karin!\n\nVi har rättat fakturan; beloppet är 1 250 kr.\n"
    assert "<p>Vi har rättat fakturan; beloppet är 1 250 kr.</p>" in text(received.get_body(("html",)))
    assert received["Auto-Submitted"] is None  # a person wrote it

    row.refresh_from_db()
    assert (row.state, row.sent_at, row.attempts, row.provider_id) == (OutboxState.SENT, T0, 1, row.external_id)


def test_the_team_address_is_the_sender_and_later_replies_reference_the_thread(smtp, case, agent, team):
    team.email = "support@kund.example.se"
    team.save(update_fields=["email"])
    first = reply(case, agent, body="Första svaret.")
    second = reply(case, agent, body="Andra svaret.")
    assert deliver_at(T0) == {"sent": 2}
    one, two = smtp.messages
    assert (one["From"], two["From"]) == ("support@kund.example.se", "support@kund.example.se")
    assert two["In-Reply-To"] == "<first@mail.example.se>"
    assert two["References"].split() == ["<first@mail.example.se>", first.external_id]
    assert (one["Message-ID"], two["Message-ID"]) == (first.external_id, second.external_id)


def test_an_html_part_goes_along_as_an_alternative(smtp):
    with clock.at(T0):
        row = outbox_enqueue(
            channel="email",
            to="karin@example.se",
            payload={"subject": "Kvitto åäö", "text": "Hej", "html": "<p>Hej <b>Karin</b></p>", "reply_to": ["a@b.se"]},
            external_id="<html-1@lofte.localhost>",
        )
    assert deliver_at(T0) == {"sent": 1}
    [received] = smtp.messages
    assert received.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in received.iter_parts()] == ["text/plain", "text/html"]
    html = text(received.get_body(("html",)))
    assert html.startswith("<!doctype html>")
    assert "<p>Hej <b>Karin</b></p>" in html
    assert (received["Subject"], received["Reply-To"], received["Message-ID"]) == (
        "Kvitto åäö",
        "a@b.se",
        row.external_id,
    )


def test_a_refused_recipient_is_dead_at_once(settings, case, agent):
    refusing = Recorder(rcpt_reply="550 5.1.1 <karin@example.se>: Recipient address rejected")
    with smtp_server(refusing) as port:
        use_smtp(settings, port)
        row = reply(case, agent)
        assert deliver_at(T0) == {"dead": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.dead_at, row.next_attempt_at) == (OutboxState.DEAD, 1, T0, T0)
    assert row.last_error == (
        "The mail server refused the recipient karin@example.se: "
        "550 5.1.1 <karin@example.se>: Recipient address rejected"
    )
    assert refusing.messages == []


def test_a_recipient_refused_for_now_is_retried(settings, case, agent):
    greylisting = Recorder(rcpt_reply="450 4.2.0 <karin@example.se>: Greylisted, try again later")
    with smtp_server(greylisting) as port:
        use_smtp(settings, port)
        row = reply(case, agent)
        assert deliver_at(T0) == {"pending": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.PENDING, 1)
    assert T0 + timedelta(seconds=15) <= row.next_attempt_at <= T0 + timedelta(seconds=30)
    assert "450" in row.last_error and "Greylisted" in row.last_error


def test_a_server_that_is_down_is_retried_with_backoff(settings, case, agent):
    use_smtp(settings, free_port())  # nobody listens there
    row = reply(case, agent)
    assert deliver_at(T0) == {"pending": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_until, row.sent_at) == (OutboxState.PENDING, 1, None, None)
    assert T0 + timedelta(seconds=15) <= row.next_attempt_at <= T0 + timedelta(seconds=30)
    assert row.last_error.startswith("ConnectionRefusedError: ")

    second = row.next_attempt_at
    assert deliver_at(second) == {"pending": 1}
    row.refresh_from_db()
    assert row.attempts == 2
    assert second + timedelta(seconds=30) <= row.next_attempt_at <= second + timedelta(seconds=60)


def test_a_retry_after_a_failure_sends_the_same_message_id(settings, case, agent):
    flaky = Recorder(data_replies=["451 4.3.0 Temporary local problem, try again"])
    with smtp_server(flaky) as port:
        use_smtp(settings, port)
        row = reply(case, agent)
        assert deliver_at(T0) == {"pending": 1}
        row.refresh_from_db()
        assert "451" in row.last_error
        assert deliver_at(row.next_attempt_at) == {"sent": 1}
    assert [m["Message-ID"] for m in flaky.attempts] == [row.external_id, row.external_id]
    assert [m["Message-ID"] for m in flaky.messages] == [row.external_id]


def test_a_message_refused_for_its_content_is_dead(settings, case, agent):
    refusing = Recorder(data_replies=["554 5.7.1 Message rejected as spam"])
    with smtp_server(refusing) as port:
        use_smtp(settings, port)
        row = reply(case, agent)
        assert deliver_at(T0) == {"dead": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts) == (OutboxState.DEAD, 1)
    assert "554" in row.last_error and "rejected as spam" in row.last_error


@pytest.mark.parametrize("to", ["", "not an address", "kärin@example.se", "a@example.se, b@example.se"])
def test_an_address_that_can_never_be_sent_to_is_dead_without_contacting_the_server(smtp, to):
    with clock.at(T0):
        row = outbox_enqueue(channel="email", to=to, payload={"subject": "S", "text": "T"}, external_id="<x@y>")
    assert deliver_at(T0) == {"dead": 1}
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == (OutboxState.DEAD, 1, None)
    assert row.last_error.startswith("The address cannot be sent to:")
    assert smtp.attempts == []


def test_a_row_without_message_id_gets_one_that_stays_for_every_attempt(settings):
    use_smtp(settings, free_port())  # down for the first attempt
    with clock.at(T0):
        row = outbox_enqueue(channel="email", to="karin@example.se", payload={"subject": "S", "text": "T"})
    assert deliver_at(T0) == {"pending": 1}
    row.refresh_from_db()
    assert row.external_id.startswith("<") and row.external_id.endswith("@lofte.localhost>")
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        assert deliver_at(row.next_attempt_at) == {"sent": 1}
    assert [m["Message-ID"] for m in recorder.messages] == [row.external_id]
