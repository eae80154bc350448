"""Writing, claiming and delivering outbox rows.

Claiming is a conditional UPDATE, the same SQL on SQLite and PostgreSQL:
a row is taken only when it is pending, due, and not under a live lease.
A worker killed mid-delivery leaves a lease that runs out, and the row is
claimable again; a row is marked sent only by the worker holding the lease.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.errors import DomainError
from lofte.core.transactions import waiting_on_commit
from lofte.core.workers import worker_id
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.transports import PermanentFailure, get_transport

logger = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 6 * 3600


class AutomaticLimitReached(DomainError):
    """Lofte has already sent as many automatic messages to this address this hour as it may (loop protection)."""

    code = "automatic_limit"
    status = 429


def outbox_automatic_allowed(*, to: str, now: datetime | None = None) -> bool:
    """Fewer than LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR automatic messages to this address in the last hour."""
    now = now or clock.now()
    limit = settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR
    recent = OutboxMessage.objects.filter(automatic=True, to=to, created_at__gt=now - timedelta(hours=1))
    return recent[:limit].count() < limit


def outbox_enqueue(
    *,
    channel: str,
    to: str,
    payload: dict[str, Any],
    external_id: str = "",
    automatic: bool = False,
    requested: bool = False,
) -> OutboxMessage:
    """Write a delivery in the caller's transaction; the worker is woken after commit.

    An automatic message (one no person wrote) over the hourly limit for its
    address raises AutomaticLimitReached and nothing is written: two
    autoresponders can never keep each other busy. A `requested` message (a portal
    link somebody asked for on a page, limited there) is marked automatic in what
    is sent (Auto-Submitted) but is neither limited nor counted here: asking for
    links must not use up the acknowledgements and notices an address may get.
    """
    now = clock.now()
    if requested:
        payload, automatic = {**payload, "automatic": True}, False
    if automatic and not outbox_automatic_allowed(to=to, now=now):
        raise AutomaticLimitReached(
            _("Lofte has sent %(n)d automatic messages to %(to)s in the last hour; no more are sent this hour.")
            % {"n": settings.LOFTE_AUTOMATIC_PER_ADDRESS_PER_HOUR, "to": to}
        )
    if automatic:
        payload = {**payload, "automatic": True}
    row = OutboxMessage.objects.create(
        channel=channel,
        to=to,
        payload=payload,
        external_id=external_id,
        automatic=automatic,
        created_at=now,
        next_attempt_at=now,
    )
    _wake_after_commit()
    return row


def outbox_enqueue_many(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    """Write many deliveries at once (unsaved rows), in the caller's transaction."""
    if not rows:
        return []
    now = clock.now()
    for row in rows:
        row.created_at = row.next_attempt_at = now
    created = OutboxMessage.objects.bulk_create(rows)
    _wake_after_commit()
    return created


def outbox_fix_external_id(*, row: OutboxMessage, value: str) -> str:
    """Give a row its external id (e.g. a Message-ID) once; the first value written stays. Returns it."""
    OutboxMessage.objects.filter(pk=row.pk, external_id="").update(external_id=value)
    row.external_id = OutboxMessage.objects.values_list("external_id", flat=True).get(pk=row.pk)
    return row.external_id


def _wake_after_commit() -> None:
    """Wake the delivery worker when the transaction commits: once, however many rows it wrote (a task per row
    only had the worker look again for what the first one delivered)."""
    if waiting_on_commit(lambda func: func is _wake_worker) is None:
        transaction.on_commit(_wake_worker)


def _wake_worker() -> None:
    from lofte.outbox.tasks import deliver_outbox

    deliver_outbox.enqueue()


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s ... capped at 6 hours."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311


def _due_q() -> Q:
    now = clock.now()
    return Q(state=OutboxState.PENDING, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def outbox_claim(*, row_id: int, worker: str) -> bool:
    """Take the lease on one row; True when this worker got it."""
    lease = timedelta(seconds=settings.LOFTE_OUTBOX_LEASE_SECONDS)
    claimed = OutboxMessage.objects.filter(_due_q(), pk=row_id).update(
        claimed_until=clock.now() + lease, claimed_by=worker, attempts=F("attempts") + 1
    )
    return claimed == 1


def outbox_due_ids(*, limit: int = 50) -> list[int]:
    return list(
        OutboxMessage.objects.filter(_due_q()).order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit]
    )


def outbox_deliver_one(*, row_id: int, worker: str) -> str | None:
    """Claim and deliver one row. Returns the resulting state, or None when this worker
    did not decide it (not claimed, or its lease ran out and another worker took the row)."""
    if not outbox_claim(row_id=row_id, worker=worker):
        return None
    row = OutboxMessage.objects.get(pk=row_id)
    # Only the holder of the lease writes the outcome: a worker that finishes after its lease
    # ran out (and another worker claimed the row) must not overwrite the other's result.
    mine = OutboxMessage.objects.filter(pk=row_id, claimed_by=worker, state=OutboxState.PENDING)
    try:
        provider_id = get_transport(row.channel).send(row)
    except PermanentFailure as exc:
        logger.warning("Outbox %s failed permanently: %s", row_id, exc)
        outcome = OutboxState.DEAD
        updated = mine.update(
            state=OutboxState.DEAD, dead_at=clock.now(), last_error=str(exc)[:2000], claimed_until=None
        )
    except Exception as exc:  # any transport error is retried
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= settings.LOFTE_OUTBOX_MAX_ATTEMPTS:
            logger.warning("Outbox %s dead after %s attempts: %s", row_id, row.attempts, error)
            outcome = OutboxState.DEAD
            updated = mine.update(state=OutboxState.DEAD, dead_at=clock.now(), last_error=error, claimed_until=None)
        else:
            logger.info("Outbox %s attempt %s failed, will retry: %s", row_id, row.attempts, error)
            outcome = OutboxState.PENDING
            updated = mine.update(
                next_attempt_at=clock.now() + backoff(row.attempts), last_error=error, claimed_until=None
            )
    else:
        outcome = OutboxState.SENT
        updated = mine.update(
            state=OutboxState.SENT, sent_at=clock.now(), provider_id=provider_id or "", claimed_until=None
        )
    if not updated:
        logger.warning("Outbox %s: the lease of %s ran out before it finished; its outcome is dropped", row_id, worker)
        return None
    return outcome


def outbox_deliver_due(*, worker: str | None = None, limit: int = 50) -> dict[str, int]:
    """Deliver what is due now; returns counts by resulting state."""
    worker = worker or worker_id()
    counts: dict[str, int] = {}
    for row_id in outbox_due_ids(limit=limit):
        state = outbox_deliver_one(row_id=row_id, worker=worker)
        key = state or "skipped"
        counts[key] = counts.get(key, 0) + 1
    return counts


def outbox_mark_bounced(*, row_id: int, reason: str) -> bool:
    """A bounce came back for a row that was sent: record it (the row's own outcome is final). True when changed."""
    changed = (
        OutboxMessage.objects.filter(pk=row_id)
        .exclude(state=OutboxState.BOUNCED)
        .update(state=OutboxState.BOUNCED, dead_at=clock.now(), last_error=reason[:2000], claimed_until=None)
    )
    return changed == 1


def outbox_retry(*, row: OutboxMessage) -> OutboxMessage:
    """Put a dead row back in the queue (admin action), attempts counted afresh."""
    OutboxMessage.objects.filter(pk=row.pk, state=OutboxState.DEAD).update(
        state=OutboxState.PENDING, attempts=0, next_attempt_at=clock.now(), dead_at=None, claimed_until=None
    )
    _wake_after_commit()
    row.refresh_from_db()
    return row
