"""A real SMTP server on loopback for tests (aiosmtpd), and the settings that point the mailer at it.

    with smtp_server(handler := Recorder()) as port:
        use_smtp(settings, port)
        ...
        assert handler.messages[0]["Subject"] == ...

The server is stopped when the `with` block ends, whatever happens inside it.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    """A loopback port nobody listens on (the kernel picked it; it is free once closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts.

    `rcpt_reply` answers every RCPT TO (e.g. "550 5.1.1 No such user") instead of accepting it;
    `data_replies` answers the next DATA commands in turn (e.g. ["451 4.3.0 Try again"]) before
    accepting again. `attempts` holds every message that reached DATA, accepted or not.
    """

    def __init__(self, *, rcpt_reply: str | None = None, data_replies: list[str] | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.data_replies = list(data_replies or [])
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.attempts: list[EmailMessage] = []
        self.received = threading.Event()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.attempts.append(message)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.messages.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.set()
        return "250 Message accepted for delivery"

    def wait(self, timeout: float) -> bool:
        return self.received.wait(timeout)


@contextmanager
def smtp_server(handler: Any) -> Iterator[int]:
    """Run an SMTP server on 127.0.0.1 with `handler`; yields its port; stops it on exit."""
    controller = Controller(handler, hostname=HOST, port=free_port())
    controller.start()
    try:
        yield int(controller.port)
    finally:
        controller.stop()


def mailers(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": HOST, "port": port, "timeout": 5},
        }
    }


def use_smtp(settings: Any, port: int) -> None:
    """Point the default mailer at the SMTP server on `port` (pytest-django's `settings` fixture)."""
    settings.MAILERS = mailers(port)
