"""What the cases app adds to the seams of the apps below it: its promise subjects (cases, customers) and its
hook into the promise tick.

Called from CasesConfig.ready().
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils.translation import gettext_lazy as _

from lofte.cases.breaches import case_breach_notices, case_promises_broken
from lofte.cases.models import Case
from lofte.cases.selectors import unanswered_queue_size
from lofte.promises.hooks import TickHook, queue_size_register, tick_hook_register
from lofte.promises.models import Promise
from lofte.promises.services import CASE
from lofte.promises.subjects import SubjectType, subject_type_register

CUSTOMER = "customer"  # a promise to a customer that outlives a case (a check two weeks after it was solved)


def promises_broke(what: str, promises: list[Promise], now: datetime) -> dict[str, int]:
    """Broken promises of cases go on their timelines, and their customers hear of it where the case type asks;
    inside the tick's batch transaction."""
    on_cases = [p for p in promises if p.case_id is not None]
    if not on_cases:
        return {"notices": 0}
    case_promises_broken(broken=on_cases, now=now)
    return {"notices": case_breach_notices(promise_ids=[p.pk for p in on_cases], now=now)}


def describe_case(p: Promise) -> tuple[str, str]:
    reference = p.case.reference if p.case is not None else ""
    return reference, f"/cases/{reference}/" if reference else ""


def describe_customer(p: Promise) -> tuple[str, str]:
    """A customer's promise names its case when it shows on one, else the customer."""
    if p.case is not None:
        return describe_case(p)
    return f"#{p.subject_id}", f"/customers/{p.subject_id}/"


def lock_cases(what: str, promise_ids: list[int]) -> None:
    """The batch's cases, locked in id order before the tick claims their promises: a reply locks its case and
    then its promises, and the tick now takes its locks in that order too (no deadlock between them). SQLite has
    no row locks (its IMMEDIATE transactions serialise the writers): nothing to do there."""
    if not connection.features.has_select_for_update:
        return
    list(
        Case.objects.filter(promises__pk__in=promise_ids)
        .order_by("pk")
        .select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )


def register() -> None:
    subject_type_register(SubjectType(name=CASE, label=_("Case"), describe=describe_case))
    subject_type_register(SubjectType(name=CUSTOMER, label=_("Customer"), describe=describe_customer))
    queue_size_register(unanswered_queue_size)
    tick_hook_register(
        TickHook(name="cases", handle=promises_broke, whats=("broken",), counts=("notices",), lock=lock_cases)
    )
