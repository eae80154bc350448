"""Links a customer opens without logging in (a temperature check, a survey, a status-page subscription): signed
over (row id, the row's nonce) with no time in them, so the same row always has the same link and a new nonce
voids the old ones; the row's own state and expiry decide what the link may still do. And the plain text such a
link's form takes."""

from __future__ import annotations

import secrets

from django.core import signing
from django.utils.translation import gettext as _

from lofte.core.errors import DomainError, ValidationFailed


class LinkClosed(DomainError):
    """A link that no longer answers; `language` is its customer's when the link was theirs (the page's language),
    blank for a link that is not ours."""

    def __init__(self, message: str, *, language: str = "") -> None:
        super().__init__(message)
        self.language = language


class LinkInvalid(LinkClosed):
    """The link is not one of ours, or not the newest of its row."""

    code = "link_invalid"
    status = 404


class LinkUsed(LinkClosed):
    code = "link_used"
    status = 409


class LinkExpired(LinkClosed):
    code = "link_expired"
    status = 410


def link_token(salt: str, pk: int, nonce: str) -> str:
    return signing.Signer(salt=salt).sign_object({"c": pk, "n": nonce})


def link_opened(salt: str, token: str) -> tuple[int, str] | None:
    """(row id, nonce) a token names; None when it is not one of ours (altered, another salt, not a token)."""
    try:
        data = signing.Signer(salt=salt).unsign_object(token or "")
        return int(data["c"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def nonce_matches(stored: str, given: str) -> bool:
    """The link's nonce is the row's newest (compared in constant time); an empty one never matches."""
    return bool(stored) and bool(given) and secrets.compare_digest(stored, given)


def plain_text(text: object, *, max_chars: int, field: str) -> str:
    """A free-text answer as plain text: control characters but newline and tab dropped, trimmed; refused, naming
    the field, over `max_chars`. It is stored and shown as text (escaped), never as markup."""
    cleaned = "".join(ch for ch in str(text or "") if ch in "\n\t" or ord(ch) >= 32).strip()
    if len(cleaned) > max_chars:
        raise ValidationFailed(
            _("The comment is too long: at most %(max)s characters.") % {"max": max_chars}, field=field
        )
    return cleaned
