"""Writes for the contact form: the case a customer sends, and the rate limits that guard it."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from lofte.cases.models import Case, CaseType
from lofte.cases.services import AttachmentInput, case_create
from lofte.core.choices import Channel
from lofte.core.ratelimit import RateResult, ratelimit_hit
from lofte.customers.models import Language
from lofte.customers.services import customer_match_or_create

logger = logging.getLogger(__name__)

RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ContactSubmission:
    """What the customer sent, already checked: email and phone normalised, files proved to be what they claim."""

    name: str
    email: str  # normalised, or empty
    phone: str  # E.164, or empty
    subject: str
    message: str
    language: str
    case_type: CaseType | None = None
    attachments: Sequence[AttachmentInput] = field(default_factory=tuple)


@transaction.atomic
def contact_submit(*, submission: ContactSubmission) -> Case:
    """The customer (found by email, else phone, else new) and their case on the web channel, in one transaction."""
    language = submission.language if submission.language in Language.values else ""
    match = customer_match_or_create(
        email=submission.email or None,
        phone=submission.phone or None,
        name=submission.name,
        language=language,
    )
    return case_create(
        customer=match.customer,
        subject=submission.subject,
        body=submission.message,
        channel=Channel.WEB,
        case_type=submission.case_type,
        language=language,
        sender=submission.email or submission.phone,
        attachments=submission.attachments,
    )


def client_key(remote_addr: str) -> str:
    """The rate-limit key of a client address: the address itself, or for IPv6 its /64 (one household or host)."""
    try:
        address = ipaddress.ip_address((remote_addr or "").strip())
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def contact_rate_ip(*, remote_addr: str) -> RateResult:
    """Count one form submission from this address (every POST counts, spam included)."""
    return ratelimit_hit(
        f"contact:ip:{client_key(remote_addr)}", limit=settings.LOFTE_CONTACT_RATE_PER_IP, window=RATE_WINDOW
    )


def contact_rate_address(*, address: str) -> RateResult:
    """Count one case sent for this email address or phone number (normalised; stored as a hash)."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return ratelimit_hit(f"contact:to:{digest}", limit=settings.LOFTE_CONTACT_RATE_PER_ADDRESS, window=RATE_WINDOW)
