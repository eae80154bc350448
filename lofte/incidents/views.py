"""Incident pages for the staff (the list, opening one, its timeline with the update form and the ready update,
linking cases), and the public status page (HTML, JSON, Atom) with its sign-up. Thin: the services decide."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import feedgenerator, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.decorators import forbidden
from lofte.accounts.models import Agent
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, PermissionDenied
from lofte.core.htmx import back_to_case
from lofte.incidents import outage, selectors, services, status, subscribers
from lofte.incidents.forms import IncidentForm, SubscribeForm, UpdateForm
from lofte.incidents.models import ComponentState, Incident, IncidentKind, IncidentStatus


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def _incident(incident_id: int) -> Incident:
    try:
        return selectors.incident_get(incident_id=incident_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc


# --- the staff's pages -----------------------------------------------------------------------------------------


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    lists = selectors.incident_list()
    return render(
        request,
        "incidents/list.html",
        {**lists, "can_manage": access.can(_agent(request), access.Perm.INCIDENT_MANAGE), "now": clock.now()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def incident_new(request: HttpRequest) -> HttpResponse:
    actor = _agent(request)
    try:
        access.require(actor, access.Perm.INCIDENT_MANAGE)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    form = IncidentForm(request.POST or None)
    status_code = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_open(
                    actor=actor,
                    kind=data["kind"],
                    title=data["title"],
                    titles=form.titles(),
                    severity=data["severity"],
                    components=form.component_states(),
                    owner_agent=data["owner_agent"],
                    owner_team=data["owner_team"],
                    match_words=data["match_words"],
                    first_update=data["first_update"],
                    scheduled_start=data["scheduled_start"],
                    scheduled_end=data["scheduled_end"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("The incident is open and on the status page."))
                return redirect("incidents:detail", incident_id=incident.pk)
        status_code = 422
    return render(request, "incidents/new.html", {"form": form}, status=status_code)


def _detail(
    request: HttpRequest, incident: Incident, *, form: UpdateForm | None = None, status_code: int = 200
) -> HttpResponse:
    actor = _agent(request)
    states = {a.component_id: a.state for a in incident.affected.all()}
    form = form or UpdateForm(initial={"status": incident.status}, states=states)
    next_update = selectors.next_updates([incident.pk]).get(incident.pk) if incident.is_active else None
    may_post = access.can(actor, access.Perm.INCIDENT_MANAGE) or (
        incident.owner_agent_id == actor.pk and access.can(actor, access.Perm.CASE_WORK)
    )
    return render(
        request,
        "incidents/detail.html",
        {
            "incident": incident,
            "form": form,
            "next_update": next_update,
            "measures": selectors.measures(incident),
            "linked": selectors.linked_cases(reader=actor, incident=incident),
            "may_post": may_post and incident.is_active,
            "ready_text": services.READY_TEXTS[IncidentStatus(incident.status)],
            "now": clock.now(),
        },
        status=status_code,
    )


@login_required
@require_GET
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    return _detail(request, _incident(incident_id))


@login_required
@require_POST
def incident_post(request: HttpRequest, incident_id: int) -> HttpResponse:
    """A public update or an internal note (a new status, component states); resolving tells the linked cases."""
    incident = _incident(incident_id)
    form = UpdateForm(request.POST, states={a.component_id: a.state for a in incident.affected.all()})
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_update_post(
                actor=_agent(request),
                incident=incident,
                body=data["body"],
                bodies=form.bodies(),
                status=data["status"],
                public=data["visibility"] == "public",
                components=form.component_states(),
                solve_linked=data["solve_linked"],
            )
        except PermissionDenied as exc:
            return forbidden(request, exc)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, _("The update is posted.") if data["visibility"] == "public" else _("The note is saved.")
            )
            return redirect("incidents:detail", incident_id=incident.pk)
    return _detail(request, _incident(incident_id), form=form, status_code=422)


@login_required
@require_POST
def incident_ready(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Post the ready update in one click."""
    incident = _incident(incident_id)
    try:
        services.incident_ready_post(actor=_agent(request), incident=incident)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The ready update is posted; the next one is promised by the cadence."))
    return redirect("incidents:detail", incident_id=incident.pk)


@login_required
@require_POST
def incident_link(request: HttpRequest, incident_id: int) -> HttpResponse:
    """Link a case to the incident, from the case page's panel (or unlink it)."""
    incident = _incident(incident_id)
    reference = str(request.POST.get("reference", ""))[:40]
    unlink = request.POST.get("unlink") == "1"
    back = f"/cases/{reference}/"
    try:
        if unlink:
            outage.incident_unlink(actor=_agent(request), incident=incident, reference=reference)
        else:
            outage.incident_link(actor=_agent(request), incident=incident, reference=reference)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        return forbidden(request, exc)
    except DomainError as exc:
        messages.error(request, exc.message)
        return back_to_case(request, back, reload=True)
    messages.success(
        request,
        _("The case is no longer linked to the incident.")
        if unlink
        else _("The case is linked to the incident: it gets the final update when it resolves."),
    )
    return back_to_case(request, back)


# --- the public status page --------------------------------------------------------------------------------------


def _language(request: HttpRequest) -> None:
    """?lang=sv (da, nb, fi, en) chooses the public page's language; without it the browser's."""
    if wanted := request.GET.get("lang", "")[:16]:
        try:
            chosen = translation.get_supported_language_variant(wanted)
        except LookupError:
            return
        translation.activate(chosen)
        request.LANGUAGE_CODE = chosen  # type: ignore[attr-defined]


def _page_context() -> dict[str, Any]:
    page = status.page_cached()
    groups: list[tuple[str, list[Any]]] = []
    for row in page.components:
        if not groups or groups[-1][0] != row.group:
            groups.append((row.group, []))
        groups[-1][1].append(row)
    return {
        "page": page,
        "groups": groups,
        "state_class": status.STATE_CLASS,
        "state_names": dict(ComponentState.choices),
        "status_names": dict(IncidentStatus.choices),
        "kinds": dict(IncidentKind.choices),
    }


def _status_html() -> str:
    return render_to_string("incidents/status.html", {**_page_context(), "form": SubscribeForm()}, request=None)


@require_GET
def status_page(request: HttpRequest) -> HttpResponse:
    """The public status page: built once per few seconds per language (status.cached), no query when warm."""
    _language(request)
    html = status.cached("html", _status_html)
    response = HttpResponse(html)
    response["Cache-Control"] = f"public, max-age={int(settings.LOFTE_STATUS_CACHE_SECONDS)}"
    return response


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _incident_json(row: status.IncidentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "started_at": _iso(row.started_at),
        "resolved_at": _iso(row.resolved_at),
        "scheduled_start": _iso(row.scheduled_start),
        "scheduled_end": _iso(row.scheduled_end),
        "components": [{"name": name, "state": state} for name, state in row.components],
        "updates": [{"status": u.status, "text": u.text, "posted_at": _iso(u.posted_at)} for u in row.updates],
        "next_update_by": _iso(row.next_update_by),
    }


def _status_json() -> bytes:
    page = status.page_cached()
    body = {
        "state": page.state,
        "built_at": page.built_at.isoformat(),
        "language": translation.get_language(),
        "components": [
            {"id": c.id, "name": c.name, "group": c.group, "state": c.state, "uptime_90_days": c.uptime}
            for c in page.components
        ],
        "incidents": [_incident_json(r) for r in page.active],
        "maintenance": [_incident_json(r) for r in page.planned],
        "history": [_incident_json(r) for r in page.history],
    }
    return json.dumps(body, ensure_ascii=False).encode()


@require_GET
def status_json(request: HttpRequest) -> HttpResponse:
    _language(request)
    response = HttpResponse(status.cached("json", _status_json), content_type="application/json")
    response["Cache-Control"] = f"public, max-age={int(settings.LOFTE_STATUS_CACHE_SECONDS)}"
    response["Access-Control-Allow-Origin"] = "*"  # monitors and other sites read it
    return response


def _feed() -> bytes:
    base = settings.LOFTE_BASE_URL.rstrip("/")
    feed = feedgenerator.Atom1Feed(
        title=_("Service status"),
        link=f"{base}/status/",
        description=_("Incidents and maintenance, with every public update."),
        language=translation.get_language() or settings.LANGUAGE_CODE,
        feed_url=f"{base}/status/feed.atom",
    )
    names = dict(IncidentStatus.choices)
    for incident, update in status.feed_entries():
        feed.add_item(
            title=f"[{names.get(update.status, update.status)}] {incident.public_title()}",
            link=f"{base}/status/#incident-{incident.pk}",
            description=update.text(),
            unique_id=f"{base}/status/#update-{update.pk}",
            pubdate=update.posted_at,
            updateddate=update.posted_at,
        )
    return feed.writeString("utf-8").encode()


@require_GET
def status_feed(request: HttpRequest) -> HttpResponse:
    _language(request)
    body = status.cached("atom", _feed)
    return HttpResponse(body, content_type="application/atom+xml; charset=utf-8")


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "")


@csrf_exempt  # the form is on the cached page every visitor shares (no token to give); double opt-in guards it
@never_cache
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    _language(request)
    form = SubscribeForm(request.POST)
    context: dict[str, Any] = {"form": form}
    status_code = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            _subscriber, outcome = subscribers.subscribe(
                kind=data["kind"],
                address=data["address"],
                language=translation.get_language() or settings.LANGUAGE_CODE,
                components=[c.pk for c in data["components"]],
                remote_addr=_ip(request),
            )
        except subscribers.TooManySignups as exc:
            context["error"], status_code = exc.message, 429
        except DomainError as exc:
            form.add_error("address" if exc.field in ("address", "kind", None) else None, exc.message)
            status_code = 422
        else:
            context["outcome"] = outcome
    else:
        status_code = 422
    return render(request, "incidents/subscribed.html", context, status=status_code)


def _link_page(request: HttpRequest, token: str, action: str, act: Callable[..., Any]) -> HttpResponse:
    """A subscriber's link: opening it shows the page with its button (mail scanners open links); the button (a
    POST) does `act`. A forged or voided link is 404; one that can no longer be used (expired), 410."""
    try:
        subscriber = subscribers.from_token(token)
        done = False
        if request.method == "POST":
            subscriber = act(value=token)
            done = True
    except NotFound as exc:
        return render(request, "incidents/link.html", {"error": exc.message}, status=404)
    except DomainError as exc:
        return render(request, "incidents/link.html", {"error": exc.message}, status=410)
    with translation.override(subscriber.language):
        return render(request, "incidents/link.html", {"subscriber": subscriber, "action": action, "done": done})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _link_page(request, token, "confirm", subscribers.confirm)


@csrf_exempt  # RFC 8058: the mail program POSTs List-Unsubscribe=One-Click with no token; the link is signed
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click: the page's button, or the mail program's RFC 8058 POST."""
    return _link_page(request, token, "unsubscribe", subscribers.unsubscribe)
