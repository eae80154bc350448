"""Mailboxes from the settings pages: validated as a whole before anything is saved.

    mailbox_create(values=...)                -> Mailbox
    mailbox_update(mailbox=..., values=...)   -> Mailbox

Passwords are write-only: `None` keeps the stored one. A stored password is never sent to a server other than
the one it was entered for: changing a protocol's server, port, security or user needs the password entered
again (otherwise whoever can change the server could have the stored password sent to one of their own). A
server is a host name or an IP address, nothing else (no port, scheme or path), and plain text without TLS is
only for a server on this machine (loopback), as its label says. Lofte's own addresses are cached per process
(lofte.channels.email.addresses): every write clears that cache.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.accounts.models import Team
from lofte.cases.models import CaseType
from lofte.channels.email.addresses import own_addresses_clear
from lofte.channels.models import AfterFetch, Mailbox, Security
from lofte.core.errors import ValidationFailed

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
PROTOCOLS = ("imap", "smtp")
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@dataclass(frozen=True)
class MailboxValues:
    """Everything a mailbox holds that people set. A password of None keeps the stored one."""

    name: str
    address: str
    display_name: str = ""
    team: Team | None = None
    case_type: CaseType | None = None
    language: str = ""
    is_active: bool = True
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = Security.SSL
    imap_user: str = ""
    imap_password: str | None = None
    imap_folder: str = "INBOX"
    after_fetch: str = AfterFetch.MOVE
    processed_folder: str = "Lofte/Processed"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = Security.STARTTLS
    smtp_user: str = ""
    smtp_password: str | None = None


def check_host(value: str, *, field: str) -> str:
    """A host name (letters, digits, hyphens and dots, as DNS has them) or an IP address; "" for none."""
    host = (value or "").strip().rstrip(".").lower()
    if not host:
        return ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValidationFailed(
            _(
                "'%(value)s' is not a server name: give a host name like imap.example.com or an IP address, "
                "without a port."
            )
            % {"value": (value or "")[:80]},
            field=field,
        )
    return host


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port(value: int, field: str) -> int:
    if not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValidationFailed(_("A port is a number from 1 to 65535."), field=field)
    return value


def _check_text(value: str, field: str, *, max_length: int = 255) -> str:
    text = (value or "").strip()
    if len(text) > max_length or any(ord(c) < 32 for c in text):
        raise ValidationFailed(
            _("At most %(max)s characters, on one line.") % {"max": max_length},
            field=field,
        )
    return text


def _check_protocol(values: MailboxValues, protocol: str, stored: Mailbox | None) -> dict[str, Any]:
    host = check_host(getattr(values, f"{protocol}_host"), field=f"{protocol}_host")
    port = _check_port(getattr(values, f"{protocol}_port"), f"{protocol}_port")
    security = getattr(values, f"{protocol}_security")
    if security not in Security.values:
        raise ValidationFailed(_("Choose one of the offered kinds of security."), field=f"{protocol}_security")
    if host and security == Security.NONE and not is_loopback(host):
        raise ValidationFailed(
            _("Without TLS the password would cross the network in plain text: choose SSL/TLS or STARTTLS."),
            field=f"{protocol}_security",
        )
    user = _check_text(getattr(values, f"{protocol}_user"), f"{protocol}_user")
    given = getattr(values, f"{protocol}_password")
    if given is not None and (len(given) > 255 or any(c in given for c in "\r\n\0")):
        raise ValidationFailed(_("A password is at most 255 characters, on one line."), field=f"{protocol}_password")
    password = given if given else (getattr(stored, f"{protocol}_password") if stored is not None else "")
    if host and not given and password and stored is not None:
        endpoint = (host, port, security, user)
        before = tuple(getattr(stored, f"{protocol}_{part}") for part in ("host", "port", "security", "user"))
        if endpoint != before:
            raise ValidationFailed(
                _(
                    "The server, port, security or user changed: enter the password again (it is never sent to "
                    "another server than the one it was entered for)."
                ),
                field=f"{protocol}_password",
            )
    if host and protocol == "imap" and not user:
        raise ValidationFailed(_("Fetching over IMAP needs a user."), field="imap_user")
    return {
        f"{protocol}_host": host,
        f"{protocol}_port": port,
        f"{protocol}_security": security,
        f"{protocol}_user": user,
        f"{protocol}_password": password,
    }


def mailbox_validate(values: MailboxValues, *, instance: Mailbox | None = None) -> dict[str, Any]:
    """The model's field values, normalised, passwords resolved; ValidationFailed names the first wrong field."""
    name = (values.name or "").strip()
    if not name or len(name) > 50 or not _SLUG.fullmatch(name):
        raise ValidationFailed(
            _("A short name of letters, digits, hyphens and underscores (at most 50)."), field="name"
        )
    others = Mailbox.objects.exclude(pk=instance.pk) if instance is not None else Mailbox.objects.all()
    if others.filter(name__iexact=name).exists():
        raise ValidationFailed(_("There is already a mailbox named %(name)s.") % {"name": name}, field="name")
    address = (values.address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationFailed(
            _("'%(value)s' is not an email address.") % {"value": address[:80]}, field="address"
        ) from None
    if others.filter(address__iexact=address).exists():
        raise ValidationFailed(
            _("Another mailbox already has the address %(address)s.") % {"address": address}, field="address"
        )
    if values.language and values.language not in [code for code, _name in settings.LANGUAGES]:
        raise ValidationFailed(_("Choose one of the site's languages."), field="language")
    if values.team is not None and values.team.pk is None:
        raise ValidationFailed(_("Choose a saved team."), field="team")
    if values.case_type is not None and not values.case_type.is_active:
        raise ValidationFailed(
            _("The case type %(name)s is not active.") % {"name": values.case_type.name}, field="case_type"
        )
    if values.after_fetch not in AfterFetch.values:
        raise ValidationFailed(_("Choose what happens to a fetched message."), field="after_fetch")
    imap_folder = _check_text(values.imap_folder, "imap_folder") or "INBOX"
    processed = _check_text(values.processed_folder, "processed_folder")
    if values.after_fetch == AfterFetch.MOVE:
        if not processed:
            raise ValidationFailed(_("Name the folder fetched messages are moved to."), field="processed_folder")
        if processed.strip("/") == imap_folder:
            raise ValidationFailed(
                _("The processed folder cannot be the folder that is fetched."), field="processed_folder"
            )
    result: dict[str, Any] = {
        "name": name,
        "address": address,
        "display_name": _check_text(values.display_name, "display_name", max_length=100),
        "team": values.team,
        "case_type": values.case_type,
        "language": values.language or "",
        "is_active": bool(values.is_active),
        "imap_folder": imap_folder,
        "after_fetch": values.after_fetch,
        "processed_folder": processed or "Lofte/Processed",
    }
    for protocol in PROTOCOLS:
        result |= _check_protocol(values, protocol, instance)
    return result


def _forget_addresses() -> None:
    own_addresses_clear()
    transaction.on_commit(own_addresses_clear)


def _taken(fields_: dict[str, Any]) -> ValidationFailed:
    return ValidationFailed(
        _("Another mailbox already has the name %(name)s or the address %(address)s.")
        % {"name": fields_["name"], "address": fields_["address"]},
        field="name",
    )


@transaction.atomic
def mailbox_create(*, values: MailboxValues) -> Mailbox:
    data = mailbox_validate(values)
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(**data)
    except IntegrityError:
        raise _taken(data) from None
    _forget_addresses()
    return mailbox


@transaction.atomic
def mailbox_update(*, mailbox: Mailbox, values: MailboxValues) -> Mailbox:
    """Change every field people set (never when it was last fetched, or its last error)."""
    row = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    data = mailbox_validate(values, instance=row)
    for attribute, value in data.items():
        setattr(row, attribute, value)
    try:
        with transaction.atomic():
            row.save(update_fields=list(data))
    except IntegrityError:
        raise _taken(data) from None
    for attribute, value in data.items():
        setattr(mailbox, attribute, value)
    _forget_addresses()
    return mailbox


MAILBOX_FIELDS = tuple(f.name for f in fields(MailboxValues))
