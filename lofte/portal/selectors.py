"""Reads for the customer portal. Access is decided here: a customer sees their own cases and nothing else.

A case of another customer is reported exactly like a case that does not
exist (NotFound), so references and ids cannot be probed. What a customer
sees of a case is its public side only: the messages (never notes, never
internal events, never automatic replies), with what was promised them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils.functional import Promise as LazyText
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lofte.cases.models import ACTIVE_STATUSES, Attachment, Case, Message, Status
from lofte.core.errors import NotFound
from lofte.core.pagination import SortKey, paginate
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind
from lofte.portal.models import PortalToken
from lofte.promises.models import Promise, PromiseKind, PromiseState

PAGE_SIZE = 20
CASE_SORT = SortKey("created_at", descending=True)

WORKING_ON_IT = gettext_lazy("We are working on it")
STATUS_LABELS: dict[str, LazyText] = {
    Status.NEW: WORKING_ON_IT,
    Status.OPEN: WORKING_ON_IT,
    Status.WAITING_ON_THIRD_PARTY: WORKING_ON_IT,
    Status.WAITING_ON_CUSTOMER: gettext_lazy("Waiting for your reply"),
    Status.SOLVED: gettext_lazy("Solved"),
    Status.CLOSED: gettext_lazy("Closed"),
}
# Promises a customer is told about even when no sentence was recorded with them.
CUSTOMER_FACING_KINDS = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE)


def status_label(status: str) -> LazyText:
    """The customer-facing name of a case status (translatable)."""
    return STATUS_LABELS.get(status, WORKING_ON_IT)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def portal_token_is_valid(*, secret: str, now: datetime) -> bool:
    """Whether the link can still be used (for the page before "Continue"); reads only, never consumes."""
    return PortalToken.objects.filter(token_hash=token_hash(secret), used_at__isnull=True, expires_at__gt=now).exists()


def portal_identity_find(*, kind: str, value: str) -> CustomerIdentity | None:
    """The identity with this normalised value, with its customer and the customer's identities."""
    return (
        CustomerIdentity.objects.filter(kind=kind, value=value)
        .select_related("customer")
        .prefetch_related("customer__identities")
        .first()
    )


def portal_customer_get(*, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).prefetch_related("identities").first()
    if customer is None:
        raise NotFound(_("Not found."))
    return customer


def customer_email(customer: Customer) -> str:
    """The customer's email address to write to: the primary one first (identities are prefetched in order)."""
    emails = [i for i in customer.identities.all() if i.kind == IdentityKind.EMAIL]
    emails.sort(key=lambda i: (not i.is_primary, i.value))
    return emails[0].value if emails else ""


# --- cases ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseActions:
    """What the customer may do with a case now."""

    can_write: bool
    can_close: bool
    can_reopen: bool
    reopen_until: datetime | None


def reopen_until(case: Case) -> datetime | None:
    if case.status != Status.SOLVED or case.solved_at is None:
        return None
    return case.solved_at + timedelta(days=settings.LOFTE_PORTAL_REOPEN_DAYS)


def case_actions(*, case: Case, now: datetime) -> CaseActions:
    until = reopen_until(case)
    reopenable = until is not None and now < until
    active = case.status in ACTIVE_STATUSES
    return CaseActions(
        can_write=active or reopenable,
        can_close=active,
        can_reopen=reopenable,
        reopen_until=until,
    )


@dataclass(frozen=True)
class CaseRow:
    """A case as the customer sees it: the case, its label and the next thing promised."""

    case: Case
    label: LazyText
    promise: Promise | None


def _customer_promise(promises: list[Promise]) -> Promise | None:
    """The earliest pending promise with a sentence the customer was given, else the earliest pending
    first-response / next-update promise. Paused promises (the clock waits on the customer) are left out."""
    pending = [p for p in promises if p.state == PromiseState.PENDING and p.paused_at is None]
    told = [p for p in pending if p.customer_text.strip()]
    candidates = told or [p for p in pending if p.kind in CUSTOMER_FACING_KINDS]
    return min(candidates, key=lambda p: (p.due_at, p.pk)) if candidates else None


def _promises_by_case(case_ids: list[int]) -> dict[int, list[Promise]]:
    rows: dict[int, list[Promise]] = {pk: [] for pk in case_ids}
    if not case_ids:
        return rows
    pending = Promise.objects.filter(case_id__in=case_ids, state=PromiseState.PENDING).only(
        "id", "case_id", "kind", "due_at", "state", "paused_at", "customer_text"
    )
    for promise in pending:
        rows[promise.case_id or 0].append(promise)
    return rows


def _customer_cases(customer: Customer) -> QuerySet[Case]:
    return Case.objects.filter(customer=customer)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None


def portal_case_list(*, customer: Customer, cursor: str | None = None) -> CasePage:
    """One page (20) of the customer's cases, newest first, each with its label and next promise."""
    page = paginate(
        _customer_cases(customer).only(
            "id", "reference", "subject", "status", "created_at", "updated_at", "solved_at", "customer_id"
        ),
        key=CASE_SORT,
        cursor=cursor,
        limit=PAGE_SIZE,
    )
    promises = _promises_by_case([c.pk for c in page.items])
    rows = [
        CaseRow(case=c, label=status_label(c.status), promise=_customer_promise(promises[c.pk])) for c in page.items
    ]
    return CasePage(rows=rows, next_cursor=page.next_cursor)


def portal_case_get(*, customer: Customer, reference: str) -> Case:
    """The customer's case with this reference; NotFound for another customer's case, as for none."""
    case = _customer_cases(customer).filter(reference=reference.strip().upper()).select_related("customer").first()
    if case is None:
        raise NotFound(_("Not found."))
    return case


def portal_case_promise(*, case: Case) -> Promise | None:
    return _customer_promise(_promises_by_case([case.pk])[case.pk])


def portal_timeline(*, case: Case) -> list[Message]:
    """The public timeline: the messages to and from the customer, oldest first, with their attachments.
    Notes and events are other tables and never read here; automatic replies are left out."""
    return list(
        Message.objects.filter(case=case, is_automatic=False, internal=False)
        .only("id", "case_id", "direction", "channel", "body_text", "visible_text", "created_at")
        .prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.only("id", "message_id", "filename", "size"))
        )
        .order_by("created_at", "id")
    )


def portal_attachment_get(*, case: Case, attachment_id: int) -> Attachment:
    """An attachment of a message on the customer's public timeline of this case; NotFound otherwise."""
    attachment = Attachment.objects.filter(
        pk=attachment_id, message__case=case, message__is_automatic=False, message__internal=False
    ).first()
    if attachment is None:
        raise NotFound(_("Not found."))
    return attachment
