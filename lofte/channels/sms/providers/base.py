"""What every SMS provider adapter offers, and what it hands back.

    provider.send(to, text, callback_url=...) -> the provider's id for the message
    provider.verify(request, token=...) -> bool   (check() says why not, as a reason code)
    provider.parse_inbound(request) -> InboundSmsData
    provider.parse_receipt(request) -> Receipt

A provider raises PermanentFailure when the message can never go (the
provider refused it: a 4xx answer) and SmsDeferred when it may go later (5xx,
a timeout, the network); the outbox retries the second kind.

A provider is made with the settings in effect (lofte.channels.sms.config:
the settings page's, else the environment's), read when it is made: one
provider object per send or webhook, so a saved change holds for the next.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from django.http import HttpRequest
from django.utils.translation import gettext as _

from lofte.channels.sms.config import SmsConfig, sms_config
from lofte.core.errors import ValidationFailed

logger = logging.getLogger(__name__)


class SmsDeferred(Exception):
    """The provider could not take the message now (5xx, timeout, network); try again later."""


@dataclass(frozen=True)
class InboundSmsData:
    """One SMS as the provider posted it (the sender not yet normalised)."""

    provider_id: str
    sender: str
    recipient: str
    text: str
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Receipt:
    """A delivery report: the provider's id, "sent", "delivered" or "failed", and when it was delivered."""

    provider_id: str
    status: str
    delivered_at: datetime | None = None
    outbox_id: int | None = None  # from the receipt URL Lofte gave the provider


class SmsProvider(Protocol):
    name: str
    config: SmsConfig

    def send(self, to: str, text: str, *, callback_url: str) -> str: ...

    def check(self, request: HttpRequest, *, token: str) -> str: ...

    def verify(self, request: HttpRequest, *, token: str) -> bool: ...

    def parse_inbound(self, request: HttpRequest) -> InboundSmsData: ...

    def parse_receipt(self, request: HttpRequest) -> Receipt: ...


def client_ip_allowed(remote_addr: str, allowed: tuple[str, ...] | list[str] | None = None) -> bool:
    """True when the allowed addresses (default: the settings in effect) are none or hold the address (or a
    network around it)."""
    if allowed is None:
        allowed = sms_config().allowed_ips
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return False
    for entry in allowed:
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            logger.warning("SMS allowed addresses: %r is not an address or network; ignored", entry)
    return False


class Configured:
    """A provider made with the settings in effect (or the ones given, e.g. by the settings page's test)."""

    def __init__(self, config: SmsConfig | None = None) -> None:
        self.config = config if config is not None else sms_config()


class TokenWebhooks(Configured):
    """Webhooks authenticated by a secret token in the URL path, and optionally by the caller's address.

    For providers that sign nothing (46elks): the token is only in the URLs
    Lofte gives the provider, so a caller who knows it got it from there.
    """

    def check(self, request: HttpRequest, *, token: str) -> str:
        """ "" when the request may be believed, else a reason code."""
        expected = self.config.webhook_token
        if not expected:
            return "webhooks_disabled"
        if not secrets.compare_digest(token.encode(), expected.encode()):
            return "bad_token"
        if not client_ip_allowed(request.META.get("REMOTE_ADDR", ""), self.config.allowed_ips):
            return "ip_not_allowed"
        return ""

    def verify(self, request: HttpRequest, *, token: str) -> bool:
        return self.check(request, token=token) == ""


def form_field(request: HttpRequest, name: str, *, required: bool = True) -> str:
    value = request.POST.get(name, "")
    if required and not value:
        raise ValidationFailed(_("The field '%(name)s' is missing.") % {"name": name}, field=name)
    return value


def parse_utc(value: str, *, field: str) -> datetime | None:
    """A provider's timestamp ("2018-07-13T13:57:23.741000", UTC when it names no zone), or None when empty."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError as exc:
        raise ValidationFailed(_("'%(value)s' is not a date and time.") % {"value": value[:40]}, field=field) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def outbox_id_from(request: HttpRequest) -> int | None:
    value = request.GET.get("outbox", "")
    return int(value) if value.isdigit() else None
