"""The incidents API: incidents (open, read, change), their updates (and the ready update), the cases linked to
them, and the status page's components. The public status is /status.json (no token). Thin handlers."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from lofte.accounts.models import Agent
from lofte.core.schemas import ErrorOut, Id
from lofte.incidents import outage, selectors, services
from lofte.incidents.models import Component, Incident, IncidentCase
from lofte.incidents.schemas import (
    ComponentIn,
    ComponentOut,
    IncidentDetailOut,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    LinkIn,
    LinkOut,
    MeasuresOut,
    UpdateIn,
    UpdateOut,
)

router = Router(tags=["incidents"])


def _agent(request: HttpRequest) -> Agent:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    services.require_read(agent)  # every staff role reads incidents; the services check who may write
    return agent


def _detail(incident: Incident) -> dict[str, object]:
    measures = selectors.measures(incident)
    nxt = selectors.next_updates([incident.pk]).get(incident.pk) if incident.is_active else None
    return {
        **IncidentOut.from_orm(incident).dict(by_alias=True),
        "updates": list(incident.updates.all()),
        "next_update_by": nxt.due_at if nxt else None,
        "measures": MeasuresOut(
            first_update_after_minutes=MeasuresOut.minutes(measures.first_update_after),
            updates_promised=measures.promised,
            updates_kept=measures.kept,
            updates_missed=measures.broken,
            cases_linked=measures.linked,
            status_questions_answered=measures.answered,
        ),
    }


@router.get("/incidents", response=list[IncidentOut], summary="Active incidents, then the 25 most recently resolved")
def list_incidents(request: HttpRequest) -> object:
    _agent(request)
    lists = selectors.incident_list()
    return lists["active"] + lists["resolved"]


@router.post(
    "/incidents",
    response={201: IncidentDetailOut, 403: ErrorOut},
    summary="Open an incident or plan maintenance (team leads and admins)",
    description="The first public update is promised to the owner by the severity's cadence.",
)
def open_incident(request: HttpRequest, data: IncidentIn) -> object:
    incident = services.incident_open(
        actor=_agent(request),
        title=data.title,
        titles=data.titles,
        kind=data.kind,
        severity=data.severity,
        status=data.status,
        components=data.components,
        owner_agent=data.owner_agent,
        owner_team=data.owner_team,
        match_words=data.match_words,
        first_update=data.first_update,
        first_updates=data.first_updates,
        scheduled_start=data.scheduled_start,
        scheduled_end=data.scheduled_end,
    )
    return Status(201, _detail(selectors.incident_get(incident_id=incident.pk)))


@router.get("/incidents/{incident_id}", response={200: IncidentDetailOut, 404: ErrorOut}, summary="One incident")
def get_incident(request: HttpRequest, incident_id: Id) -> object:
    _agent(request)
    return _detail(selectors.incident_get(incident_id=incident_id))


@router.patch(
    "/incidents/{incident_id}",
    response={200: IncidentDetailOut, 403: ErrorOut, 404: ErrorOut},
    summary="Change an incident's title, severity, owner, words or components (its status: post an update)",
)
def change_incident(request: HttpRequest, incident_id: Id, data: IncidentPatch) -> object:
    incident = selectors.incident_get(incident_id=incident_id)
    given = data.dict(exclude_unset=True)
    services.incident_change(actor=_agent(request), incident=incident, **given)
    return _detail(selectors.incident_get(incident_id=incident_id))


@router.post(
    "/incidents/{incident_id}/updates",
    response={201: UpdateOut, 403: ErrorOut, 404: ErrorOut},
    summary="Post a public update or an internal note (status resolved resolves the incident)",
)
def post_update(request: HttpRequest, incident_id: Id, data: UpdateIn) -> object:
    incident = selectors.incident_get(incident_id=incident_id)
    update = services.incident_update_post(
        actor=_agent(request),
        incident=incident,
        body=data.text,
        bodies=data.texts,
        status=data.status,
        public=data.public,
        components=data.components,
        solve_linked=data.solve_linked,
    )
    return Status(201, update)


@router.post(
    "/incidents/{incident_id}/ready",
    response={201: UpdateOut, 403: ErrorOut, 404: ErrorOut},
    summary="Post the ready update of the incident's status, in every language",
)
def post_ready(request: HttpRequest, incident_id: Id) -> object:
    incident = selectors.incident_get(incident_id=incident_id)
    return Status(201, services.incident_ready_post(actor=_agent(request), incident=incident))


def _link_out(link: IncidentCase) -> dict[str, object]:
    return {
        "incident_id": link.incident_id,
        "case": link.case.reference,
        "automatic": link.automatic,
        "answered": link.answered,
        "linked_at": link.linked_at,
        "final_sent_at": link.final_sent_at,
    }


@router.get(
    "/incidents/{incident_id}/cases", response={200: list[LinkOut], 404: ErrorOut}, summary="Linked cases you may see"
)
def list_links(request: HttpRequest, incident_id: Id) -> object:
    agent = _agent(request)
    incident = selectors.incident_get(incident_id=incident_id)
    return [_link_out(link) for link, _case in selectors.linked_cases(reader=agent, incident=incident)]


@router.post(
    "/incidents/{incident_id}/cases",
    response={201: LinkOut, 403: ErrorOut, 404: ErrorOut},
    summary="Link a case to the incident (it gets the final update when the incident resolves)",
)
def link_case(request: HttpRequest, incident_id: Id, data: LinkIn) -> object:
    incident = selectors.incident_get(incident_id=incident_id)
    link = outage.incident_link(actor=_agent(request), incident=incident, reference=data.case)
    return Status(201, _link_out(link))


@router.delete(
    "/incidents/{incident_id}/cases/{reference}",
    response={204: None, 403: ErrorOut, 404: ErrorOut},
    summary="Unlink a case from the incident",
)
def unlink_case(request: HttpRequest, incident_id: Id, reference: str) -> object:
    incident = selectors.incident_get(incident_id=incident_id)
    outage.incident_unlink(actor=_agent(request), incident=incident, reference=reference[:40])
    return Status(204, None)


@router.get("/components", response=list[ComponentOut], summary="The status page's components")
def list_components(request: HttpRequest) -> object:
    _agent(request)
    return list(Component.objects.order_by("position", "name"))


@router.post("/components", response={201: ComponentOut, 403: ErrorOut}, summary="Add a component (admins)")
def create_component(request: HttpRequest, data: ComponentIn) -> object:
    component = services.component_create(
        actor=_agent(request),
        name=data.name,
        names=data.names,
        group=data.group,
        position=data.position,
        is_active=data.is_active,
    )
    return Status(201, component)
