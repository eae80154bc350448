"""Writes for the contact form: the case a customer sends, and the rate limits that guard it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, CaseType
from lofte.cases.services import AttachmentInput
from lofte.cases.timeline import case_event_add
from lofte.complaints.models import Source as ComplaintSource
from lofte.complaints.services import complaint_flag
from lofte.core import clock
from lofte.core.choices import Channel
from lofte.core.ratelimit import RateResult, client_key, ratelimit_hit
from lofte.customers.models import IdentityKind, Language
from lofte.customers.services import identifier
from lofte.incidents.outage import contact_about_component
from lofte.kb.queries import public_translations

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
    complaint: bool = False  # the customer chose "I want to make a complaint"
    incident_component: int | None = None  # the customer said it is about a component an outage affects
    attachments: Sequence[AttachmentInput] = field(default_factory=tuple)
    read: Sequence[int] = ()  # help-centre translations read before writing (ids as the browser sent them)
    searched: Sequence[str] = ()  # help-centre searches made before writing


@transaction.atomic
def contact_submit(*, submission: ContactSubmission) -> Case:
    """The customer's case on the web channel, through the one intake. The addresses typed into the form are
    claims: they find a customer but never join one (lofte.customers.services, the identity rule)."""
    language = submission.language if submission.language in Language.values else ""
    given = [
        identifier(kind, value, field=kind)
        for kind, value in ((IdentityKind.EMAIL, submission.email), (IdentityKind.PHONE, submission.phone))
        if value
    ]
    case = intake_receive(
        contact=Contact(
            channel=Channel.WEB,
            body=submission.message,
            identifiers=given,
            name=submission.name,
            subject=submission.subject,
            language_hint=language,  # the page's language; what the message is written in wins (intake)
            case_type=submission.case_type,
            sender=submission.email or submission.phone,
            attachments=submission.attachments,
        )
    ).case
    if submission.complaint:
        complaint_flag(case=case, source=ComplaintSource.CUSTOMER)
    contact_about_component(case=case, component_id=submission.incident_component)
    kb_context_add(case=case, read=submission.read, searched=submission.searched)
    return case


EVENT_KB_CONTEXT = "kb_context"


def kb_context_add(*, case: Case, read: Sequence[int], searched: Sequence[str]) -> None:
    """Put on the case's timeline what the customer read and searched in the help centre before writing. The
    ids came from the browser: only live translations of public articles are named (a forged id names
    nothing); the searches are the customer's own words, cut short."""
    articles = public_translations(list(dict.fromkeys(read)))[:5]
    searches = [" ".join(s.split())[:100] for s in searched if s and s.strip()][:5]
    if articles or searches:
        case_event_add(
            case=case,
            kind=EVENT_KB_CONTEXT,
            now=clock.now(),
            data={"articles": articles, "searches": searches},
        )


def contact_rate_ip(*, remote_addr: str) -> RateResult:
    """Count one form submission from this address (every POST counts, spam included)."""
    return ratelimit_hit(
        f"contact:ip:{client_key(remote_addr)}", limit=settings.LOFTE_CONTACT_RATE_PER_IP, window=RATE_WINDOW
    )


def contact_rate_suggestions(*, remote_addr: str) -> RateResult:
    """Count one request for suggestions from this address (the form asks as the customer types)."""
    return ratelimit_hit(
        f"contact:suggest:{client_key(remote_addr)}",
        limit=settings.LOFTE_CONTACT_SUGGESTIONS_PER_IP,
        window=RATE_WINDOW,
    )


def contact_rate_address(*, address: str) -> RateResult:
    """Count one case sent for this email address or phone number (normalised; stored as a hash)."""
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return ratelimit_hit(f"contact:to:{digest}", limit=settings.LOFTE_CONTACT_RATE_PER_ADDRESS, window=RATE_WINDOW)
