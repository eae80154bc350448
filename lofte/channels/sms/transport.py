"""Outbound SMS through the outbox: settings.LOFTE_TRANSPORTS["sms"] = "lofte.channels.sms.transport.SmsTransport".

Before anything leaves, the number is normalised to E.164 (an invalid one
fails the row at once, with the reason), a number that opted out (STOP) is
refused, and a text longer than LOFTE_SMS_MAX_SEGMENTS SMS is refused. The
provider is given a receipt URL naming the row, so its delivery reports find
it. The confirmation of an opt-out itself is the one SMS sent to a number
that opted out.
"""

from __future__ import annotations

from django.conf import settings

from lofte.channels.sms.config import SmsConfig, sms_config
from lofte.channels.sms.config import webhook_url as config_webhook_url
from lofte.channels.sms.providers import PROVIDERS, get_provider
from lofte.channels.sms.segments import segments
from lofte.channels.sms.selectors import sms_opted_out
from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise_phone
from lofte.outbox.models import OutboxMessage
from lofte.outbox.transports import PermanentFailure

OPT_OUT_CONFIRMATION = "opt_out_confirmation"


def webhook_url(provider: str, *, receipt: bool = False, config: SmsConfig | None = None) -> str:
    """The URL the provider posts to (with the secret token), or "" when webhooks are off (no token)."""
    return config_webhook_url(config if config is not None else sms_config(), provider=provider, receipt=receipt)


def receipt_url(provider: str, row_id: int, *, config: SmsConfig | None = None) -> str:
    url = webhook_url(provider, receipt=True, config=config)
    return f"{url}?outbox={row_id}" if url else ""


class SmsTransport:
    def send(self, row: OutboxMessage) -> str:
        config = sms_config()
        provider = get_provider(config=config)
        if provider is None:
            if config.saved:
                raise PermanentFailure("SMS is off: no provider is chosen on the SMS settings page (/configure/sms/).")
            raise PermanentFailure(
                f"No SMS provider is configured (LOFTE_SMS_PROVIDER is {settings.LOFTE_SMS_PROVIDER!r}; "
                f"it is one of {', '.join(PROVIDERS)} or none)."
            )
        try:
            to = normalise_phone(row.to, field="to")
        except ValidationFailed as exc:
            raise PermanentFailure(f"The SMS cannot be sent: {exc.message}") from exc
        text = str(row.payload.get("text") or "").strip()
        if not text:
            raise PermanentFailure("The SMS has no text.")
        if row.payload.get("kind") != OPT_OUT_CONFIRMATION and sms_opted_out(phone=to):
            raise PermanentFailure(
                f"{to} has opted out of SMS (it sent STOP); nothing is sent to it by SMS until it sends START."
            )
        count = segments(text)
        if count.segments > settings.LOFTE_SMS_MAX_SEGMENTS:
            raise PermanentFailure(
                f"The text is {count.segments} SMS long ({count.encoding}); at most "
                f"{settings.LOFTE_SMS_MAX_SEGMENTS} are sent (LOFTE_SMS_MAX_SEGMENTS)."
            )
        return provider.send(to, text, callback_url=receipt_url(provider.name, row.pk, config=config))
