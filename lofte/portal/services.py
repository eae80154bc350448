"""Writes for the customer portal: magic links, and what a customer may do with their own cases.

A magic link is asked for with an email address or phone number. The answer
never says whether the address is known: the same rate-limit hits and the
same lookup are done for every address, and only a known customer gets a
token and a message in the outbox. The token's secret is in the link only;
the database keeps its SHA-256. Using a link is one conditional UPDATE
(used_at IS NULL, not expired), so a link works once even when two requests
race.

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
from lofte.cases.models import ACTIVE_STATUSES, Case, Message, Status
from lofte.cases.services import AttachmentInput
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.core.ratelimit import RateResult, ratelimit_hit
from lofte.customers.identities import normalise
from lofte.customers.models import Customer, IdentityKind
from lofte.outbox.services import AutomaticLimitReached, outbox_enqueue
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
    *, customer: Customer, channel: str = "", ip: str | None = None, now: datetime | None = None
) -> tuple[PortalToken, str]:
    """A new single-use link for the customer: the row (hash only) and the secret (to send, never to store)."""
    now = now or clock.now()
    secret = secrets.token_urlsafe(32)
    token = PortalToken.objects.create(
        customer=customer,
        token_hash=selectors.token_hash(secret),
        channel=channel,
        created_at=now,
        expires_at=now + timedelta(minutes=settings.LOFTE_PORTAL_LINK_MINUTES),
        ip=ip or None,
    )
    return token, secret


def _route(customer: Customer, kind: str, value: str) -> tuple[str, str] | None:
    """Where the link goes: the address asked with, or for a phone number without an SMS transport,
    the customer's email address."""
    if kind == IdentityKind.EMAIL:
        return "email", value
    if "sms" in settings.LOFTE_TRANSPORTS:
        return "sms", value
    email = selectors.customer_email(customer)
    return ("email", email) if email else None


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


def portal_link_request(*, address: str, ip: str, language: str, now: datetime | None = None) -> bool:
    """Send a magic link if the address belongs to a customer. The caller answers the same either way;
    the result (True: a link was written to the outbox) is for tests and logs only.

    Raises ValidationFailed for something that is no address, TooManyRequests over the limits.
    """
    now = now or clock.now()
    kind, value = parse_address(address)
    digest = hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:40]
    # both counters are hit every time, known address or not
    _check_rates(
        [
            ratelimit_hit(
                f"portal:ip:{ip}", limit=settings.LOFTE_PORTAL_REQUESTS_PER_IP_PER_HOUR, window=HOUR, now=now
            ),
            ratelimit_hit(
                f"portal:address:{digest}",
                limit=settings.LOFTE_PORTAL_LINKS_PER_ADDRESS_PER_HOUR,
                window=HOUR,
                now=now,
            ),
        ]
    )
    identity = selectors.portal_identity_find(kind=kind, value=value)
    if identity is None:
        return False
    customer = identity.customer
    route = _route(customer, kind, value)
    if route is None:
        return False
    channel, to = route
    try:
        with transaction.atomic():
            _token, secret = portal_token_create(customer=customer, channel=channel, ip=ip, now=now)
            with translation.override(customer.language or language):
                payload = _link_payload(channel=channel, customer=customer, link=portal_link_url(secret))
            outbox_enqueue(channel=channel, to=to, payload=payload, automatic=True)
    except AutomaticLimitReached:
        return False  # this address has had its automatic messages for the hour; the token was rolled back
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
    token = PortalToken.objects.select_related("customer").get(token_hash=digest)
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
    return cases.case_add_inbound(
        case=case,
        body=body,
        channel="web",
        sender=selectors.customer_email(customer) or "portal",
        attachments=attachments or [],
    )


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
