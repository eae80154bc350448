"""Broken promises of cases: their timeline events, and the honest notice to the customer with one new time.

The tick's hook in lofte.cases.seams calls these inside the batch's transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lofte.cases.delivery import breach_notice_text, customer_zone_is_valid
from lofte.cases.models import ACTIVE_STATUSES, Case, EventKind
from lofte.cases.services import _promise_events, _send_outbound, _touch
from lofte.cases.timeline import case_event, case_events_add
from lofte.core.errors import ValidationFailed
from lofte.notifications.services import notify_admins
from lofte.outbox.services import AutomaticLimitReached
from lofte.promises import services as promises
from lofte.promises.models import Promise, PromiseKind
from lofte.promises.subjects import breach_notice_hours

logger = logging.getLogger(__name__)


def case_promises_broken(*, broken: list[Promise], now: datetime) -> int:
    """Timeline events for promises the tick found broken (one INSERT), and the cases' next due times (one
    UPDATE). Inside the tick's batch transaction; the promises come with their cases."""
    broken = [p for p in broken if p.case is not None]
    case_events_add(
        [
            case_event(
                case=p.case,
                kind=EventKind.PROMISE_BROKEN,
                data={"promise": p.pk, "kind": p.kind, "due_at": p.due_at.isoformat()},
                now=now,
            )
            for p in broken
            if p.case is not None
        ]
    )
    case_ids = {p.case_id for p in broken if p.case_id is not None}
    Case.objects.filter(pk__in=case_ids).update(next_due_at=promises.next_due_subquery())
    return len(broken)


def _notice_hours(case: Case, broken: list[Promise], always: dict[str, int]) -> int:
    """Hours to the new time a breach notice tells: the case type's when it asks for notices, else the shortest
    of the broken promises' subjects that are always told (a complaint's missed update); 0: no notice."""
    if case.case_type is not None and case.case_type.breach_notice:
        return case.case_type.breach_notice_hours
    return min((always[p.subject_type] for p in broken if p.subject_type in always), default=0)


NOTICE_KINDS = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE, PromiseKind.RESOLUTION, PromiseKind.FOLLOW_UP)


def case_breach_notices(*, promise_ids: list[int], now: datetime) -> int:
    """For broken promises on case types that ask for it, or about a subject that is always told (a complaint's
    deadline or update: lofte.promises.subjects): tell the customer honestly, with one new time, and renew every
    broken customer-facing promise of the case to that time (new promises).

    One notice per case per tick, and none while a time told in an earlier notice is still pending on the case
    (the customer is never told two times at once). Each case is its own savepoint: a case that cannot be
    written to (no address, the hourly limit of automatic messages) is skipped; any other failure is logged
    with the case's reference and reported to the admins, and the other cases go on: one case that cannot be
    told must not hold back every other breach (the tick runs this inside its batch's transaction, through the
    hook in lofte.cases.seams, so a crash of the process itself rolls the batch back). Returns the notices
    sent."""

    def report(what: str, case_id: int, reference: str, message: str, params: dict[str, str]) -> None:
        """Tell the admins, each in their language (once per case and tick); a failure here is logged and goes
        no further."""
        try:
            with transaction.atomic():
                notify_admins(
                    kind=f"breach_notice_{what}",
                    render=lambda _agent: _(message) % params,
                    url=f"/cases/{reference}/" if reference else "",
                    dedupe_key=f"breach_notice_{what}:{case_id}:{min(promise_ids, default=0)}",
                    now=now,
                )
        except Exception:
            logger.exception("Could not tell the admins about the breach notice of case %s", case_id)

    always = breach_notice_hours()  # subjects whose broken promises are told whatever the case type says
    case_ids = list(
        Promise.objects.filter(
            Q(case__case_type__breach_notice=True) | Q(subject_type__in=list(always)),
            pk__in=promise_ids,
            kind__in=NOTICE_KINDS,
            settled_at__isnull=True,
            case__status__in=[s.value for s in ACTIVE_STATUSES],
        )
        .order_by("case_id")
        .values_list("case_id", flat=True)
        .distinct()
    )
    sent = 0
    for case_id in case_ids:
        reference = ""
        try:
            with transaction.atomic():
                # the case's row is locked: two ticks breaking promises of one case tell the customer once
                case = (
                    Case.objects.select_for_update(of=("self",))
                    .select_related("customer", "team", "case_type")
                    .get(pk=case_id)
                )
                reference = case.reference
                if promises.renewal_pending(case_id=case.pk):
                    continue  # the customer holds a time from an earlier notice; this breach is on the board
                broken = promises.outstanding_breaches(case_id=case.pk, kinds=NOTICE_KINDS)
                hours = _notice_hours(case, broken, always)
                if not broken or not hours:
                    continue
                basis = next((p for p in broken if p.calendar is not None), broken[0])
                due_at = promises.told_time(
                    due_at=promises.due_after(basis.calendar, now, hours * 60),
                    calendar=basis.calendar,
                    policy=basis.policy,
                    team_id=case.team_id,
                )
                text = breach_notice_text(case=case, when=due_at)
                try:
                    message = _send_outbound(case=case, body=text, author=None, now=now, automatic=True)
                except (ValidationFailed, AutomaticLimitReached):
                    # nothing written: no address to write to, or this address has had its automatic messages
                    # for the hour; the breach is on the board and with the owner
                    continue
                changes = [
                    promises.PromiseChange(
                        promises.promise_renew(broken=p, due_at=due_at, customer_text=text, now=now), "made"
                    )
                    for p in broken
                ]
                events = [case_event(case=case, kind=EventKind.MESSAGE_OUT, message=message, now=now)]
                events += _promise_events(case, changes, actor=None, now=now)
                case_events_add(events)
                _touch(case, now, "next_due_at")
        except Exception as exc:
            label = reference or f"case {case_id}"
            logger.exception("Could not send the breach notice for %s", label)
            reason = getattr(exc, "message", "") or str(exc) or type(exc).__name__
            report(
                "failed",
                case_id,
                reference,
                gettext_noop("Could not send the breach notice for %(reference)s: %(reason)s"),
                {"reference": label, "reason": reason},
            )
            continue
        sent += 1
        if not customer_zone_is_valid(case):
            report(
                "time_zone",
                case_id,
                reference,
                gettext_noop(
                    "The customer of %(reference)s has a time zone Lofte does not know (%(zone)s): the breach "
                    "notice told the time in %(site)s. Correct the customer's time zone."
                ),
                {"reference": reference, "zone": case.customer.time_zone, "site": settings.TIME_ZONE},
            )
    return sent
