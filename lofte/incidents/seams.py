"""What incidents add to the other apps through their seams: the subject type of an incident's promises, new cases
tied to an active incident (lofte.cases.opened), the acknowledgement's sentence for them, timeline events, and
the case page's panel (the case's incidents, and one click to link it to an active one). Called from
IncidentsConfig.ready(); no app below imports this one."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from lofte.accounts import access
from lofte.cases import acknowledgements, opened
from lofte.cases.events import event_type_register
from lofte.cases.models import Case
from lofte.core.panels import Panel, panel_register
from lofte.incidents import outage, status
from lofte.incidents.models import IncidentCase
from lofte.promises.models import Promise
from lofte.promises.subjects import SubjectType, subject_type_register


def describe_incident(p: Promise) -> tuple[str, str]:
    return f"#{p.subject_id}", f"/incidents/{p.subject_id}/"


def case_incidents_context(request: HttpRequest, case: Case) -> dict[str, Any] | None:
    """The case's incidents (one query) and the active ones it may be linked to (cached: no query); nothing to
    show (None) while nothing is broken and the case was never linked."""
    active = status.active_summary()
    links = list(IncidentCase.objects.filter(case=case).select_related("incident").order_by("-linked_at"))
    if not links and not active:
        return None
    linked = {link.incident_id for link in links}
    return {
        "case": case,
        "links": links,
        "active": [i for i in active if i["id"] not in linked],
        "can_work": access.can(request.user, access.Perm.CASE_WORK),  # type: ignore[arg-type]
    }


def register() -> None:
    subject_type_register(SubjectType(name=status.INCIDENT, label=_("Incident"), describe=describe_incident))
    opened.register(outage.case_opened)
    acknowledgements.also_say_register(outage.acknowledgement_sentences)
    event_type_register(outage.EVENT_LINKED, label=_("Linked to an incident"), template="incidents/events/linked.html")
    event_type_register(
        outage.EVENT_UNLINKED, label=_("Unlinked from an incident"), template="incidents/events/unlinked.html"
    )
    panel_register(
        Panel(
            slot="case",
            name="incidents",
            template="incidents/partials/_case_incidents.html",
            context=case_incidents_context,
            order=7,
            max_queries=3,
        )
    )
