"""Reads for the sms channel."""

from __future__ import annotations

from dataclasses import dataclass

from lofte.channels.sms.config import SmsConfig, config_from_row, environment_config, sms_transport_installed
from lofte.channels.sms.models import SmsOptOut, SmsSettings


def sms_opted_out(*, phone: str) -> bool:
    """True when the number (E.164) sent STOP and has not sent START since."""
    return SmsOptOut.objects.filter(phone=phone).exists()


def sms_opt_out_for(*, phones: list[str]) -> dict[str, SmsOptOut]:
    """The opt-outs among these numbers (e.g. a customer's phone identities), by number: one query."""
    return {o.phone: o for o in SmsOptOut.objects.filter(phone__in=phones)}


@dataclass(frozen=True)
class SmsSettingsStatus:
    """The settings in effect, who saved them last, and whether this installation sends SMS at all."""

    config: SmsConfig
    updated_by: str  # the agent's name (else email) who saved last; "" when nobody has or they are gone
    transport_installed: bool

    @property
    def sending(self) -> bool:
        """Lofte sends SMS: a provider is chosen and the SMS transport is installed."""
        return self.config.on and self.transport_installed


def sms_settings_status() -> SmsSettingsStatus:
    """One query: the saved row with who saved it, else the environment's settings."""
    row = SmsSettings.objects.select_related("updated_by").filter(pk=1).first()
    config = environment_config() if row is None else config_from_row(row)
    who = row.updated_by if row is not None else None
    return SmsSettingsStatus(
        config=config,
        updated_by=(who.name or who.email) if who is not None else "",
        transport_installed=sms_transport_installed(),
    )
