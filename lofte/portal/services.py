"""Writes for the customer portal: magic links, and what a customer may do with their own cases.

A magic link is asked for with an email address or phone number. The answer
never says whether the address is known, not even by its timing: the request
does the same work for every address (rate-limit counters and one queued
task); the worker then looks the address up and, for a customer's address,
writes a token and the message. A link goes only to the address it was asked
for (or, for a number when no SMS can be sent, to the customer's proven email
address), so using it proves that address (lofte.customers: the identity
rule). The token's secret is in the link only; the database keeps its SHA-256.
Using a link is one conditional UPDATE (used_at IS NULL, not expired), so a
link works once even when two requests race.

Limits: per client (IP address, IPv6 by /64) an hourly number of requests
(429 when over). Per address, silently (the answer is the same): a few links
an hour for each client, so a stranger asking from elsewhere cannot use up the
customer's own requests, and a higher hourly total that stops mail floods.

Every case action checks again that the case is the customer's, then calls
the cases services like any other channel would: a message lands on the
timeline with channel web and keeps or starts promises as an inbound message
does.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _

from lofte.cases import services as cases
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import ACTIVE_STATUSES, Case, Message, Status
from lofte.cases.services import AttachmentInput
from lofte.complaints.models import Source as ComplaintSource
from lofte.complaints.services import complaint_flag
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.core.ratelimit import RateResult, client_key, ratelimit_hit
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Proof
from lofte.customers.services import identity_prove
from lofte.outbox.services import outbox_enqueue
from lofte.outbox.transports import channel_on
from lofte.portal import selectors
from lofte.portal.models import PortalToken

HOUR = timedelta(hours=1)


class TooManyRequests(DomainError):
    """Too many requests from one address, IP address or customer in the current window."""

    code = "rate_limited"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class LinkInvalid(DomainError):
    """The link is unknown, used or expired: one answer for all three, on purpose."""

    code = "link_invalid"
    status = 410


def _check_rates(results: list[RateResult]) -> None:
    refused = [r for r in results if not r.allowed]
    if refused:
        raise TooManyRequests(
            _("Too many requests; please try again later."), retry_after=max(r.retry_after for r in refused)
        )


def parse_address(address: str) -> tuple[str, str]:
    """(kind, normalised value) of what the customer typed: an email address, or a phone number in E.164."""
    address = (address or "").strip()[:254]
    kind = IdentityKind.EMAIL if "@" in address else IdentityKind.PHONE
    try:
        return kind, normalise(kind, address, field="address")
    except ValidationFailed as exc:
        raise ValidationFailed(_("Enter your email address or your phone number."), field="address") from exc


# --- magic links --------------------------------------------------------------


def portal_link_url(secret: str) -> str:
    return settings.LOFTE_BASE_URL.rstrip("/") + reverse("portal:login", kwargs={"secret": secret})


@transaction.atomic
def portal_token_create(
    *,
    customer: Customer,
    identity: CustomerIdentity | None = None,
    channel: str = "",
    ip: str | None = None,
    now: datetime | None = None,
) -> tuple[PortalToken, str]:
    """A new single-use link for the customer, sent to `identity`: the row (hash only) and the secret (to send,
    never to store)."""
    now = now or clock.now()
    secret = secrets.token_urlsafe(32)
    token = PortalToken.objects.create(
        customer=customer,
        identity=identity,
        token_hash=selectors.token_hash(secret),
        channel=channel,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.LOFTE_PORTAL_LINK_MINUTES),
        ip=ip or None,
    )
    return token, secret


def _route(identity: CustomerIdentity) -> tuple[str, CustomerIdentity] | None:
    """Where the link goes: the address asked with; for a phone number when no SMS can be sent, the customer's
    proven email address (the link then proves that one)."""
    if identity.kind == IdentityKind.EMAIL:
        return "email", identity
    if channel_on("sms"):
        return "sms", identity
    emails = [i for i in identity.customer.identities.all() if i.kind == IdentityKind.EMAIL and i.is_proven]
    emails.sort(key=lambda i: (not i.is_primary, i.value))
    return ("email", emails[0]) if emails else None


def _link_payload(*, channel: str, customer: Customer, link: str) -> dict[str, str]:
    minutes = settings.LOFTE_PORTAL_LINK_MINUTES
    if channel == "sms":
        return {
            "text": _("Your link to your cases: %(link)s (it works once, for %(minutes)d minutes).")
            % {"link": link, "minutes": minutes}
        }
    greeting = _("Hello %(name)s,") % {"name": customer.name} if customer.name else _("Hello,")
    intro = _("Here is your link to see your cases and write to us:")
    validity = _(
        "The link works once, for %(minutes)d minutes. If you did not ask for it, you can ignore this message."
    ) % {"minutes": minutes}
    return {
        "subject": _("Your link to your cases"),
        "text": f"{greeting}\n\n{intro}\n\n{link}\n\n{validity}\n",
        "html": str(
            format_html(
                '<p>{}</p><p>{}</p><p><a href="{}">{}</a></p><p>{}</p>',
                greeting,
                intro,
                link,
                _("See your cases"),
                validity,
            )
        ),
    }


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:40]


def portal_link_request(*, address: str, ip: str, language: str, now: datetime | None = None) -> bool:
    """Ask for a link. The caller answers the same whatever happens here; the work is the same for a known and
    an unknown address (the counters, and a task queued after the commit that looks the address up and sends).
    Returns whether the task was queued (False: this address's limits were reached; nothing is sent, and the
    answer is still the same), for tests and logs only.

    Raises ValidationFailed for something that is no address, TooManyRequests when this client asked too often.
    """
    now = now or clock.now()
    kind, value = parse_address(address)
    client = client_key(ip)
    _check_rates(
        [
            ratelimit_hit(
                f"portal:ip:{client}", limit=settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR, window=HOUR, now=now
            )
        ]
    )
    digest = _digest(kind, value)
    per_client = ratelimit_hit(
        f"portal:address:{digest}:{client}",
        limit=settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR,
        window=HOUR,
        now=now,
    )
    total = ratelimit_hit(
        f"portal:address:{digest}", limit=settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_TOTAL_PER_HOUR, window=HOUR, now=now
    )
    if not (per_client.allowed and total.allowed):
        return False
    transaction.on_commit(lambda: _queue_link(kind=kind, value=value, ip=ip, language=language))
    return True


def _queue_link(**kwargs: str) -> None:
    from lofte.portal.tasks import send_portal_link

    send_portal_link.enqueue(**kwargs)


def portal_link_send(*, kind: str, value: str, ip: str, language: str, now: datetime | None = None) -> bool:
    """The worker's half of a link request: if the address is a customer's, a token and the message in the
    outbox. True when a link was written."""
    now = now or clock.now()
    identity = selectors.portal_identity_find(kind=kind, value=value)
    if identity is None:
        return False
    customer = identity.customer
    route = _route(identity)
    if route is None:
        return False
    channel, to = route
    with transaction.atomic():
        _token, secret = portal_token_create(customer=customer, identity=to, channel=channel, ip=ip, now=now)
        with translation.override(customer.language or language or settings.LOFTE_CUSTOMER_LANGUAGE):
            payload = _link_payload(channel=channel, customer=customer, link=portal_link_url(secret))
        # requested on a page and limited there: not counted against the address's acknowledgements
        outbox_enqueue(channel=channel, to=to.value, payload=payload, requested=True)
    return True


def portal_login_check_rate(*, ip: str, now: datetime | None = None) -> None:
    """Using links counts against the IP address's hourly requests too."""
    _check_rates(
        [
            ratelimit_hit(
                f"portal:login:{ip}",
                limit=settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR,
                window=HOUR,
                now=now or clock.now(),
            )
        ]
    )


@transaction.atomic
def portal_token_consume(*, secret: str, ip: str | None = None, now: datetime | None = None) -> Customer:
    """Use a link once: the customer it belongs to, or LinkInvalid (unknown, used or expired alike)."""
    now = now or clock.now()
    digest = selectors.token_hash(secret)
    taken = PortalToken.objects.filter(token_hash=digest, used_at__isnull=True, expires_at__gt=now).update(
        used_at=now, used_ip=ip or None
    )
    if taken != 1:
        raise LinkInvalid(_("This link has expired or was already used; ask for a new one."))
    token = PortalToken.objects.select_related("customer", "identity").get(token_hash=digest)
    if token.identity is not None:
        identity_prove(identity=token.identity, proof=Proof.LINK, now=now)  # the link reached that address
    return token.customer


def portal_tokens_prune(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Delete links that expired more than `older_than` ago."""
    now = now or clock.now()
    deleted, _ = PortalToken.objects.filter(expires_at__lt=now - older_than).delete()
    return deleted


# --- the customer's cases -----------------------------------------------------


def _own(customer: Customer, case: Case) -> None:
    if case.customer_id != customer.pk:
        raise NotFound(_("Not found."))


def portal_message_add(
    *,
    customer: Customer,
    case: Case,
    body: str,
    attachments: list[AttachmentInput] | None = None,
    now: datetime | None = None,
) -> Message:
    """The customer writes on their case: an inbound message on channel web, through the cases service.

    Allowed while the case is active, or solved and still within the reopen window (the message opens it
    again, as any inbound message does). Closed cases, and solved ones past the window, take no messages
    here: the customer contacts us anew.
    """
    _own(customer, case)
    now = now or clock.now()
    if not selectors.case_actions(case=case, now=now).can_write:
        raise ValidationFailed(
            _("This case is closed and takes no more messages; please contact us again about it."), field="body"
        )
    _count_write(customer, now)
    return intake_receive(
        contact=Contact(
            channel="web",
            body=body,
            customer=customer,
            thread=case,
            sender=selectors.customer_email(customer) or "portal",
            attachments=attachments or [],
        )
    ).message


def _count_write(customer: Customer, now: datetime) -> None:
    """A message or a new case from the customer: both count against the same hourly limit."""
    _check_rates(
        [
            ratelimit_hit(
                f"portal:messages:{customer.pk}",
                limit=settings.LOFTE_PORTAL_MESSAGES_PER_HOUR,
                window=HOUR,
                now=now,
            )
        ]
    )


@transaction.atomic
def portal_case_open(
    *,
    customer: Customer,
    subject: str,
    body: str,
    complaint: bool = False,
    attachments: list[AttachmentInput] | None = None,
    now: datetime | None = None,
) -> Case:
    """The logged-in customer writes about something new: a new case on channel web for them (the portal's
    session proved who they are), acknowledged like every new case. "I want to make a complaint" makes it one,
    as the customer's own choice."""
    _count_write(customer, now or clock.now())
    case = intake_receive(
        contact=Contact(
            channel="web",
            body=body,
            subject=subject,
            customer=customer,
            sender=selectors.customer_email(customer) or "portal",
            attachments=attachments or [],
        )
    ).case
    if complaint:
        complaint_flag(case=case, source=ComplaintSource.CUSTOMER)
    return case


def portal_case_close(*, customer: Customer, case: Case) -> Case:
    """The customer says their question is answered: the case is solved (and can be reopened for a while)."""
    _own(customer, case)
    if case.status not in ACTIVE_STATUSES:
        raise ValidationFailed(_("This case is already solved or closed."), field="status")
    return cases.case_transition(case=case, actor=None, status=Status.SOLVED, reason="customer_portal")


def portal_case_reopen(*, customer: Customer, case: Case, now: datetime | None = None) -> Case:
    """Open a solved case again, within LOFTE_PORTAL_REOPEN_DAYS of its solving."""
    _own(customer, case)
    now = now or clock.now()
    if case.status != Status.SOLVED:
        raise ValidationFailed(_("Only a solved case can be reopened."), field="status")
    if not selectors.case_actions(case=case, now=now).can_reopen:
        raise ValidationFailed(
            _(
                "This case was solved more than %(days)d days ago and can no longer be reopened; "
                "please contact us again about it."
            )
            % {"days": settings.LOFTE_PORTAL_REOPEN_DAYS},
            field="status",
        )
    return cases.case_transition(case=case, actor=None, status=Status.OPEN, reason="customer_portal")
