"""What surveys add to the other apps through their seams: the answer on the case's timeline, the customer page's
panel of their answers, and the survey signal of the loyalty light. Called from SurveysConfig.ready(); no app
below imports this one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lofte.accounts import access
from lofte.cases.events import event_type_register
from lofte.core.panels import Panel, panel_register
from lofte.customers import lights
from lofte.customers.models import Customer
from lofte.surveys.models import Survey, SurveyState
from lofte.surveys.services import EVENT, loyalty_signals

PANEL_ANSWERS = 10


def customer_surveys_context(request: HttpRequest, customer: Customer) -> dict[str, Any] | None:
    """The customer's newest answers on cases the reader may see (one query); nothing to show (None) without."""
    answers = list(
        Survey.objects.filter(
            access.case_scope_q(request.user, prefix="case__"),  # type: ignore[arg-type]
            customer=customer,
            state=SurveyState.ANSWERED,
        )
        .select_related("case")
        .order_by("-answered_at", "-id")[:PANEL_ANSWERS]
    )
    return {"answers": answers} if answers else None


def register() -> None:
    event_type_register(EVENT, label=_("Survey answered"), template="surveys/events/answered.html")
    panel_register(
        Panel(
            slot="customer",
            name="surveys",
            template="surveys/partials/_customer_surveys.html",
            context=customer_surveys_context,
            order=20,
            max_queries=2,
        )
    )
    lights.signal_register(loyalty_signals)
