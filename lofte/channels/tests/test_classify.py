"""classify: bounces, delay notices, spam complaints, read receipts, auto-replies and normal mail."""

from __future__ import annotations

import base64

import pytest

from lofte.channels.email.classify import Classification, EmailKind, classify
from lofte.channels.email.parsing import parse_email


def verdict(message: str | bytes) -> Classification:
    data = message.encode() if isinstance(message, str) else message
    lines = data.split(b"\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    indents = [len(line) - len(line.lstrip(b" ")) for line in lines if line.strip()]
    cut = min(indents) if indents else 0
    return classify(parse_email(b"\r\n".join(line[cut:] for line in lines)))


def simple(headers: str = "", subject: str = "Fakturan", sender: str = "Karin <karin@example.se>") -> Classification:
    return verdict(
        f"From: {sender}\nTo: support@lofte.test\nSubject: {subject}\nMessage-ID: <m1@example.se>\n{headers}\nHej!\n"
    )


POSTFIX_DSN = """
    Return-Path: <>
    From: MAILER-DAEMON@mx.lofte.test (Mail Delivery System)
    Subject: Undelivered Mail Returned to Sender
    To: support@lofte.test
    Auto-Submitted: auto-replied
    MIME-Version: 1.0
    Content-Type: multipart/report; report-type=delivery-status;
        boundary="B1"
    Message-Id: <20260302090001.ABC@mx.lofte.test>

    --B1
    Content-Description: Notification
    Content-Type: text/plain; charset=us-ascii

    This is the mail system at host mx.lofte.test.

    I'm sorry to have to inform you that your message could not
    be delivered to one or more recipients.

    <nobody@example.se>: host mx.example.se[192.0.2.1] said: 550 5.1.1
        <nobody@example.se>: Recipient address rejected: User unknown

    --B1
    Content-Description: Delivery report
    Content-Type: message/delivery-status

    Reporting-MTA: dns; mx.lofte.test
    X-Postfix-Queue-ID: ABC
    Arrival-Date: Mon,  2 Mar 2026 09:00:00 +0100 (CET)

    Final-Recipient: rfc822; nobody@example.se
    Original-Recipient: rfc822;Nobody@Example.se
    Action: failed
    Status: 5.1.1
    Remote-MTA: dns; mx.example.se
    Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.se>: Recipient address
        rejected: User unknown

    --B1
    Content-Description: Undelivered Message Headers
    Content-Type: text/rfc822-headers

    From: support@lofte.test
    To: nobody@example.se
    Subject: [LF-2026-000001] Re: Fakturan
    Message-ID: <lofte.case1.msg2@lofte.test>

    --B1--
"""


# --------------------------------------------------------------------------------------------
# Normal mail and auto-replies
# --------------------------------------------------------------------------------------------


def test_normal_mail() -> None:
    assert simple() == Classification(EmailKind.NORMAL)


def test_auto_submitted_auto_replied() -> None:
    assert simple("Auto-Submitted: auto-replied\n") == Classification(
        EmailKind.AUTO_REPLY, "Auto-Submitted: auto-replied"
    )


def test_auto_submitted_auto_generated_with_parameter() -> None:
    result = simple("Auto-Submitted: Auto-Generated; owner-email=ops@example.se\n")
    assert (result.kind, result.reason) == (EmailKind.AUTO_REPLY, "Auto-Submitted: auto-generated")


def test_auto_submitted_no_is_normal() -> None:
    assert simple("Auto-Submitted: no\n").kind == EmailKind.NORMAL


def test_x_autoreply() -> None:
    assert simple("X-Autoreply: yes\n") == Classification(EmailKind.AUTO_REPLY, "X-Autoreply: yes")


def test_x_autorespond() -> None:
    assert simple("X-Autorespond: Out of office\n") == Classification(EmailKind.AUTO_REPLY, "X-Autorespond present")


def test_x_auto_response_suppress_alone_is_normal() -> None:
    assert simple("X-Auto-Response-Suppress: All\n").kind == EmailKind.NORMAL


@pytest.mark.parametrize("value", ["bulk", "junk", "list", "Bulk"])
def test_precedence(value: str) -> None:
    assert simple(f"Precedence: {value}\n") == Classification(EmailKind.AUTO_REPLY, f"Precedence: {value.lower()}")


def test_precedence_first_class_is_normal() -> None:
    assert simple("Precedence: first-class\n").kind == EmailKind.NORMAL


@pytest.mark.parametrize(
    "subject",
    [
        "Out of Office: Fakturan",
        "Automatic reply: Fakturan",
        "AutoReply: Fakturan",
        "Autosvar: Fakturan",
        "Automatiskt svar: Fakturan",
        "Frånvaro: Fakturan",
        "Automatisk svar: Fakturan",
        "Fraværende: Fakturan",
        "Ikke til stede: Fakturan",
        "Poissaolo: Fakturan",
        "Automaattinen vastaus: Fakturan",
        "Abwesenheitsnotiz: Fakturan",
        "Automatische Antwort: Fakturan",
        "Réponse automatique : Fakturan",
        "Absence du bureau: Fakturan",
        "=?utf-8?q?Fr=C3=A5nvaro=3A_Fakturan?=",
    ],
)
def test_out_of_office_subjects(subject: str) -> None:
    assert simple(subject=subject) == Classification(EmailKind.AUTO_REPLY, "subject looks like an out-of-office reply")


@pytest.mark.parametrize(
    "subject", ["Re: Out of office", "About my absence", "Fwd: Automatic reply: x", "Reading list"]
)
def test_subjects_only_match_as_prefix(subject: str) -> None:
    assert simple(subject=subject).kind == EmailKind.NORMAL


# --------------------------------------------------------------------------------------------
# Delivery status reports
# --------------------------------------------------------------------------------------------


def test_postfix_dsn_with_rfc822_headers() -> None:
    assert verdict(POSTFIX_DSN) == Classification(
        EmailKind.BOUNCE,
        "report-type=delivery-status",
        original_message_id="<lofte.case1.msg2@lofte.test>",
        failed_recipients=["nobody@example.se"],
        diagnostic="550 5.1.1 <nobody@example.se>: Recipient address rejected: User unknown",
    )


def test_dsn_with_attached_message_and_two_recipients() -> None:
    result = verdict(
        """
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        To: support@lofte.test
        Subject: Delivery Status Notification (Failure)
        Content-Type: multipart/report; boundary=R; report-type="delivery-status"

        --R
        Content-Type: text/plain

        Address not found
        --R
        Content-Type: message/delivery-status

        Reporting-MTA: dns; googlemail.com

        Final-Recipient: rfc822; Gone@Example.com
        Action: failed
        Status: 5.1.1

        Final-Recipient: rfc822; full@example.com
        Original-Recipient: rfc822; alias@example.com
        Action: failed
        Status: 5.2.2
        Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

        --R
        Content-Type: message/rfc822

        From: support@lofte.test
        To: gone@example.com, alias@example.com
        Subject: Re: Fakturan
        Message-ID: <lofte.77@lofte.test>

        Hello
        --R--
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE,
        "report-type=delivery-status",
        original_message_id="<lofte.77@lofte.test>",
        failed_recipients=["gone@example.com", "full@example.com", "alias@example.com"],
        diagnostic="5.1.1 (failed)",
    )


def test_dsn_delayed_is_an_informational_auto_reply() -> None:
    message = POSTFIX_DSN.replace("Action: failed", "Action: delayed").replace("Status: 5.1.1", "Status: 4.4.1")
    assert verdict(message) == Classification(
        EmailKind.AUTO_REPLY, "delivery delayed notice", original_message_id="<lofte.case1.msg2@lofte.test>"
    )


def test_dsn_delivered_is_an_informational_auto_reply() -> None:
    message = POSTFIX_DSN.replace("Action: failed", "Action: delivered").replace("Status: 5.1.1", "Status: 2.0.0")
    result = verdict(message)
    assert (result.kind, result.reason) == (EmailKind.AUTO_REPLY, "delivery status notice (delivered)")


def test_dsn_with_base64_status_part() -> None:
    status = base64.b64encode(
        b"Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; x@example.org\r\nAction: failed\r\n"
        b"Status: 5.7.1\r\nDiagnostic-Code: smtp; 550 5.7.1 Rejected by policy\r\n"
    ).decode()
    result = verdict(
        f"""
        From: postmaster@example.org
        Subject: Undeliverable: Fakturan
        Content-Type: multipart/report; report-type=delivery-status; boundary=R

        --R
        Content-Type: text/plain

        Delivery has failed.
        --R
        Content-Type: message/delivery-status
        Content-Transfer-Encoding: base64

        {status}
        --R--
        """
    )
    assert (result.kind, result.failed_recipients, result.diagnostic) == (
        EmailKind.BOUNCE,
        ["x@example.org"],
        "550 5.7.1 Rejected by policy",
    )


# --------------------------------------------------------------------------------------------
# Bounces without a report part
# --------------------------------------------------------------------------------------------


def test_office365_undeliverable_with_attached_message() -> None:
    result = verdict(
        """
        From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.com>
        To: support@lofte.test
        Subject: Undeliverable: Re: Fakturan
        Content-Type: multipart/mixed; boundary=O

        --O
        Content-Type: text/plain; charset=utf-8

        Delivery has failed to these recipients or groups:

        Your message to karin@example.com couldn't be delivered.
        Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
        --O
        Content-Type: message/rfc822

        From: support@lofte.test
        Subject: Re: Fakturan
        Message-ID: <lofte.9@lofte.test>

        Body
        --O--
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE,
        "subject looks like a delivery failure",
        original_message_id="<lofte.9@lofte.test>",
        failed_recipients=["karin@example.com"],
        diagnostic=(
            "Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; "
            "Recipient not found by SMTP address lookup'"
        ),
    )


def test_gmail_failure_notice_with_message_id_in_body() -> None:
    result = verdict(
        """
        From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
        To: support@lofte.test
        Subject: Delivery Status Notification (Failure)
        Content-Type: text/plain; charset=utf-8

        ** Address not found **

        Your message wasn't delivered to nobody@gmail.com because the address couldn't be found.

        The response was:

        550 5.1.1 The email account that you tried to reach does not exist.

        ----- Original message -----

        From: support@lofte.test
        message-id:
         <lofte.10@lofte.test>
        Subject: Re: Fakturan
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE,
        "subject looks like a delivery failure",
        original_message_id="<lofte.10@lofte.test>",
        failed_recipients=["nobody@gmail.com"],
        diagnostic="550 5.1.1 The email account that you tried to reach does not exist.",
    )


def test_exim_bounce_with_x_failed_recipients() -> None:
    result = verdict(
        """
        From: Mail Delivery System <Mailer-Daemon@mail.example.net>
        To: support@lofte.test
        Subject: Mail delivery failed: returning message to sender
        X-Failed-Recipients: Someone@Example.net, other@example.net
        Auto-Submitted: auto-replied

        This message was created automatically by mail delivery software.

        A message that you sent could not be delivered to one or more of its
        recipients. This is a permanent error. The following address(es) failed:

          someone@example.net
            SMTP error from remote mail server after RCPT TO:<someone@example.net>:
            550 5.1.1 No such user

        ------ This is a copy of the message, including all the headers. ------

        Message-ID: <lofte.11@lofte.test>
        Subject: Re: Fakturan
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE,
        "X-Failed-Recipients present",
        original_message_id="<lofte.11@lofte.test>",
        failed_recipients=["someone@example.net", "other@example.net"],
        diagnostic="550 5.1.1 No such user",
    )


def test_postfix_plain_text_bounce() -> None:
    result = verdict(
        """
        From: MAILER-DAEMON (Mail Delivery System)
        To: support@lofte.test
        Subject: Undelivered Mail Returned to Sender

        <karin@example.se>: host mx.example.se[192.0.2.1] said: 550 5.1.1 User unknown

        Message-Id: <lofte.12@lofte.test>
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE,
        "subject looks like a delivery failure",
        original_message_id="<lofte.12@lofte.test>",
        failed_recipients=["karin@example.se"],
        diagnostic="<karin@example.se>: host mx.example.se[192.0.2.1] said: 550 5.1.1 User unknown",
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Olevererbart: Fakturan",
        "Kan ikke leveres: Fakturan",
        "Ei voitu toimittaa: Fakturan",
        "Returned mail: see transcript",
    ],
)
def test_nordic_and_classic_bounce_subjects(subject: str) -> None:
    result = simple(subject=subject)
    assert (result.kind, result.reason) == (EmailKind.BOUNCE, "subject looks like a delivery failure")


def test_mailer_daemon_sender_alone_is_a_bounce() -> None:
    result = simple(subject="Problem", sender="MAILER-DAEMON@mx.example.se")
    assert (result.kind, result.reason) == (EmailKind.BOUNCE, "sent by mailer-daemon@mx.example.se")


def test_delay_subject_without_report_is_an_informational_auto_reply() -> None:
    result = simple(subject="Delivery Status Notification (Delay)", sender="mailer-daemon@googlemail.com")
    assert (result.kind, result.reason) == (EmailKind.AUTO_REPLY, "delivery delayed notice")


def test_empty_return_path_alone_is_a_bounce_but_not_with_auto_reply_headers() -> None:
    assert simple("Return-Path: <>\n").kind == EmailKind.BOUNCE
    assert simple("Return-Path: <>\nAuto-Submitted: auto-replied\n") == Classification(
        EmailKind.AUTO_REPLY, "Auto-Submitted: auto-replied"
    )


def test_bounce_wins_over_auto_reply_headers() -> None:
    result = simple("Auto-Submitted: auto-replied\nX-Failed-Recipients: a@example.se\n", subject="Out of office")
    assert (result.kind, result.failed_recipients) == (EmailKind.BOUNCE, ["a@example.se"])


# --------------------------------------------------------------------------------------------
# Spam complaints and read receipts
# --------------------------------------------------------------------------------------------


def test_arf_feedback_report() -> None:
    result = verdict(
        """
        From: staff@hotmail.com
        To: abuse@lofte.test
        Subject: complaint about message from 192.0.2.5
        Content-Type: multipart/report; report-type=feedback-report; boundary=F

        --F
        Content-Type: text/plain

        This is an email abuse report.
        --F
        Content-Type: message/feedback-report

        Feedback-Type: abuse
        User-Agent: SomeGenerator/1.0
        Version: 1

        --F
        Content-Type: message/rfc822

        From: support@lofte.test
        Subject: Re: Fakturan
        Message-ID: <lofte.13@lofte.test>

        Body
        --F--
        """
    )
    assert result == Classification(
        EmailKind.FEEDBACK_REPORT, "report-type=feedback-report", original_message_id="<lofte.13@lofte.test>"
    )


def test_feedback_report_wins_over_bounce_signals() -> None:
    result = verdict(
        """
        From: MAILER-DAEMON@example.com
        Subject: Undeliverable: abuse report
        Content-Type: multipart/report; report-type=feedback-report; boundary=F

        --F
        Content-Type: text/plain

        Report
        --F--
        """
    )
    assert (result.kind, result.original_message_id) == (EmailKind.FEEDBACK_REPORT, "")


def test_read_receipt_disposition_notification() -> None:
    result = verdict(
        """
        From: Karin <karin@example.se>
        To: support@lofte.test
        Subject: Read: Re: Fakturan
        Content-Type: multipart/report; report-type=disposition-notification; boundary=D

        --D
        Content-Type: text/plain

        Your message was read on Monday.
        --D
        Content-Type: message/disposition-notification

        Reporting-UA: karin-pc; Microsoft Outlook 16.0
        Final-Recipient: rfc822;karin@example.se
        Original-Message-ID: <lofte.14@lofte.test>
        Disposition: manual-action/MDN-sent-manually; displayed

        --D--
        """
    )
    assert result == Classification(
        EmailKind.READ_RECEIPT,
        "report-type=disposition-notification (manual-action/MDN-sent-manually; displayed)",
        original_message_id="<lofte.14@lofte.test>",
    )


def test_swedish_read_receipt_subject_on_a_report_beats_empty_return_path() -> None:
    result = verdict(
        """
        Return-Path: <>
        From: Karin <karin@example.se>
        Subject: =?utf-8?q?L=C3=A4st=3A_Fakturan?=
        In-Reply-To: <lofte.15@lofte.test>
        Content-Type: multipart/report; boundary=D

        --D
        Content-Type: text/plain

        Read.
        --D--
        """
    )
    assert result == Classification(
        EmailKind.READ_RECEIPT, "read receipt subject", original_message_id="<lofte.15@lofte.test>"
    )


def test_read_subject_on_plain_mail_is_normal() -> None:
    assert simple(subject="Read: the manual").kind == EmailKind.NORMAL


def test_status_part_without_report_type_is_still_a_delivery_report() -> None:
    result = verdict(
        """
        From: postmaster@example.org
        Subject: Notice
        Content-Type: multipart/report; boundary=R

        --R
        Content-Type: text/plain

        Failed.
        --R
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.org

        Final-Recipient: rfc822; x@example.org
        Status: 5.0.0

        --R--
        """
    )
    assert result == Classification(
        EmailKind.BOUNCE, "delivery status report", failed_recipients=["x@example.org"], diagnostic="5.0.0 (failed)"
    )
