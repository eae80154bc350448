"""Test messages built with the standard library."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mail(
    *,
    sender: str = "Karin Kund <karin@example.se>",
    to: str = "support@lofte.test",
    subject: str = "Fakturan",
    body: str = "Hej!\n\nFakturan är fel.\n\nMvh Karin",
    message_id: str | None = "<new-1@mail.example.se>",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(T0)
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()
