"""Signed values the contact form hands to the browser: when the form was shown, and the thanks page's case.

Neither needs a database row. The thanks token carries the reference and
the masked address, signed with a timestamp, so the thanks page reads
nothing from the database and a guessed or altered URL shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing

from lofte.core import clock

STARTED_SALT = "lofte.webform.started"
THANKS_SALT = "lofte.webform.thanks"
STARTED_MAX_AGE_SECONDS = 24 * 3600  # a form open longer than a day is asked to be sent again
THANKS_MAX_AGE_SECONDS = 30 * 60


# --- when the form was shown -------------------------------------------------


def started_token(*, now: datetime | None = None) -> str:
    moment = now or clock.now()
    return signing.Signer(salt=STARTED_SALT).sign(str(int(moment.timestamp())))


def started_age(token: str, *, now: datetime | None = None) -> float | None:
    """Seconds since the form was shown; None when the token is missing, altered, from the future or too old."""
    try:
        shown = int(signing.Signer(salt=STARTED_SALT).unsign(token or ""))
    except (signing.BadSignature, ValueError):
        return None
    age = (now or clock.now()).timestamp() - shown
    if age < -5 or age > STARTED_MAX_AGE_SECONDS:
        return None
    return age


# --- the thanks page ---------------------------------------------------------


@dataclass(frozen=True)
class Thanks:
    reference: str
    address: str  # masked


def thanks_token(*, reference: str, address: str) -> str:
    return signing.TimestampSigner(salt=THANKS_SALT).sign_object({"r": reference, "to": address})


def thanks_read(*, token: str, reference: str) -> Thanks | None:
    """The thanks for `reference` when `token` was made for it, by us, recently; otherwise None."""
    try:
        data = signing.TimestampSigner(salt=THANKS_SALT).unsign_object(token or "", max_age=THANKS_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError):
        return None
    if not isinstance(data, dict) or data.get("r") != reference:
        return None
    return Thanks(reference=reference, address=str(data.get("to") or ""))


def mask_address(value: str) -> str:
    """Enough of an address for its owner to recognise it: k•••@example.se, +46 ••• 67."""
    value = (value or "").strip()
    if "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}•••@{domain}"
    digits = value.replace(" ", "")
    if len(digits) < 6:
        return "•••"
    head = digits[:3] if digits.startswith("+") else digits[:2]
    return f"{head} ••• {digits[-2:]}"
