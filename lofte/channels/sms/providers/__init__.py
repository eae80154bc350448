"""SMS providers, chosen by settings.LOFTE_SMS_PROVIDER: "console" (the default, writes files), "46elks", or
"none" / "" (no SMS)."""

from __future__ import annotations

from django.conf import settings

from lofte.channels.sms.providers.base import InboundSmsData, Receipt, SmsDeferred, SmsProvider
from lofte.channels.sms.providers.console import ConsoleProvider
from lofte.channels.sms.providers.elks import ElksProvider

__all__ = ["PROVIDERS", "InboundSmsData", "Receipt", "SmsDeferred", "SmsProvider", "configured", "get_provider"]

PROVIDERS: dict[str, type[SmsProvider]] = {ConsoleProvider.name: ConsoleProvider, ElksProvider.name: ElksProvider}


OFF = ("", "none")


def configured() -> str:
    """The configured provider's name, or "" when SMS is off ("none" or empty)."""
    name = str(settings.LOFTE_SMS_PROVIDER or "").strip().lower()
    return "" if name in OFF else name


def get_provider(name: str | None = None) -> SmsProvider | None:
    """The provider by name (default: the configured one), or None when there is none by that name."""
    name = configured() if name is None else name
    cls = PROVIDERS.get(name)
    return cls() if cls is not None else None
