"""A scripted transport for outbox tests: records what it was asked to send and does what it is told.

Point a channel at it with `settings.LOFTE_TRANSPORTS = {"test": SCRIPTED}`. Each call takes the
next step from `ScriptedTransport.script` (an exception to raise, or a callable run with the row
before returning); when the script is empty, the send succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from lofte.outbox.models import OutboxMessage
from lofte.outbox.transports import PermanentFailure

SCRIPTED = "lofte.outbox.tests.transports.ScriptedTransport"
REFUSING = "lofte.outbox.tests.transports.RefusingTransport"

Step = BaseException | Callable[[OutboxMessage], None]


class ScriptedTransport:
    script: ClassVar[list[Step]] = []
    sent: ClassVar[list[tuple[int, str]]] = []  # (row id, external id) of every call

    @classmethod
    def reset(cls) -> None:
        cls.script = []
        cls.sent = []

    def send(self, row: OutboxMessage) -> str:
        type(self).sent.append((row.pk, row.external_id))
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, BaseException):
                raise step
            step(row)
        return f"provider-{row.pk}"


class RefusingTransport:
    def send(self, row: OutboxMessage) -> str:
        raise PermanentFailure("Refused by the relay.")
