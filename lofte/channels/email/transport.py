"""Outbound email through Django's email backend (SMTP in production).

A reply is multipart/alternative (text and sanitised HTML) with its files
attached (an image its HTML shows travels inline, in a multipart/related with
the HTML), sent from the address the customer wrote to. When that address is a
mailbox with SMTP settings of its own, it goes out through that server;
otherwise through the global mailer. Automatic messages carry
`Auto-Submitted: auto-replied` and are never sent to Lofte's own addresses.

An SMTP answer in the 5xx range about this message (the recipient refused,
the content refused) is final: the row is dead at once. Everything else
(4xx answers, a server that is down, a timeout) is retried by the outbox.
"""

from __future__ import annotations

import email.message
import smtplib
from email.utils import make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.validators import validate_email

from lofte.cases.models import Attachment
from lofte.channels.email.addresses import own_addresses
from lofte.channels.models import Mailbox, Security
from lofte.core.html import sanitise_html
from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_fix_external_id
from lofte.outbox.transports import PermanentFailure

HTML_DOCUMENT = (
    '<!doctype html><html><head><meta charset="utf-8"></head>'
    '<body style="font-family: sans-serif; line-height: 1.4">%s</body></html>'
)


class MailDeferred(Exception):
    """The mail server answered 4xx: try again later."""


def _answer(code: int, message: bytes | str) -> str:
    text = message.decode(errors="replace") if isinstance(message, bytes) else message
    return f"{code} {text}"


def _check_address(to: str) -> None:
    try:
        validate_email(to)
    except ValidationError as exc:
        raise PermanentFailure(f"The address cannot be sent to: {to!r} is not one email address.") from exc


def _mailbox_for(from_email: str) -> Mailbox | None:
    return own_addresses().get(parseaddr(from_email)[1].lower())


def _smtp_backend(mailbox: Mailbox) -> SmtpBackend:
    # a connection of its own, configured here rather than in MAILERS (the alias names it in logs)
    return SmtpBackend(
        alias=f"mailbox:{mailbox.name}",
        host=mailbox.smtp_host,
        port=mailbox.smtp_port,
        username=mailbox.smtp_user,
        password=mailbox.smtp_password,
        use_tls=mailbox.smtp_security == Security.STARTTLS,
        use_ssl=mailbox.smtp_security == Security.SSL,
        timeout=30,
    )


class _Email(EmailMultiAlternatives):
    """A reply whose HTML shows some of its files as images: those go into a multipart/related with the HTML
    part (each with its Content-ID, inline), the others are attached as usual."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.related: list[tuple[bytes, str, str, str]] = []  # content, type, Content-ID, file name

    def _add_bodies(self, msg: email.message.EmailMessage) -> None:
        super()._add_bodies(msg)  # type: ignore[misc]  # Django's own step (not in the stubs)
        if not self.related:
            return
        html = msg.get_body(preferencelist=("html",))
        if html is None:
            return
        for content, mimetype, content_id, filename in self.related:
            maintype, subtype = mimetype.split("/", 1)
            html.add_related(
                content,
                maintype=maintype,
                subtype=subtype,
                cid=f"<{content_id}>",
                filename=filename,
                disposition="inline",
            )


def _attach_files(message: _Email, ids: list[int], html: str) -> None:
    """The files of the reply: an image its HTML shows (`cid:` its Content-ID) inline, the rest attached."""
    for attachment in Attachment.objects.filter(pk__in=ids).order_by("id"):
        with attachment.file.open("rb") as handle:
            content = handle.read()
        content_type = attachment.content_type if "/" in attachment.content_type else "application/octet-stream"
        if attachment.content_id and f'"cid:{attachment.content_id}"' in html:
            message.related.append((content, content_type, attachment.content_id, attachment.filename))
        else:
            message.attach(attachment.filename, content, content_type)


class EmailTransport:
    def send(self, row: OutboxMessage) -> str:
        _check_address(row.to)
        payload = row.payload
        automatic = bool(payload.get("automatic"))
        if automatic and row.to.lower() in own_addresses():
            raise PermanentFailure(f"{row.to} is one of Lofte's own addresses; automatic mail is never sent to it.")
        # The Message-ID is fixed before the first attempt, so every retry sends the same one.
        message_id = row.external_id or outbox_fix_external_id(
            row=row, value=make_msgid(domain=settings.LOFTE_MESSAGE_ID_DOMAIN)
        )
        headers = dict(payload.get("headers") or {})
        headers["Message-ID"] = message_id
        if automatic:
            headers["Auto-Submitted"] = "auto-replied"
            headers["X-Auto-Response-Suppress"] = "All"
        reply_to = payload.get("reply_to") or None
        from_email = payload.get("from") or settings.DEFAULT_FROM_EMAIL
        mailbox = _mailbox_for(from_email)
        if mailbox is not None and mailbox.display_name and "<" not in from_email:
            from_email = mailbox.from_header
        cc, bcc = list(payload.get("cc") or []), list(payload.get("bcc") or [])
        for copy in (*cc, *bcc):
            _check_address(copy)
        message = _Email(
            subject=payload.get("subject", ""),
            body=payload.get("text", ""),
            from_email=from_email,
            to=[row.to],
            cc=cc or None,
            bcc=bcc or None,
            reply_to=[reply_to] if isinstance(reply_to, str) else reply_to,
            headers=headers,
        )
        html = sanitise_html(payload.get("html") or "")
        if html:
            message.attach_alternative(HTML_DOCUMENT % html, "text/html")
        if ids := payload.get("attachments"):
            _attach_files(message, ids, html)
        try:
            if mailbox is not None and mailbox.smtp_host:
                _smtp_backend(mailbox).send_messages([message])
            else:
                message.send(using="default")
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients.get(row.to) or next(iter(exc.recipients.values()), (0, b""))
            if code >= 500:
                raise PermanentFailure(
                    f"The mail server refused the recipient {row.to}: {_answer(code, answer)}"
                ) from exc
            raise MailDeferred(f"The mail server deferred the recipient {row.to}: {_answer(code, answer)}") from exc
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                raise PermanentFailure(
                    f"The mail server refused the message: {_answer(exc.smtp_code, exc.smtp_error)}"
                ) from exc
            raise MailDeferred(
                f"The mail server deferred the message: {_answer(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        return message_id
