"""SMS providers, chosen on the SMS settings page, else by settings.LOFTE_SMS_PROVIDER (lofte.channels.sms.config):
"console" (the default, writes files), "46elks", or "none" / "" (no SMS)."""

from __future__ import annotations

from collections.abc import Callable

from lofte.channels.sms.config import OFF, SmsConfig, sms_config
from lofte.channels.sms.providers.base import InboundSmsData, Receipt, SmsDeferred, SmsProvider
from lofte.channels.sms.providers.console import ConsoleProvider
from lofte.channels.sms.providers.elks import ElksProvider

__all__ = [
    "OFF",
    "PROVIDERS",
    "InboundSmsData",
    "Receipt",
    "SmsDeferred",
    "SmsProvider",
    "configured",
    "get_provider",
]

PROVIDERS: dict[str, Callable[[SmsConfig], SmsProvider]] = {
    ConsoleProvider.name: ConsoleProvider,
    ElksProvider.name: ElksProvider,
}


def configured(config: SmsConfig | None = None) -> str:
    """The configured provider's name, or "" when SMS is off ("none" or empty)."""
    return (config if config is not None else sms_config()).provider


def get_provider(name: str | None = None, *, config: SmsConfig | None = None) -> SmsProvider | None:
    """The provider by name (default: the configured one), made with the settings in effect (or `config`), or None
    when there is none by that name."""
    config = config if config is not None else sms_config()
    name = config.provider if name is None else name
    cls = PROVIDERS.get(name)
    return cls(config) if cls is not None else None
