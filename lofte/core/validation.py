"""Checks for values that are stored once and read by every later job: a bad one must be refused at the
boundary (form, API, service), with a message that names it, never found by a tick hours later."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.conf import settings
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zone names this machine knows (case-sensitive, as zoneinfo wants them)."""
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(value: str, *, field: str = "time_zone", blank_ok: bool = True) -> str:
    """`value` stripped, if it is an IANA time zone ("Europe/Stockholm"); ValidationFailed otherwise."""
    value = (value or "").strip()
    if not value and blank_ok:
        return ""
    if value not in time_zones():
        raise ValidationFailed(
            _("'%(value)s' is not a time zone; use a name like Europe/Stockholm or Europe/Helsinki.")
            % {"value": value[:64]},
            field=field,
        )
    return value


def validate_time_zone(value: str) -> None:
    """A model-field validator (admin forms, ModelForms): the same check as check_time_zone."""
    from django.core.exceptions import ValidationError

    try:
        check_time_zone(value)
    except ValidationFailed as exc:
        raise ValidationError(exc.message, code="time_zone") from exc


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def check_language(value: str, *, field: str = "language", blank_ok: bool = True) -> str:
    """`value` if it is one of the languages Lofte speaks (settings.LANGUAGES); ValidationFailed otherwise."""
    value = (value or "").strip()
    if not value and blank_ok:
        return ""
    codes = language_codes()
    if value not in codes:
        raise ValidationFailed(
            _("'%(value)s' is not a language Lofte speaks; use one of %(choices)s.")
            % {"value": value[:16], "choices": ", ".join(codes)},
            field=field,
        )
    return value


def safe_zone(value: str | None) -> zoneinfo.ZoneInfo:
    """The zone for a stored name, or the site's when the name is empty or unknown (old rows, a removed zone):
    a reader formatting a time must never fail on it."""
    try:
        return zoneinfo.ZoneInfo(check_time_zone(value or "") or settings.TIME_ZONE)
    except (ValidationFailed, zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)
