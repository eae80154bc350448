"""Signed inbound webhooks: another system posts a message as JSON, Lofte files it on a case.

The checks, in order, each refusing with its own code (and a `WebhookRejection` row for the admin):

1. the source exists and is active (404 `unknown_source`);
2. the body is within LOFTE_WEBHOOK_MAX_BYTES (413 `too_large`);
3. both headers are there (401 `signature_missing`);
4. `X-Lofte-Signature: sha256=<hex>` is the HMAC-SHA256 of `"<timestamp>.<raw body>"` under the source's
   secret (401 `signature_invalid`), compared in constant time;
5. `X-Lofte-Timestamp` (unix seconds) is a number (401 `timestamp_invalid`) within
   LOFTE_WEBHOOK_TOLERANCE_SECONDS of now, either way (401 `timestamp_stale`): a captured request cannot be
   replayed later, and within the window the external id makes a replay a duplicate;
6. the body is JSON (400 `invalid_json`, with the position) of the right shape (422 `validation_error`,
   naming the field).

Then, in one transaction: a `WebhookMessage` row for (source, external id) is inserted first. Its unique
constraint makes a duplicate (a retry, a replay, two deliveries racing) answer with the original message
and create nothing. The rest is the one intake (lofte.cases.intake): the sender's handle on this source
(stored as "<source>:<handle>") is proven, the email address and phone number passed along are claims; the
message threads onto a case by `thread` (a thread or message id this source sent before, or a case reference
the customer, found by their handle, owns), else it opens a new case with channel webhook, the source's team
and case type, and promises as any inbound message.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pydantic
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, Channel
from lofte.cases.references import reference_whole
from lofte.channels.webhooks.models import (
    BODY_HEAD_BYTES,
    RejectionReason,
    WebhookMessage,
    WebhookRejection,
    WebhookSource,
    new_webhook_secret,
)
from lofte.channels.webhooks.payload import SenderIn, WebhookIn
from lofte.core import clock
from lofte.core.errors import DomainError, ValidationFailed
from lofte.core.ratelimit import ratelimit_hit
from lofte.customers.models import IdentityKind, Proof
from lofte.customers.services import Identifier, identifier

logger = logging.getLogger(__name__)

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookReceipt",
    "WebhookRejected",
    "webhook_receive",
    "webhook_rejections_prune",
    "webhook_signature",
    "webhook_source_new_secret",
]

TIMESTAMP_HEADER = "X-Lofte-Timestamp"
SIGNATURE_HEADER = "X-Lofte-Signature"

_STATUS = {
    RejectionReason.UNKNOWN_SOURCE: 404,
    RejectionReason.SIGNATURE_MISSING: 401,
    RejectionReason.SIGNATURE_INVALID: 401,
    RejectionReason.TIMESTAMP_INVALID: 401,
    RejectionReason.TIMESTAMP_STALE: 401,
    RejectionReason.TOO_LARGE: 413,
    RejectionReason.INVALID_JSON: 400,
    RejectionReason.VALIDATION_ERROR: 422,
}

# where the case services name a field, and where the sender put it
_FIELDS = {
    "body": "text",
    "customer": "from",
    "customer.email": "from.email",
    "customer.phone": "from.phone",
    "handle": "from.handle",
    "email": "from.email",
    "phone": "from.phone",
}


class WebhookRejected(DomainError):
    """The request was refused; `code` says why (a RejectionReason) and `status` is the HTTP status."""

    def __init__(self, reason: RejectionReason, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code=str(reason))
        self.reason = reason
        self.status = _STATUS[reason]


@dataclass(frozen=True)
class WebhookReceipt:
    case: str | None
    message_id: int | None
    duplicate: bool
    outcome: str  # "created", "appended" or "duplicate"

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "message_id": self.message_id, "duplicate": self.duplicate, "outcome": self.outcome}


# --- signing -----------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The value of X-Lofte-Signature for this timestamp and body: "sha256=" and the hex HMAC-SHA256
    of the bytes `<timestamp>.<body>` under the secret (as UTF-8)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _signature_matches(*, secret: str, timestamp: str, body: bytes, header: str) -> bool:
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body).encode()
    # several comma-separated signatures are allowed (a sender signing with an old and a new secret)
    matched = False
    for candidate in header.split(","):
        matched |= hmac.compare_digest(expected, candidate.strip().lower().encode("utf-8", "replace"))
    return matched


@transaction.atomic
def webhook_source_new_secret(*, source: WebhookSource) -> WebhookSource:
    """Replace the source's secret: requests signed with the old one are refused from now on."""
    source.secret = new_webhook_secret()
    source.secret_changed_at = clock.now()
    source.save(update_fields=["secret", "secret_changed_at"])
    return source


# --- receiving ----------------------------------------------------------------------------


def webhook_receive(
    *,
    source_name: str,
    body: bytes,
    body_size: int | None = None,
    timestamp: str | None,
    signature: str | None,
    remote_ip: str | None = None,
) -> WebhookReceipt:
    """Check and file one posted message. Raises WebhookRejected (already logged) when it is refused.

    `body` is the raw request body; when the caller did not read an oversized body, it passes the start
    of it and the declared size as `body_size`.
    """
    size = len(body) if body_size is None else body_size
    source: WebhookSource | None = None
    try:
        source = WebhookSource.objects.filter(name=source_name[:100]).first()
        payload = _check(source, body=body, size=size, timestamp=timestamp, signature=signature)
        assert source is not None
        try:
            return _file(source, payload)
        except ValidationFailed as exc:  # the transaction of _file is rolled back by now
            field = _FIELDS.get(exc.field or "", exc.field)
            raise WebhookRejected(RejectionReason.VALIDATION_ERROR, exc.message, field=field) from exc
    except WebhookRejected as exc:
        _log_rejection(source_name, source, exc, body=body, size=size, remote_ip=remote_ip)
        raise


def _check(
    source: WebhookSource | None, *, body: bytes, size: int, timestamp: str | None, signature: str | None
) -> WebhookIn:
    if source is None or not source.is_active:
        raise WebhookRejected(RejectionReason.UNKNOWN_SOURCE, _("There is no active webhook source by that name."))
    limit = settings.LOFTE_WEBHOOK_MAX_BYTES
    if size > limit:
        raise WebhookRejected(
            RejectionReason.TOO_LARGE,
            _("The body is %(size)d bytes, over the limit of %(limit)d bytes.") % {"size": size, "limit": limit},
            field="body",
        )
    if not timestamp or not signature:
        if not timestamp and not signature:
            message = _("The request has no %(timestamp)s and no %(signature)s header; every request must be signed.")
        elif not timestamp:
            message = _("The request has no %(timestamp)s header; the signature covers it, so it must be sent.")
        else:
            message = _("The request has no %(signature)s header; every request must be signed.")
        raise WebhookRejected(
            RejectionReason.SIGNATURE_MISSING,
            message % {"timestamp": TIMESTAMP_HEADER, "signature": SIGNATURE_HEADER},
        )
    timestamp = timestamp.strip()
    if not _signature_matches(secret=source.secret, timestamp=timestamp, body=body, header=signature):
        raise WebhookRejected(
            RejectionReason.SIGNATURE_INVALID,
            _(
                "The signature does not match: %(header)s must be sha256= and the hex HMAC-SHA256 of "
                "the timestamp, a dot and the exact body, under this source's secret."
            )
            % {"header": SIGNATURE_HEADER},
        )
    _check_timestamp(timestamp)
    return _parse(body)


def _check_timestamp(timestamp: str) -> None:
    if not re.fullmatch(r"[0-9]{1,12}", timestamp):
        raise WebhookRejected(
            RejectionReason.TIMESTAMP_INVALID,
            _("%(header)s must be the time in whole seconds since 1970 (unix time), not %(value)r.")
            % {"header": TIMESTAMP_HEADER, "value": timestamp[:40]},
        )
    tolerance = settings.LOFTE_WEBHOOK_TOLERANCE_SECONDS
    skew = int(clock.now().timestamp()) - int(timestamp)
    if skew > tolerance:
        raise WebhookRejected(
            RejectionReason.TIMESTAMP_STALE,
            _("The request was signed %(seconds)d seconds ago; at most %(limit)d are accepted (a replay?).")
            % {"seconds": skew, "limit": tolerance},
        )
    if -skew > tolerance:
        raise WebhookRejected(
            RejectionReason.TIMESTAMP_STALE,
            _("The timestamp is %(seconds)d seconds in the future; at most %(limit)d are accepted (check the clock).")
            % {"seconds": -skew, "limit": tolerance},
        )


def _parse(body: bytes) -> WebhookIn:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookRejected(
            RejectionReason.INVALID_JSON,
            _("The body is not UTF-8: byte %(position)d cannot be decoded.") % {"position": exc.start},
            field="body",
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WebhookRejected(
            RejectionReason.INVALID_JSON,
            _("The body is not valid JSON: %(problem)s at line %(line)d, column %(column)d (character %(pos)d).")
            % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno, "pos": exc.pos},
            field="body",
        ) from exc
    except RecursionError as exc:
        raise WebhookRejected(
            RejectionReason.INVALID_JSON, _("The body's JSON is nested too deeply."), field="body"
        ) from exc
    except ValueError as exc:  # a number of more than 4300 digits
        raise WebhookRejected(
            RejectionReason.INVALID_JSON, _("The body is not valid JSON: %(problem)s") % {"problem": exc}, field="body"
        ) from exc
    if not isinstance(data, dict):
        raise WebhookRejected(
            RejectionReason.VALIDATION_ERROR,
            _("The body must be a JSON object, not %(kind)s.") % {"kind": type(data).__name__},
            field="body",
        )
    try:
        return WebhookIn.model_validate(data)
    except pydantic.ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise WebhookRejected(RejectionReason.VALIDATION_ERROR, f"{field}: {first['msg']}", field=field) from exc


# --- filing -------------------------------------------------------------------------------


@transaction.atomic
def _file(source: WebhookSource, payload: WebhookIn) -> WebhookReceipt:
    if (earlier := _delivered(source, payload.external_id)) is not None:
        return _duplicate(earlier)
    try:
        with transaction.atomic():
            # first, so that a second delivery of the same id waits here for this one and then finds it
            delivery = WebhookMessage.objects.create(
                source=source, external_id=payload.external_id, thread=payload.thread or "", received_at=clock.now()
            )
    except IntegrityError:
        if (earlier := _delivered(source, payload.external_id)) is None:
            raise
        return _duplicate(earlier)

    received = intake_receive(
        contact=Contact(
            channel=Channel.WEBHOOK,
            body=payload.text,
            identifiers=_identifiers(source, payload.sender),
            name=payload.sender.name,
            subject=payload.subject,
            language=payload.language or "",
            sender=f"{source.label}: {_who(payload.sender)}"[:254],
            source=f"webhook:{source.name}",
            external_id=payload.external_id,
            thread=_thread_case(source, payload.thread, exclude=delivery.pk),
            reference_text=payload.thread or "",
            reference_whole=True,
            case_type=source.case_type,
            team=source.team,
        )
    )
    delivery.case = received.case
    delivery.message = received.message
    delivery.save(update_fields=["case", "message"])
    outcome = "created" if received.outcome == "created" else "appended"
    return WebhookReceipt(
        case=received.case.reference, message_id=received.message.pk, duplicate=False, outcome=outcome
    )


def _delivered(source: WebhookSource, external_id: str) -> WebhookMessage | None:
    return WebhookMessage.objects.filter(source=source, external_id=external_id).select_related("case").first()


def _duplicate(earlier: WebhookMessage) -> WebhookReceipt:
    return WebhookReceipt(
        case=earlier.case.reference if earlier.case else None,
        message_id=earlier.message_id,
        duplicate=True,
        outcome="duplicate",
    )


def _who(sender: SenderIn) -> str:
    if sender.name:
        return sender.name
    if sender.handle:
        return f"@{sender.handle}"
    return sender.email or sender.phone or ""


def _thread_case(source: WebhookSource, thread: str | None, *, exclude: int) -> Case | None:
    """The case of the newest message from this source with `thread` as its thread id or external id (a case
    reference in `thread` is the intake's to check: only the customer's own case counts)."""
    if not thread or reference_whole(thread):
        return None
    earlier = (
        WebhookMessage.objects.filter(Q(thread=thread) | Q(external_id=thread), source=source, case__isnull=False)
        .exclude(pk=exclude)
        .select_related("case", "case__customer")
        .order_by("-id")
        .first()
    )
    return earlier.case if earlier else None


def _identifiers(source: WebhookSource, sender: SenderIn) -> list[Identifier]:
    """The sender's handle on this source is proven (the source vouches that the message came from it; it is
    stored as "<source>:<handle>", since a handle means something only on its network). The email address
    and phone number a source passes along are claims: they find a customer but never join one."""
    found: list[Identifier] = []
    if sender.handle:
        found.append(
            identifier(IdentityKind.HANDLE, f"{source.name}:{sender.handle}", proof=Proof.MESSAGE, field="from.handle")
        )
    if sender.email:
        found.append(identifier(IdentityKind.EMAIL, sender.email, field="from.email"))
    if sender.phone:
        found.append(identifier(IdentityKind.PHONE, sender.phone, field="from.phone"))
    return found


# --- the rejection log -------------------------------------------------------------------------


def _text(value: str, limit: int | None = None) -> str:
    value = value.replace("\x00", "\ufffd")
    return value[:limit] if limit else value


def _ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(value or ""))
    except ValueError:
        return None


def _log_rejection(
    source_name: str,
    source: WebhookSource | None,
    exc: WebhookRejected,
    *,
    body: bytes,
    size: int,
    remote_ip: str | None,
) -> None:
    """A WebhookRejection row for the admin (at most LOFTE_WEBHOOK_REJECTIONS_PER_IP_PER_HOUR per IP, so a
    flood cannot fill the database; the rest go to the log only)."""
    ip = _ip(remote_ip)
    logger.warning("Webhook %r from %s refused: %s (%s)", source_name[:100], ip, exc.code, exc.message)
    limit = settings.LOFTE_WEBHOOK_REJECTIONS_PER_IP_PER_HOUR
    if not ratelimit_hit(f"webhook:rejected:{ip}", limit=limit, window=timedelta(hours=1)).allowed:
        return
    WebhookRejection.objects.create(
        source_name=_text(source_name, 100),
        source=source,
        reason=exc.reason,
        detail=_text(exc.message),
        remote_ip=ip,
        body_size=size,
        body_head=_text(body[:BODY_HEAD_BYTES].decode("utf-8", "replace")),
        received_at=clock.now(),
    )


def webhook_rejections_prune(*, older_than: timedelta | None = None) -> int:
    """Remove rejection rows older than LOFTE_WEBHOOK_REJECTION_DAYS (or `older_than`); returns how many."""
    older_than = older_than or timedelta(days=settings.LOFTE_WEBHOOK_REJECTION_DAYS)
    deleted, _counts = WebhookRejection.objects.filter(received_at__lt=clock.now() - older_than).delete()
    return deleted
