"""Fetching mail over IMAP, against a real Dovecot on loopback (see dovecot.py)."""

from __future__ import annotations

import hashlib
import socket

import pytest

from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.channels.email import imap
from lofte.channels.email.imap import PollReport, mailbox_poll
from lofte.channels.email.ingest import inbound_raw
from lofte.channels.models import AfterFetch, InboundEmail, Mailbox, Security, Source
from lofte.channels.tasks import poll_mailboxes
from lofte.channels.tests.dovecot import HOST, dovecot_server, free_port
from lofte.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

SEEN = "\\Seen"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def account(imap_server) -> str:
    """An IMAP account of this test's own: an empty INBOX."""
    return imap_server.new_user()


@pytest.fixture
def mailbox(imap_server, account, team) -> Mailbox:
    return Mailbox.objects.create(
        name="support",
        address="support@lofte.test",
        team=team,
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_security=Security.NONE,
        imap_user=account,
        imap_password=imap_server.password,
    )


@pytest.fixture
def existing_case(db) -> Case:
    return make_case(customer=CustomerFactory(email="karin@example.se"), subject="Fel belopp på fakturan")


def email(*, sender: str, subject: str, body: str, message_id: str, extra: tuple[str, ...] = ()) -> bytes:
    """A message as it travels: CRLF line ends, 8-bit UTF-8 text."""
    lines = [
        f"From: {sender}",
        "To: Support <support@lofte.test>",
        f"Subject: {subject}",
        "Date: Mon, 02 Mar 2026 09:00:00 +0100",
        f"Message-ID: {message_id}",
        *extra,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
        "",
        body,
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def three_messages(case: Case) -> list[bytes]:
    """A new matter, a reply to `case` by the reference in its subject, and an out-of-office reply."""
    new = email(
        sender='"Nils Nyberg" <nils@example.org>',
        subject="Skrivaren fungerar inte",
        body="Hej!\r\n\r\nSkrivaren på plan 3 skriver ut tomma sidor. Åtgärda gärna.\r\n\r\nNils",
        message_id="<new-1@example.org>",
    )
    reply = email(
        sender="Karin Kund <karin@example.se>",
        subject=f"Re: [{case.reference}] Fel belopp",
        body="Hej igen, beloppet ska vara 1 250 kr.\r\n\r\nKarin",
        message_id="<reply-1@example.se>",
    )
    auto = email(
        sender="Olle Ute <olle@example.net>",
        subject="Automatic reply: Kampanj",
        body="Jag är på semester till och med 20 mars.",
        message_id="<ooo-1@example.net>",
        extra=("Auto-Submitted: auto-replied",),
    )
    return [new, reply, auto]


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def stored_bytes(row: InboundEmail) -> bytes:
    return inbound_raw(row)


def test_move_mode_ingests_in_uid_order_and_moves_what_it_stored(imap_server, account, mailbox, existing_case):
    raws = three_messages(existing_case)
    for raw in raws:
        imap_server.append(raw, user=account)

    report = mailbox_poll(mailbox)

    assert report == PollReport(
        fetched=3, outcomes={"created": 1, "appended": 1, "auto_reply": 1}, error=None, mailbox="support"
    )
    rows = list(InboundEmail.objects.order_by("id"))
    # the exact bytes appended, in UID order, stored under their own SHA-256
    assert [row.sha256 for row in rows] == [sha256(raw) for raw in raws]
    assert [stored_bytes(row) for row in rows] == raws
    assert {(row.source, row.mailbox_id) for row in rows} == {(Source.IMAP, mailbox.pk)}
    assert [row.outcome for row in rows] == ["created", "appended", "auto_reply"]

    new_case = rows[0].case
    assert new_case is not None and new_case != existing_case
    assert new_case.subject == "Skrivaren fungerar inte"
    assert new_case.team == mailbox.team
    assert rows[1].case == existing_case
    assert existing_case.messages.count() == 2
    appended = existing_case.messages.order_by("id").last()
    assert appended.external_id == "<reply-1@example.se>" and "1 250 kr" in appended.body_text
    assert rows[2].case is None
    assert Case.objects.count() == 2

    # moved (Maildir++ Dovecot: "." between levels), and read with PEEK: still unread there
    assert imap_server.messages("INBOX", user=account) == []
    assert "Lofte.Processed" in imap_server.folders(user=account)
    moved = imap_server.messages("Lofte.Processed", user=account)
    assert [m.raw for m in moved] == raws
    assert not any(SEEN in m.flags for m in moved)

    mailbox.refresh_from_db()
    assert mailbox.last_error == ""
    assert mailbox.last_polled_at is not None

    again = mailbox_poll(mailbox)
    assert again == PollReport(fetched=0, outcomes={}, error=None, mailbox="support")
    assert InboundEmail.objects.count() == 3


def test_seen_mode_flags_what_it_stored_and_skips_what_was_read(imap_server, account, mailbox, existing_case):
    mailbox.after_fetch = AfterFetch.SEEN
    mailbox.save()
    new, reply, _auto = three_messages(existing_case)
    read = email(sender="ann@example.org", subject="Already read", body="x", message_id="<r@x>")
    imap_server.append(new, user=account)
    imap_server.append(read, user=account, flags=[SEEN])
    imap_server.append(reply, user=account)

    report = mailbox_poll(mailbox)

    assert report == PollReport(fetched=2, outcomes={"created": 1, "appended": 1}, error=None, mailbox="support")
    assert sorted(InboundEmail.objects.values_list("sha256", flat=True)) == sorted([sha256(new), sha256(reply)])
    inbox = imap_server.messages("INBOX", user=account)
    assert [m.raw for m in inbox] == [new, read, reply]
    assert all(SEEN in m.flags for m in inbox)
    assert imap_server.folders(user=account) == ["INBOX"]  # no processed folder in this mode

    again = mailbox_poll(mailbox)
    assert again == PollReport(fetched=0, outcomes={}, error=None, mailbox="support")
    assert InboundEmail.objects.count() == 2


def test_the_limit_takes_the_oldest_uids_first_and_leaves_the_rest_for_the_next_poll(imap_server, account, mailbox):
    raws = [
        email(sender=f"s{n}@example.org", subject=f"Question {n}", body="?", message_id=f"<q{n}@x>")
        for n in range(1, 4)
    ]
    for raw in raws:
        imap_server.append(raw, user=account)

    assert mailbox_poll(mailbox, limit=2).fetched == 2
    assert [m.raw for m in imap_server.messages("INBOX", user=account)] == [raws[2]]
    assert mailbox_poll(mailbox, limit=2).fetched == 1
    assert list(InboundEmail.objects.order_by("id").values_list("sha256", flat=True)) == [sha256(r) for r in raws]


def test_a_message_ingest_raises_on_stays_unread_and_the_rest_go_on(imap_server, account, mailbox, monkeypatch):
    mailbox.after_fetch = AfterFetch.SEEN
    mailbox.save()
    real_ingest = imap.email_ingest

    def ingest(raw, **kwargs):
        if b"Boom" in raw:
            raise RuntimeError("boom")
        return real_ingest(raw, **kwargs)

    monkeypatch.setattr(imap, "email_ingest", ingest)
    raws = [
        email(sender="a@example.org", subject="First", body="1", message_id="<1@x>"),
        email(sender="b@example.org", subject="Boom", body="2", message_id="<2@x>"),
        email(sender="c@example.org", subject="Third", body="3", message_id="<3@x>"),
    ]
    for raw in raws:
        imap_server.append(raw, user=account)

    report = mailbox_poll(mailbox)

    assert report.fetched == 3
    assert report.outcomes == {"created": 2, "failed": 1}
    assert report.error is not None and "1 message(s) could not be processed" in report.error
    assert [SEEN in m.flags for m in imap_server.messages("INBOX", user=account)] == [True, False, True]
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error


def test_a_wrong_password_is_recorded_not_raised_and_cleared_by_a_good_poll(imap_server, account, mailbox):
    raw = email(sender="a@example.org", subject="Hello", body="Hi", message_id="<h@x>")
    imap_server.append(raw, user=account)
    mailbox.imap_password = "wrong"
    mailbox.save()

    report = mailbox_poll(mailbox)

    assert report.fetched == 0 and report.outcomes == {}
    assert report.error is not None
    assert report.error.startswith(f"Could not log in to {HOST}:{imap_server.port} as '{account}'")
    assert "wrong" not in report.error  # no password in messages
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error
    assert mailbox.last_polled_at is not None
    assert len(imap_server.messages("INBOX", user=account)) == 1

    mailbox.imap_password = imap_server.password
    mailbox.save()
    assert mailbox_poll(mailbox) == PollReport(fetched=1, outcomes={"created": 1}, error=None, mailbox="support")
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_a_server_that_is_down_is_recorded_not_raised(mailbox):
    port = free_port()
    mailbox.imap_port = port
    mailbox.save()

    report = mailbox_poll(mailbox)

    assert report == PollReport(
        fetched=0, outcomes={}, error=f"Could not connect to {HOST}:{port}: connection refused", mailbox="support"
    )
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error
    assert mailbox.last_polled_at is not None


def test_a_server_that_does_not_answer_times_out(mailbox, monkeypatch):
    monkeypatch.setattr(imap, "TIMEOUT", 0.3)
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) but never greets
        silent.bind((HOST, 0))
        silent.listen(1)
        mailbox.imap_port = silent.getsockname()[1]
        mailbox.save()
        report = mailbox_poll(mailbox)
    assert report.error == f"Could not connect to {HOST}:{mailbox.imap_port}: no answer within 0.3 seconds"
    mailbox.refresh_from_db()
    assert mailbox.last_error == report.error


@pytest.mark.parametrize("security", [Security.SSL, Security.STARTTLS])
def test_tls_against_a_plain_text_server_is_an_error_not_an_exception(mailbox, security):
    mailbox.imap_security = security
    mailbox.save()
    report = mailbox_poll(mailbox)
    assert report.fetched == 0
    assert report.error is not None and report.error.startswith("Could not connect to")


def test_a_missing_folder_is_reported(mailbox):
    mailbox.imap_folder = "Nowhere"
    mailbox.save()
    report = mailbox_poll(mailbox)
    assert report.error is not None and report.error.startswith("Could not open the folder 'Nowhere'")


def test_the_processed_folder_follows_a_slash_separator(mailbox):
    with dovecot_server(separator="/") as server:
        user = server.new_user()
        mailbox.imap_port, mailbox.imap_user = server.port, user
        mailbox.save()
        raw = email(sender="a@example.org", subject="Hello", body="Hi", message_id="<s@x>")
        server.append(raw, user=user)

        assert mailbox_poll(mailbox).outcomes == {"created": 1}
        assert "Lofte/Processed" in server.folders(user=user)
        assert [m.raw for m in server.messages("Lofte/Processed", user=user)] == [raw]
        assert server.messages("INBOX", user=user) == []


def test_the_task_polls_every_active_mailbox_with_an_imap_server(imap_server, account, mailbox):
    closed = free_port()
    Mailbox.objects.create(
        name="paused", address="paused@lofte.test", is_active=False, imap_host=HOST, imap_port=closed
    )
    Mailbox.objects.create(name="api-only", address="api@lofte.test")
    imap_server.append(email(sender="a@example.org", subject="Hi", body="x", message_id="<t@x>"), user=account)

    assert poll_mailboxes.call() == [{"fetched": 1, "outcomes": {"created": 1}, "error": None, "mailbox": "support"}]


def test_the_admin_fetch_now_action_reports_per_mailbox(imap_server, account, mailbox, client, settings):
    from lofte.accounts.models import Agent

    Mailbox.objects.create(name="piped", address="piped@lofte.test")  # no IMAP server: told so
    imap_server.append(
        email(sender="nils@example.org", subject="Skrivaren", body="Hej!\r\n", message_id="<adm-1@example.org>"),
        user=account,
    )
    client.force_login(Agent.objects.create_superuser("root@example.com", "pw-not-used", name="Root"))
    response = client.post(
        "/admin/lofte_channels/mailbox/",
        {"action": "fetch_now", "_selected_action": list(Mailbox.objects.values_list("pk", flat=True))},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "piped has no IMAP server to fetch from.",
        "support: 1 message fetched.",
    ]
    assert InboundEmail.objects.get().source == Source.IMAP
