"""Normalising identities: the same person is found whatever way they write their address."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed
from lofte.customers.models import IdentityKind


def normalise_email(value: str, *, field: str = "email") -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValidationFailed(_("'%(value)s' is not a valid email address.") % {"value": value}, field=field) from exc
    return value


def normalise_phone(value: str, *, field: str = "phone", region: str | None = None) -> str:
    """E.164 (+46701234567); numbers without a country code use LOFTE_PHONE_REGION."""
    try:
        number = phonenumbers.parse(value, region or settings.LOFTE_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(_("'%(value)s' is not a phone number.") % {"value": value}, field=field) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(_("'%(value)s' is not a valid phone number.") % {"value": value}, field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_handle(value: str, *, field: str = "handle") -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(_("A handle cannot be empty."), field=field)
    return value


def normalise(kind: str, value: str, *, field: str | None = None) -> str:
    if kind == IdentityKind.EMAIL:
        return normalise_email(value, field=field or "email")
    if kind == IdentityKind.PHONE:
        return normalise_phone(value, field=field or "phone")
    if kind == IdentityKind.HANDLE:
        return normalise_handle(value, field=field or "handle")
    raise ValidationFailed(_("Unknown identity kind '%(kind)s'.") % {"kind": kind}, field="kind")


# the country of a number, and the language we write to it in when nothing better is known
PHONE_LANGUAGES = {"SE": "sv", "FI": "fi", "AX": "sv", "DK": "da", "FO": "da", "GL": "da", "NO": "nb", "SJ": "nb"}


def language_for_phone(value: str) -> str:
    """The language of an E.164 number's country (sv, fi, da, nb), or "" for any other country."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return ""
    return PHONE_LANGUAGES.get(phonenumbers.region_code_for_number(number) or "", "")


def format_phone(value: str) -> str:
    """A stored E.164 number as people read it in the number's own country."""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
