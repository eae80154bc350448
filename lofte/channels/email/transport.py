"""Outbound email through Django's email backend (SMTP in production)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers

from lofte.outbox.models import OutboxMessage
from lofte.outbox.transports import PermanentFailure


class EmailTransport:
    def send(self, row: OutboxMessage) -> str:
        payload = row.payload
        headers = dict(payload.get("headers") or {})
        headers["Message-ID"] = row.external_id
        message = EmailMultiAlternatives(
            subject=payload.get("subject", ""),
            body=payload.get("text", ""),
            from_email=payload.get("from") or settings.DEFAULT_FROM_EMAIL,
            to=[row.to],
            reply_to=payload.get("reply_to") or None,
            headers=headers,
            connection=mailers.default,
        )
        if html := payload.get("html"):
            message.attach_alternative(html, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(f"The mail server refused the recipient {row.to}.") from exc
        return row.external_id
