"""Keeping the customer informed on a longer complaint: a category with `update_hours` gives each of its open
complaints a next_update promise (about the complaint, shown on its case), due that many hours on (wall-clock, or
the owning team's business hours when the category counts its deadline so). An outbound reply keeps it like any
next_update promise of the case; the worker's job then makes the next one. A missed update breaks on the board,
and the customer is told honestly, with one new time (the subject type COMPLAINT asks for breach notices whatever
the case type says: lofte.cases.breaches); no new update promise is made while a broken one is outstanding.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from lofte.cases.models import Status
from lofte.cases.services import case_promises_record
from lofte.complaints.models import Complaint
from lofte.complaints.services import COMPLAINT
from lofte.promises import services as promises
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.selectors import team_hours

BATCH = 200
UPDATING = (Status.NEW, Status.OPEN, Status.WAITING_ON_THIRD_PARTY)  # waiting on the customer: nothing to tell


def updates_schedule(*, now: datetime) -> int:
    """An update promise for each open complaint whose category asks for updates and that has none pending (nor
    a broken one outstanding). Returns how many were made."""
    current = Promise.objects.filter(
        subject_type=COMPLAINT, subject_id=OuterRef("pk"), kind=PromiseKind.NEXT_UPDATE
    ).filter(Q(state=PromiseState.PENDING) | Q(state=PromiseState.BROKEN, settled_at__isnull=True))
    rows = list(
        Complaint.objects.filter(is_active=True, case__status__in=UPDATING)
        .filter(Q(category__update_hours__gt=0) | Q(subcategory__update_hours__gt=0))
        .exclude(Exists(current))
        .select_related("case", "category", "subcategory")[:BATCH]
    )
    made = 0
    for complaint in rows:
        hours, category = complaint.category_says("update_hours")
        if category is None:
            continue
        with transaction.atomic():
            calendar = team_hours(team_id=complaint.owner_team_id) if category.deadline_business_hours else None
            promise = promises.promise_make_about(
                subject_type=COMPLAINT,
                subject_id=complaint.pk,
                case_id=complaint.case_id,
                kind=PromiseKind.NEXT_UPDATE,
                due_at=promises.due_after(calendar, now, int(hours or 0) * 60),
                now=now,
                owner_team_id=complaint.owner_team_id or complaint.case.team_id,
                owner_agent_id=complaint.owner_agent_id or complaint.case.assignee_id,
                calendar=calendar,
            )
            case_promises_record(
                case=complaint.case, changes=[promises.PromiseChange(promise, "made")], actor=None, now=now
            )
            made += 1
    return made
