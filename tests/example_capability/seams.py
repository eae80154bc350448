"""Everything the example capability plugs in, registered from its AppConfig.ready()."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest

from lofte.cases.events import event_type_register
from lofte.cases.models import Case, CaseEvent
from lofte.core.panels import Panel, panel_register, panel_unregister
from lofte.customers.models import Customer
from lofte.promises.hooks import TickHook, tick_hook_register, tick_hook_unregister
from lofte.promises.models import Promise
from lofte.promises.subjects import SubjectType, subject_type_register

SURVEY_SENT = "survey_sent"
SURVEY = "survey"  # the subject of the promise to read a survey's answer (its id: the survey_sent event)
heard: list[tuple[str, int]] = []  # what the tick told this app (the test reads it)


def survey_panel(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """One query: how many surveys went to this case's customer. Nothing to show before the first."""
    sent = CaseEvent.objects.filter(case=case, kind=SURVEY_SENT).count()
    return {"sent": sent} if sent else None


def customer_panel(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """One query: the surveys sent on this customer's cases."""
    return {"sent": CaseEvent.objects.filter(case__customer=customer, kind=SURVEY_SENT).count()}


def tick(what: str, promises: list[Promise], now: datetime) -> dict[str, int]:
    heard.extend((what, p.pk) for p in promises)
    return {"surveys_checked": len(promises)}


def describe_survey(promise: Promise) -> tuple[str, str]:
    reference = promise.case.reference if promise.case is not None else ""
    return f"survey {promise.subject_id} on {reference}", f"/cases/{reference}/"


def register() -> None:
    subject_type_register(SubjectType(name=SURVEY, label="Survey", describe=describe_survey))
    event_type_register(SURVEY_SENT, label="Survey sent", template="example_capability/survey_sent.html")
    panel_register(
        Panel(
            slot="case",
            name="survey",
            template="example_capability/panel.html",
            context=survey_panel,
            order=50,
            max_queries=1,
        )
    )
    panel_register(
        Panel(
            slot="customer",
            name="surveys",
            template="example_capability/customer_panel.html",
            context=customer_panel,
            max_queries=1,
        )
    )
    tick_hook_register(TickHook(name="survey", handle=tick, whats=("reminded", "broken"), counts=("surveys_checked",)))


def unregister() -> None:
    panel_unregister("case", "survey")
    panel_unregister("customer", "surveys")
    tick_hook_unregister("survey")
