"""Outbound email through Django's email backend (SMTP in production).

An SMTP answer in the 5xx range about this message (the recipient refused,
the content refused) is final: the row is dead at once. Everything else
(4xx answers, a server that is down, a timeout) is retried by the outbox.
"""

from __future__ import annotations

import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email

from lofte.outbox.models import OutboxMessage
from lofte.outbox.services import outbox_fix_external_id
from lofte.outbox.transports import PermanentFailure


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


class EmailTransport:
    def send(self, row: OutboxMessage) -> str:
        _check_address(row.to)
        payload = row.payload
        # The Message-ID is fixed before the first attempt, so every retry sends the same one.
        message_id = row.external_id or outbox_fix_external_id(
            row=row, value=make_msgid(domain=settings.LOFTE_MESSAGE_ID_DOMAIN)
        )
        headers = dict(payload.get("headers") or {})
        headers["Message-ID"] = message_id
        reply_to = payload.get("reply_to") or None
        message = EmailMultiAlternatives(
            subject=payload.get("subject", ""),
            body=payload.get("text", ""),
            from_email=payload.get("from") or settings.DEFAULT_FROM_EMAIL,
            to=[row.to],
            reply_to=[reply_to] if isinstance(reply_to, str) else reply_to,
            headers=headers,
        )
        if html := payload.get("html"):
            message.attach_alternative(html, "text/html")
        try:
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
