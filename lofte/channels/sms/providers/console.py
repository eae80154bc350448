"""The development and test provider: each SMS is one JSON line in LOFTE_SMS_FILE_PATH/<date>.jsonl (the sender
is the one in effect: the settings page's, else LOFTE_SMS_FROM).

Its webhooks take the same form fields as 46elks (from, to, message, id,
created; and id, status, delivered for receipts), so a developer can post an
inbound SMS with curl.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from lofte.channels.sms.providers.base import (
    TokenWebhooks,
)
from lofte.channels.sms.providers.elks import ElksWebhookFormat
from lofte.core import clock


class ConsoleProvider(ElksWebhookFormat, TokenWebhooks):
    name = "console"

    def send(self, to: str, text: str, *, callback_url: str) -> str:
        now = clock.now()
        provider_id = f"console-{uuid.uuid4().hex}"
        line = {
            "id": provider_id,
            "at": now.isoformat(),
            "from": self.config.sender,
            "to": to,
            "message": text,
            "callback_url": callback_url,
        }
        directory = Path(self.config.file_path)
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / f"{now.date().isoformat()}.jsonl").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        return provider_id
