"""Writes of the SMS settings page (/configure/sms/ and /api/v1/settings/sms): admins only.

    sms_settings_save(actor=..., values=SmsSettingsValues(...))   -> SmsSettings
    sms_webhook_token_new(actor=...)                             -> the new token (shown once)

The first save turns the settings in effect (the environment's) into the row, so a field left empty keeps what
applied before: saving the page once changes nothing that is not changed on it. The password and the webhook
token are write-only: None keeps the stored one, `clear_*` empties it, a new value replaces it. The whole set
is validated before anything is written (a refusal names its field and leaves the row as it was); each save
writes who and when on the row and one line to the log (never a secret).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.channels.sms.config import SmsConfig, config_from_row, environment_config, provider_name, sms_config
from lofte.channels.sms.models import SmsProviderChoice, SmsSettings
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise_phone

logger = logging.getLogger(__name__)

MAX_ALPHANUMERIC_SENDER = 11
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9 ]+")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")
MIN_TOKEN, MAX_TOKEN = 16, 128
MAX_ALLOWED_IPS = 50
MAX_SECRET = 255
TOKEN_BYTES = 24  # 32 URL-safe characters


@dataclass(frozen=True)
class SmsSettingsValues:
    """What people set. A secret of None keeps the stored one; clear_* empties it."""

    provider: str
    sender: str = ""
    elks_username: str = ""
    elks_password: str | None = None
    clear_elks_password: bool = False
    webhook_token: str | None = None
    clear_webhook_token: bool = False
    allowed_ips: tuple[str, ...] = ()


def check_sender(value: str) -> str:
    """A phone number, as E.164 (a number without a country code is read as LOFTE_PHONE_REGION's), or a name of at
    most 11 letters, digits and spaces with at least one letter; "" for none."""
    sender = (value or "").strip()
    if not sender:
        return ""
    if any(c.isalpha() for c in sender):
        if len(sender) <= MAX_ALPHANUMERIC_SENDER and _ALPHANUMERIC.fullmatch(sender) and sender.isascii():
            return sender
        raise ValidationFailed(
            _("A sender name is at most %(max)d characters: the letters A to Z (without å, ä, ö), digits and spaces.")
            % {"max": MAX_ALPHANUMERIC_SENDER},
            field="sender",
        )
    try:
        return normalise_phone(sender, field="sender")
    except ValidationFailed:
        raise ValidationFailed(
            _(
                "'%(value)s' is neither a phone number (in E.164, e.g. +46701234567) nor a sender name of at most "
                "%(max)d letters, digits and spaces."
            )
            % {"value": sender[:40], "max": MAX_ALPHANUMERIC_SENDER},
            field="sender",
        ) from None


def check_allowed_ips(entries: Iterable[str]) -> list[str]:
    """Each an IP address or a network (10.0.0.0/24, 2001:db8::/32), normalised; duplicates and empty lines go."""
    result: list[str] = []
    for raw in entries:
        entry = (raw or "").strip()
        if not entry:
            continue
        try:
            value = str(ipaddress.ip_network(entry, strict=True)) if "/" in entry else str(ipaddress.ip_address(entry))
        except ValueError:
            network = _loose_network(entry)
            if network:
                message = _("'%(value)s' has bits set after the prefix: the network is %(network)s.") % {
                    "value": entry[:60],
                    "network": network,
                }
            else:
                message = _("'%(value)s' is not an IP address or a network (like 192.0.2.0/24).") % {
                    "value": entry[:60]
                }
            raise ValidationFailed(message, field="allowed_ips") from None
        if value not in result:
            result.append(value)
    if len(result) > MAX_ALLOWED_IPS:
        raise ValidationFailed(
            _("At most %(max)d addresses or networks.") % {"max": MAX_ALLOWED_IPS}, field="allowed_ips"
        )
    return result


def _loose_network(entry: str) -> str:
    try:
        return str(ipaddress.ip_network(entry, strict=False))
    except ValueError:
        return ""


def _check_line(value: str, *, field: str, max_length: int = MAX_SECRET) -> str:
    if len(value) > max_length or any(ord(c) < 32 or c == "\x7f" for c in value):
        raise ValidationFailed(_("At most %(max)s characters, on one line.") % {"max": max_length}, field=field)
    return value


def check_token(value: str) -> str:
    token = value.strip()
    if not (MIN_TOKEN <= len(token) <= MAX_TOKEN) or not _TOKEN.fullmatch(token):
        raise ValidationFailed(
            _(
                "A webhook token is %(min)d to %(max)d letters (A to Z), digits, hyphens and underscores: it is "
                "part of the address the provider posts to. Or let Lofte make one."
            )
            % {"min": MIN_TOKEN, "max": MAX_TOKEN},
            field="webhook_token",
        )
    return token


def _secret(given: str | None, *, clear: bool, stored: str, field: str) -> str:
    if clear and given:
        raise ValidationFailed(_("Either enter a new value or clear the stored one, not both."), field=field)
    if clear:
        return ""
    if given is None or given == "":
        return stored
    return given


def sms_settings_validate(values: SmsSettingsValues, *, current: SmsConfig) -> dict[str, object]:
    """The row's field values, normalised, the secrets resolved against `current`; ValidationFailed names the first
    wrong field."""
    provider = (values.provider or "").strip().lower()
    if provider not in SmsProviderChoice.values:
        raise ValidationFailed(
            _("Choose one of the providers: %(choices)s.") % {"choices": ", ".join(SmsProviderChoice.values)},
            field="provider",
        )
    sender = check_sender(values.sender)
    username = _check_line((values.elks_username or "").strip(), field="elks_username")
    if username and (":" in username or any(c.isspace() for c in username)):
        raise ValidationFailed(_("An API username has no spaces or colons."), field="elks_username")
    given_password = values.elks_password
    if given_password:
        _check_line(given_password, field="elks_password")
    password = _secret(
        given_password, clear=values.clear_elks_password, stored=current.elks_password, field="elks_password"
    )
    given_token = check_token(values.webhook_token) if values.webhook_token else values.webhook_token
    token = _secret(given_token, clear=values.clear_webhook_token, stored=current.webhook_token, field="webhook_token")
    allowed = check_allowed_ips(values.allowed_ips)
    if provider == SmsProviderChoice.ELKS:
        if not sender:
            raise ValidationFailed(_("46elks needs a sender: a phone number or a name."), field="sender")
        if not username:
            raise ValidationFailed(_("46elks needs the API username from its dashboard."), field="elks_username")
        if not password:
            raise ValidationFailed(_("46elks needs the API password from its dashboard."), field="elks_password")
    return {
        "provider": provider,
        "sender": sender,
        "elks_username": username,
        "elks_password": password,
        "webhook_token": token,
        "allowed_ips": allowed,
    }


def _changes(data: dict[str, object], current: SmsConfig) -> list[str]:
    """The names of what a save changes, for the log: never a value of a secret."""
    before: dict[str, object] = {
        "provider": current.provider or SmsProviderChoice.NONE.value,
        "sender": current.sender,
        "elks_username": current.elks_username,
        "elks_password": current.elks_password,
        "webhook_token": current.webhook_token,
        "allowed_ips": list(current.allowed_ips),
    }
    return [name for name, value in data.items() if before.get(name) != value]


def _locked_row() -> tuple[SmsSettings, bool]:
    """The row, locked for this transaction, and whether it was just made: when there is none, it is made first from
    what applies now (the environment's settings), which changes nothing in effect. Made with an INSERT that skips
    a row made meanwhile, so two first saves at once queue on the lock instead of failing."""
    created = False
    if not SmsSettings.objects.filter(pk=1).exists():
        env = environment_config()
        SmsSettings.objects.bulk_create(
            [
                SmsSettings(
                    pk=1,
                    provider=env.provider or SmsProviderChoice.NONE.value,
                    sender=env.sender[:16],
                    elks_username=env.elks_username[:255],
                    elks_password=env.elks_password[:255],
                    webhook_token=env.webhook_token[:128],
                    allowed_ips=list(env.allowed_ips),
                    updated_at=clock.now(),
                )
            ],
            ignore_conflicts=True,
        )
        created = True
    return SmsSettings.objects.select_for_update().get(pk=1), created


@transaction.atomic
def sms_settings_save(*, actor: Agent, values: SmsSettingsValues) -> SmsSettings:
    """Validate the whole set and save it (the row is made at the first save, from what applied until then); a
    refusal leaves everything as it was."""
    access.require(actor, access.Perm.CONFIGURE)
    row, created = _locked_row()
    current = config_from_row(row)
    data = sms_settings_validate(values, current=current)
    changed = _changes(data, current) + (["(from environment)"] if created else [])
    for name, value in data.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    row.updated_by = actor
    row.save()
    logger.info(
        "SMS settings saved by %s (agent %s): provider %s; changed: %s",
        actor.email,
        actor.pk,
        row.provider,
        ", ".join(changed) or "nothing",
    )
    return row


@transaction.atomic
def sms_webhook_token_new(*, actor: Agent) -> str:
    """A new webhook token, saved at once (the row is made from what applied when there is none) and returned to be
    shown once: the provider must be given the new addresses, as the old token is refused from now on."""
    access.require(actor, access.Perm.CONFIGURE)
    row, _created = _locked_row()
    row.webhook_token = secrets.token_urlsafe(TOKEN_BYTES)
    row.updated_at = clock.now()
    row.updated_by = actor
    row.save(update_fields=["webhook_token", "updated_at", "updated_by"])
    logger.info("SMS webhook token replaced by %s (agent %s)", actor.email, actor.pk)
    return row.webhook_token


def sms_settings_preview(*, values: SmsSettingsValues, current: SmsConfig | None = None) -> SmsConfig:
    """The settings these values would put in effect over `current` (default: the settings in effect), validated as
    a save would be; nothing is saved."""
    current = current if current is not None else sms_config()
    data = sms_settings_validate(values, current=current)
    return replace(
        current,
        provider=provider_name(str(data["provider"])),
        sender=str(data["sender"]),
        elks_username=str(data["elks_username"]),
        elks_password=str(data["elks_password"]),
        webhook_token=str(data["webhook_token"]),
        allowed_ips=tuple(data["allowed_ips"]),  # type: ignore[arg-type]
    )
