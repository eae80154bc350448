"""Reads for the sms channel."""

from __future__ import annotations

from lofte.channels.sms.models import SmsOptOut


def sms_opted_out(*, phone: str) -> bool:
    """True when the number (E.164) sent STOP and has not sent START since."""
    return SmsOptOut.objects.filter(phone=phone).exists()


def sms_opt_out_for(*, phones: list[str]) -> dict[str, SmsOptOut]:
    """The opt-outs among these numbers (e.g. a customer's phone identities), by number: one query."""
    return {o.phone: o for o in SmsOptOut.objects.filter(phone__in=phones)}
