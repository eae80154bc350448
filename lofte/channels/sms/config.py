"""The SMS settings in effect: the one place that decides them.

    config = sms_config()      # one query
    config.provider            # "console", "46elks", or "" when SMS is off
    config.sender, config.elks_username, config.elks_password, config.webhook_token, config.allowed_ips

The row an admin saved on the settings page (models.SmsSettings, /configure/sms/) wins; while there is none,
the environment's settings apply exactly as before there was a page (LOFTE_SMS_PROVIDER, LOFTE_SMS_FROM,
LOFTE_SMS_WEBHOOK_TOKEN, LOFTE_SMS_ALLOWED_IPS, LOFTE_SMS_46ELKS_USERNAME and _PASSWORD). Where 46elks is
(LOFTE_SMS_46ELKS_URL), where the console provider writes (LOFTE_SMS_FILE_PATH) and how long a send may take
(LOFTE_SMS_TIMEOUT_SECONDS) are the deployment's, never the page's: whoever can change the page cannot have
the stored password sent to a server of their choosing.

Nothing is cached between calls: the web processes and the worker each read the row when they need it (a
send, a webhook), so a change saved in one process holds in every other at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from lofte.channels.sms.models import SmsProviderChoice, SmsSettings

OFF = ("", SmsProviderChoice.NONE.value)
KNOWN = tuple(value for value in SmsProviderChoice.values if value not in OFF)
ENVIRONMENT = "environment"
SAVED = "saved"


def provider_name(value: str | None) -> str:
    """A provider's name as configured: lower case, "" for none ("none" or empty)."""
    name = str(value or "").strip().lower()
    return "" if name in OFF else name


@dataclass(frozen=True)
class SmsConfig:
    """The SMS settings in effect, and where they come from (`source`: "saved" or "environment")."""

    provider: str  # "console", "46elks", or "" when SMS is off
    sender: str
    elks_username: str
    elks_password: str
    webhook_token: str
    allowed_ips: tuple[str, ...]
    source: str
    elks_url: str = ""
    file_path: str = ""
    timeout_seconds: int = 15
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    @property
    def on(self) -> bool:
        """A provider Lofte has is chosen (it sends only when the SMS transport is installed too:
        sms_transport_installed)."""
        return self.provider in KNOWN

    @property
    def saved(self) -> bool:
        return self.source == SAVED

    @property
    def webhooks_on(self) -> bool:
        return bool(self.webhook_token)

    @property
    def sender_is_number(self) -> bool:
        return self.sender.startswith("+")

    def where(self, setting: str) -> str:
        """Where an admin changes a setting, for messages: the page, or the environment variable."""
        return "the SMS settings page (/configure/sms/)" if self.saved else setting


def _deployment() -> dict[str, object]:
    return {
        "elks_url": str(settings.LOFTE_SMS_46ELKS_URL or ""),
        "file_path": str(settings.LOFTE_SMS_FILE_PATH or ""),
        "timeout_seconds": int(settings.LOFTE_SMS_TIMEOUT_SECONDS),
    }


def environment_config() -> SmsConfig:
    """What the environment settings say (what applies while nothing is saved on the page)."""
    return SmsConfig(
        provider=provider_name(settings.LOFTE_SMS_PROVIDER),
        sender=str(settings.LOFTE_SMS_FROM or ""),
        elks_username=str(settings.LOFTE_SMS_46ELKS_USERNAME or ""),
        elks_password=str(settings.LOFTE_SMS_46ELKS_PASSWORD or ""),
        webhook_token=str(settings.LOFTE_SMS_WEBHOOK_TOKEN or ""),
        allowed_ips=tuple(str(entry).strip() for entry in settings.LOFTE_SMS_ALLOWED_IPS or () if str(entry).strip()),
        source=ENVIRONMENT,
        **_deployment(),  # type: ignore[arg-type]
    )


def config_from_row(row: SmsSettings) -> SmsConfig:
    return SmsConfig(
        provider=provider_name(row.provider),
        sender=row.sender,
        elks_username=row.elks_username,
        elks_password=row.elks_password,
        webhook_token=row.webhook_token,
        allowed_ips=tuple(str(entry) for entry in row.allowed_ips or ()),
        source=SAVED,
        updated_at=row.updated_at,
        updated_by_id=row.updated_by_id,
        **_deployment(),  # type: ignore[arg-type]
    )


def sms_config() -> SmsConfig:
    """The settings in effect now: the saved row, else the environment's (one query)."""
    row = SmsSettings.objects.filter(pk=1).first()
    return environment_config() if row is None else config_from_row(row)


def sms_on() -> bool:
    """Whether SMS goes out now: a provider is chosen (lofte.outbox.transports.channel_on asks this for "sms")."""
    return sms_config().on


def sms_transport_installed() -> bool:
    """Whether this installation hands SMS to the SMS transport at all (LOFTE_TRANSPORTS["sms"]).

    It always is unless a deployment removes it; which provider the transport then uses, and whether SMS is
    sent at all, is sms_config()'s (sms_on)."""
    return "sms" in settings.LOFTE_TRANSPORTS


def webhook_url(
    config: SmsConfig, *, provider: str | None = None, receipt: bool = False, token: str | None = None
) -> str:
    """The URL the provider posts inbound SMS (or, with receipt, delivery reports) to, with the secret token;
    "" when webhooks are off (no token). `token` replaces the token in the URL (e.g. a masked one to show)."""
    if not config.webhook_token:
        return ""
    name = provider if provider is not None else config.provider
    base = settings.LOFTE_BASE_URL.rstrip("/")
    shown = config.webhook_token if token is None else token
    return f"{base}/api/v1/inbound/sms/{name}/{shown}" + ("/receipt" if receipt else "")


def masked(token: str) -> str:
    """A token as the page shows it when it is not being revealed: its first four characters."""
    return f"{token[:4]}…" if token else ""
