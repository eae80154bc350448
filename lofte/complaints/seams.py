"""What complaints add to the other apps through their seams: a case opened (or given) a complaint case type becomes
a complaint, the subject type of a complaint's promises, timeline events and the case page's complaint panel.
Called from ComplaintsConfig.ready(); the cases app imports nothing of this app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases import guards, opened
from lofte.cases.events import event_type_register
from lofte.cases.models import Case
from lofte.complaints import checks, compensation, loyalty, procedures, selectors, services
from lofte.complaints.models import CompensationKind, Outcome, Severity
from lofte.core.panels import Panel, panel_register
from lofte.customers import lights
from lofte.promises.models import Promise
from lofte.promises.subjects import SubjectType, subject_type_register


def describe_complaint(p: Promise) -> tuple[str, str]:
    """A complaint's promise is named by its case (every complaint has one)."""
    reference = p.case.reference if p.case is not None else ""
    return reference, f"/cases/{reference}/" if reference else "/complaints/"


def case_complaint_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """The case's complaint (or a button to make it one), with what its form chooses from."""
    complaint = selectors.complaint_for_case(case=case)
    context: dict[str, Any] = {
        "case": case,
        "complaint": complaint,
        "can_work": access.can(request.user, access.Perm.CASE_WORK),  # type: ignore[arg-type]
    }
    if complaint is None or not complaint.is_active:
        return context
    categories = selectors.categories()
    deadline = (
        Promise.objects.filter(subject_type=services.COMPLAINT, subject_id=complaint.pk)
        .order_by("-created_at", "-id")
        .only("state", "due_at")
        .first()
    )
    context.update(
        {
            "deadline": deadline,
            "main_categories": [c for c in categories if c.parent_id is None],
            "sub_categories": [c for c in categories if c.parent_id and c.parent_id == complaint.category_id],
            "root_causes": selectors.root_causes(),
            "teams": list(Team.objects.order_by("name").only("pk", "name")),
            "owners": list(Agent.objects.filter(is_active=True).order_by("name", "email").only("pk", "name", "email")),
            "severities": Severity.choices,
            "outcomes": Outcome.choices,
        }
    )
    steps = procedures.checklist(complaint=complaint)
    context["steps"] = [
        {"s": state, "may": procedures.may_do(request.user, state.step)}  # type: ignore[arg-type]
        for state in steps
    ]
    context["steps_left"] = sum(1 for state in steps if not state.is_done)
    rows = selectors.compensations_for_complaint(complaint=complaint)
    if rows or context["can_work"]:
        limits = compensation.limits_for(request.user) if rows else {}  # type: ignore[arg-type]
        context.update(
            {
                "compensations": [
                    {"c": c, "decide": compensation.may_decide(request.user, c, limits)}  # type: ignore[arg-type]
                    for c in rows
                ],
                "compensation_kinds": CompensationKind.choices,
                "currencies": compensation.currencies(),
            }
        )
    return context


def register() -> None:
    opened.register(services.case_opened)
    opened.type_changed_register(services.case_type_changed)
    guards.register(procedures.solve_check)
    lights.register(loyalty.lights)
    event_type_register(checks.EVENT_CHECK, label=_("Temperature check"), template="complaints/events/check.html")
    event_type_register(procedures.EVENT_STEP, label=_("Procedure step"), template="complaints/events/step.html")
    subject_type_register(
        SubjectType(
            name=services.COMPLAINT,
            label=_("Complaint"),
            describe=describe_complaint,
            # a missed complaint deadline or update is always told to the customer, with a new time
            breach_notice_hours=services.BREACH_NOTICE_HOURS,
        )
    )
    event_type_register(services.EVENT_FLAGGED, label=_("Complaint"), template="complaints/events/flagged.html")
    event_type_register(
        services.EVENT_UNFLAGGED, label=_("Not a complaint"), template="complaints/events/unflagged.html"
    )
    event_type_register(services.EVENT_CHANGED, label=_("Complaint changed"), template="complaints/events/changed.html")
    event_type_register(
        compensation.EVENT_COMPENSATION, label=_("Compensation"), template="complaints/events/compensation.html"
    )
    # the complaint; for an active one its deadline, categories, root causes, teams, agents, procedure steps and
    # those done, compensation and the reader's approval limits: ten queries
    panel_register(
        Panel(
            slot="case",
            name="complaint",
            template="complaints/partials/_case_complaint.html",
            context=case_complaint_context,
            order=6,
            max_queries=10,
        )
    )
