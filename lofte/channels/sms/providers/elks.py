"""46elks (https://46elks.se/docs), a Nordic SMS provider.

Sending: POST {LOFTE_SMS_46ELKS_URL}/sms with HTTP basic auth (the API
username and password, from the SMS settings page or the environment:
lofte.channels.sms.config) and the form fields from, to, message and
whendelivered (Lofte's receipt URL); the answer is JSON with the message's
"id". Inbound SMS and delivery reports arrive as form posts (from, to,
message, id, created; id, status, delivered). 46elks signs nothing: its
webhooks are authenticated by the secret token in the URL (and optionally
the caller's address; see TokenWebhooks).

A 4xx answer is final (a bad number, a refused sender, no credit), except
408 and 429, which like 5xx, timeouts and network errors are tried again.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.request
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest

from lofte.channels.sms.providers.base import (
    InboundSmsData,
    Receipt,
    SmsDeferred,
    TokenWebhooks,
    form_field,
    outbox_id_from,
    parse_utc,
)
from lofte.outbox.transports import PermanentFailure

logger = logging.getLogger(__name__)

RETRIED_4XX = (408, 429)


class ElksWebhookFormat:
    """46elks' webhook forms (inbound: id, from, to, message, created; receipts: id, status, delivered).
    The console provider takes the same forms, so a developer can post one with curl."""

    def parse_inbound(self, request: HttpRequest) -> InboundSmsData:
        return InboundSmsData(
            provider_id=form_field(request, "id"),
            sender=form_field(request, "from"),
            recipient=form_field(request, "to", required=False),
            text=form_field(request, "message", required=False),
            sent_at=parse_utc(form_field(request, "created", required=False), field="created"),
        )

    def parse_receipt(self, request: HttpRequest) -> Receipt:
        return Receipt(
            provider_id=form_field(request, "id"),
            status=form_field(request, "status"),
            delivered_at=parse_utc(form_field(request, "delivered", required=False), field="delivered"),
            outbox_id=outbox_id_from(request),
        )


class ElksProvider(ElksWebhookFormat, TokenWebhooks):
    name = "46elks"

    def _request(self, data: dict[str, str]) -> urllib.request.Request:
        base = self.config.elks_url.rstrip("/")
        if urlsplit(base).scheme not in ("http", "https"):
            raise PermanentFailure(f"LOFTE_SMS_46ELKS_URL must be an http(s) URL, not {base!r}.")
        username, password = self.config.elks_username, self.config.elks_password
        if not username or not password:
            where = self.config.where("LOFTE_SMS_46ELKS_USERNAME and LOFTE_SMS_46ELKS_PASSWORD")
            raise PermanentFailure(f"The 46elks API username and password must be set to send SMS ({where}).")
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return urllib.request.Request(  # noqa: S310 (the scheme is checked above)
            f"{base}/sms",
            data=urlencode(data).encode("ascii"),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )

    def send(self, to: str, text: str, *, callback_url: str) -> str:
        sender = self.config.sender
        if not sender:
            where = self.config.where("LOFTE_SMS_FROM")
            raise PermanentFailure(f"The sender (a number or a name) must be set to send SMS ({where}).")
        data = {"from": sender, "to": to, "message": text}
        if callback_url:
            data["whendelivered"] = callback_url
        request = self._request(data)
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout_seconds) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as exc:
            answer = exc.read()[:500].decode("utf-8", errors="replace").strip()
            if 400 <= exc.code < 500 and exc.code not in RETRIED_4XX:
                raise PermanentFailure(f"46elks refused the SMS to {to} ({exc.code}): {answer}") from exc
            raise SmsDeferred(f"46elks could not take the SMS now ({exc.code}): {answer}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SmsDeferred(f"46elks could not be reached: {exc}") from exc
        try:
            provider_id = str(json.loads(body)["id"])
        except (ValueError, KeyError, TypeError):
            # it was accepted (2xx): sending again could send it twice, so it counts as sent without an id
            logger.warning("46elks accepted an SMS but its answer had no id: %r", body[:200])
            return ""
        return provider_id
