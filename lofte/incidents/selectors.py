"""Reads for the incident pages: the list, one incident with its timeline, its measures and its linked cases (those
the reader may see)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.models import Case
from lofte.core.errors import NotFound
from lofte.incidents.models import Affected, Incident, IncidentCase, IncidentUpdate
from lofte.incidents.status import INCIDENT, next_update_promises
from lofte.promises.models import Promise, PromiseKind, PromiseState

RECENT = 25


@dataclass
class Measures:
    first_update_after: timedelta | None  # from the start to the first public update
    promised: int  # public updates promised (incident_update promises made)
    kept: int
    broken: int
    linked: int  # cases tied to it
    answered: int  # of those, answered by pointing to the status page


def incident_list() -> dict[str, list[Incident]]:
    """Active incidents (maintenance not yet started among them, apart), and the most recently resolved."""
    base = Incident.objects.select_related("owner_agent", "owner_team").prefetch_related(
        Prefetch("affected", queryset=Affected.objects.select_related("component"))
    )
    active = list(base.filter(resolved_at__isnull=True).order_by("-started_at", "-id"))
    next_by = next_updates([i.pk for i in active])
    for incident in active:
        incident.next_update = next_by.get(incident.pk)  # type: ignore[attr-defined]
    return {
        "active": active,
        "resolved": list(base.filter(resolved_at__isnull=False).order_by("-resolved_at", "-id")[:RECENT]),
    }


def next_updates(incident_ids: list[int]) -> dict[int, Promise]:
    """Each incident's pending (or broken, not yet followed) next-update promise: one query."""
    return next_update_promises(incident_ids)


def incident_get(*, incident_id: int) -> Incident:
    incident = (
        Incident.objects.select_related("owner_agent", "owner_team", "created_by")
        .prefetch_related(
            Prefetch("affected", queryset=Affected.objects.select_related("component").order_by("component__position")),
            Prefetch("updates", queryset=IncidentUpdate.objects.select_related("author").order_by("-posted_at", "-id")),
        )
        .filter(pk=incident_id)
        .first()
    )
    if incident is None:
        raise NotFound(_("There is no incident %(id)s.") % {"id": incident_id})
    return incident


def measures(incident: Incident) -> Measures:
    """Two queries: its promises by state, and its links."""
    counts = dict(
        Promise.objects.filter(subject_type=INCIDENT, subject_id=incident.pk, kind=PromiseKind.INCIDENT_UPDATE)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    links = IncidentCase.objects.filter(incident=incident).aggregate(
        linked=Count("id"), answered=Count("id", filter=Q(answered=True))
    )
    return Measures(
        first_update_after=(incident.first_update_at - incident.started_at) if incident.first_update_at else None,
        promised=sum(counts.values()),
        kept=counts.get(PromiseState.KEPT, 0),
        broken=counts.get(PromiseState.BROKEN, 0),
        linked=links["linked"] or 0,
        answered=links["answered"] or 0,
    )


def linked_cases(*, reader: Agent, incident: Incident, limit: int = 100) -> list[tuple[IncidentCase, Case]]:
    """The linked cases the reader may see (one query), newest link first."""
    rows = (
        IncidentCase.objects.filter(incident=incident)
        .filter(access.case_scope_q(reader, prefix="case__"))
        .select_related("case", "case__customer")
        .order_by("-linked_at", "-id")[:limit]
    )
    return [(row, row.case) for row in rows]
