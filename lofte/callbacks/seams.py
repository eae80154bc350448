"""What the callbacks app adds to the cases app through its seams: timeline event kinds and a case-page panel.

Called from CallbacksConfig.ready(); the cases app imports nothing of this app.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lofte.accounts import access
from lofte.callbacks.models import CallDirection, CallOutcome
from lofte.callbacks.selectors import callback_calendar, callbacks_for_case, calls_for_case
from lofte.callbacks.services import CALLBACK, EVENT_CALL, EVENT_CALLBACK_ATTEMPT
from lofte.cases.events import event_type_register
from lofte.cases.models import Case
from lofte.core.panels import Panel, panel_register
from lofte.promises.hooks import hours_fallback_register
from lofte.promises.models import Promise
from lofte.promises.subjects import SubjectType, subject_type_register


def case_calls_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """A case's calls and callbacks, with a form to log a call (a QA reviewer reads them but logs none)."""
    phones = [i.value for i in case.customer.identities.all() if i.kind == "phone"]
    return {
        "case": case,
        "calls": calls_for_case(case=case),
        "callbacks": callbacks_for_case(case=case),
        "number": phones[0] if phones else "",
        "next": f"/cases/{case.reference}/",
        "directions": CallDirection.choices,
        "outcomes": CallOutcome.choices,
        "can_work": access.can(request.user, access.Perm.CASE_WORK),  # type: ignore[arg-type]
    }


def describe_callback(p: Promise) -> tuple[str, str]:
    """A callback's promise is named by its case (every callback has one)."""
    reference = p.case.reference if p.case is not None else ""
    return reference, f"/cases/{reference}/" if reference else "/callbacks/"


def register() -> None:
    subject_type_register(SubjectType(name=CALLBACK, label=_("Callback"), describe=describe_callback))
    hours_fallback_register(callback_calendar)
    event_type_register(
        EVENT_CALLBACK_ATTEMPT, label=_("Callback attempt"), template="callbacks/events/callback_attempt.html"
    )
    event_type_register(EVENT_CALL, label=_("Phone call"), template="callbacks/events/call.html")
    # calls, callbacks (with their promise) and their attempts: three queries
    panel_register(
        Panel(
            slot="case",
            name="calls",
            template="callbacks/partials/_case_calls.html",
            context=case_calls_context,
            order=10,
            max_queries=3,
        )
    )
