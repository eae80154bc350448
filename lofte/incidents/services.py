"""Writes for incidents: open one (or plan maintenance), post its public updates and internal notes, post the
ready update in one click, change it, resolve it.

Every public update keeps the incident's pending incident_update promise and makes the next one, due by the
cadence of its severity (lofte.incidents.cadence) and owned by the incident's owner: the promise engine reminds
the owner before it is due and escalates when it breaks, like every other promise. A resolved incident takes no
more updates. Each write tells the status page's cache (lofte.incidents.status) and queues the subscribers'
messages (lofte.incidents.subscribers) when the update is public.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.incidents import cadence
from lofte.incidents.models import (
    Affected,
    Component,
    ComponentGroup,
    ComponentState,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    Severity,
)
from lofte.incidents.outage import resolved_cases_tell
from lofte.incidents.status import INCIDENT, status_changed
from lofte.incidents.subscribers import update_fan_out
from lofte.promises import services as promises
from lofte.promises.models import PromiseKind

MAX_TITLE = 200
MAX_TEXT = 5000
UNSET: Any = object()

# the ready text for each status: posted in every language in one click, so keeping the cadence is never hard
READY_TEXTS = {
    IncidentStatus.INVESTIGATING: gettext_lazy(
        "We are still investigating the problem. There is no estimate yet, but we are working on it as fast as we "
        "can, and we will post the next update here."
    ),
    IncidentStatus.IDENTIFIED: gettext_lazy(
        "We know the cause and are working on a fix. There is no estimate yet; we will post the next update here."
    ),
    IncidentStatus.MONITORING: gettext_lazy(
        "A fix is in place and we are watching that everything works as it should. We will post the next update here."
    ),
    IncidentStatus.RESOLVED: pgettext_lazy("incident", "The problem is solved. Thank you for your patience."),
}
MAINTENANCE_DONE = gettext_lazy("The maintenance is completed and everything works as usual again.")


def languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def in_every_language(text: Any) -> dict[str, str]:
    """A translatable text in each of the site's languages."""
    out = {}
    for language in languages():
        with translation.override(language):
            out[language] = str(text)
    return out


def ready_texts(status: str) -> dict[str, str]:
    """The ready text of the status in every language."""
    return in_every_language(READY_TEXTS[IncidentStatus(status)])


def _may_manage(actor: Agent | None) -> None:
    access.require(actor, access.Perm.INCIDENT_MANAGE)


def _may_post(actor: Agent | None, incident: Incident) -> None:
    """Leads and admins post any incident's updates; its owner (an agent) posts its own."""
    if access.can(actor, access.Perm.INCIDENT_MANAGE):
        return
    if actor is not None and incident.owner_agent_id == actor.pk and access.can(actor, access.Perm.CASE_WORK):
        return
    access.require(actor, access.Perm.INCIDENT_MANAGE)  # raises with the role's reason


def _text(value: Any, field: str, *, required: bool, max_length: int, what: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationFailed(what, field=field)
    if len(text) > max_length:
        raise ValidationFailed(
            _("The text is too long: at most %(max)s characters.") % {"max": max_length}, field=field
        )
    return text


def _per_language(values: Mapping[str, Any] | None, field: str, max_length: int) -> dict[str, str]:
    """Texts per language: only the site's languages, the empty ones left out."""
    out: dict[str, str] = {}
    for language, value in (values or {}).items():
        if language not in languages():
            raise ValidationFailed(
                _("'%(value)s' is not a language of this site; use one of %(choices)s.")
                % {"value": str(language)[:10], "choices": ", ".join(languages())},
                field=field,
            )
        text = _text(value, field, required=False, max_length=max_length, what="")
        if text:
            out[language] = text
    return out


def _choice(value: Any, choices: list[str], field: str) -> str:
    if value not in choices:
        raise ValidationFailed(
            _("'%(value)s' is not one of %(choices)s.") % {"value": str(value)[:40], "choices": ", ".join(choices)},
            field=field,
        )
    return str(value)


def _components(values: Mapping[Any, Any] | None, *, kind: str) -> dict[int, str]:
    """{component id: state}; every id a component, every state one of the states (maintenance: always
    under maintenance)."""
    wanted: dict[int, str] = {}
    for key, state in (values or {}).items():
        try:
            pk = int(key)
        except (TypeError, ValueError):
            raise ValidationFailed(
                _("'%(value)s' is not a component.") % {"value": str(key)[:20]}, field="components"
            ) from None
        if kind == IncidentKind.MAINTENANCE:
            state = ComponentState.MAINTENANCE
        wanted[pk] = _choice(state, [s for s in ComponentState.values if s != ComponentState.OPERATIONAL], "components")
    found = set(Component.objects.filter(pk__in=list(wanted)).values_list("pk", flat=True))
    if missing := sorted(set(wanted) - found):
        raise ValidationFailed(_("There is no component %(id)s.") % {"id": missing[0]}, field="components")
    return wanted


def _owner(value: Any) -> Agent | None:
    if value in (None, ""):
        return None
    if isinstance(value, Agent):
        return value
    try:
        found = Agent.objects.filter(pk=int(value), is_active=True).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationFailed(_("There is no such active agent."), field="owner_agent")
    return found


def _team(value: Any) -> Team | None:
    if value in (None, ""):
        return None
    if isinstance(value, Team):
        return value
    try:
        found = Team.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise ValidationFailed(_("There is no such team."), field="owner_team")
    return found


def _promise_next(incident: Incident, now: datetime) -> None:
    """The next public update as a promise to the owner, due by the severity's cadence (not for maintenance)."""
    if incident.kind != IncidentKind.INCIDENT or incident.resolved_at is not None:
        return
    promises.promise_make_about(
        subject_type=INCIDENT,
        subject_id=incident.pk,
        kind=PromiseKind.INCIDENT_UPDATE,
        due_at=cadence.next_due(severity=incident.severity, started_at=incident.started_at, now=now),
        now=now,
        owner_agent_id=incident.owner_agent_id,
        owner_team_id=incident.owner_team_id,
    )


@transaction.atomic
def incident_open(
    *,
    actor: Agent | None,
    title: str,
    severity: str = Severity.MAJOR,
    kind: str = IncidentKind.INCIDENT,
    titles: Mapping[str, Any] | None = None,
    status: str = IncidentStatus.INVESTIGATING,
    components: Mapping[Any, Any] | None = None,
    owner_agent: Any = None,
    owner_team: Any = None,
    match_words: str = "",
    first_update: str = "",
    first_updates: Mapping[str, Any] | None = None,
    scheduled_start: datetime | None = None,
    scheduled_end: datetime | None = None,
) -> Incident:
    """Open an incident (or plan maintenance). Everything is checked before anything is written. The owner is
    the one who opens it unless another is named. An incident's first public update is due by its cadence at
    once (a first update given here is that update)."""
    _may_manage(actor)
    now = clock.now()
    kind = _choice(kind, IncidentKind.values, "kind")
    title = _text(title, "title", required=True, max_length=MAX_TITLE, what=_("Give the incident a title."))
    titles_clean = _per_language(titles, "titles", MAX_TITLE)
    severity = _choice(severity, Severity.values, "severity")
    status = _choice(status, [s for s in IncidentStatus.values if s != IncidentStatus.RESOLVED], "status")
    affected = _components(components, kind=kind)
    owner = _owner(owner_agent) if owner_agent not in (None, "") else actor
    team = _team(owner_team)
    words = _text(match_words, "match_words", required=False, max_length=2000, what="")
    if kind == IncidentKind.MAINTENANCE:
        if scheduled_start is None or scheduled_end is None:
            raise ValidationFailed(_("Maintenance needs a start and an end."), field="scheduled_start")
        if scheduled_end <= scheduled_start:
            raise ValidationFailed(_("The maintenance ends before it starts."), field="scheduled_end")
    incident = Incident.objects.create(
        kind=kind,
        title=title,
        titles=titles_clean,
        severity=severity,
        status=status,
        owner_agent=owner,
        owner_team=team,
        match_words=words,
        started_at=scheduled_start if kind == IncidentKind.MAINTENANCE and scheduled_start else now,
        scheduled_start=scheduled_start if kind == IncidentKind.MAINTENANCE else None,
        scheduled_end=scheduled_end if kind == IncidentKind.MAINTENANCE else None,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    Affected.objects.bulk_create([Affected(incident=incident, component_id=pk, state=s) for pk, s in affected.items()])
    if str(first_update or "").strip() or first_updates:
        update = _post(
            incident, actor=actor, body=first_update, bodies=first_updates, status=status, public=True, now=now
        )
        _apply(incident, update, now=now, actor=actor)
    else:
        if kind == IncidentKind.INCIDENT:  # nothing said yet: the first update is due by the cadence from the start
            _promise_next(incident, now)
        status_changed()
    return incident


def _post(
    incident: Incident,
    *,
    actor: Agent | None,
    body: Any,
    bodies: Mapping[str, Any] | None,
    status: str,
    public: bool,
    now: datetime,
    ready: bool = False,
) -> IncidentUpdate:
    texts = _per_language(bodies, "bodies", MAX_TEXT)
    default = settings.LANGUAGE_CODE
    text = _text(
        body or texts.get(default) or next(iter(texts.values()), ""),
        "body",
        required=True,
        max_length=MAX_TEXT,
        what=_("Write the update: what is happening, even if nothing has changed."),
    )
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        is_public=public,
        body=text,
        bodies=texts,
        ready=ready,
        author=actor,
        posted_at=now,
    )
    if public:
        promises.promises_about_keep(subject_type=INCIDENT, subject_id=incident.pk, now=now)
        if status != IncidentStatus.RESOLVED:
            _promise_next(incident, now)
        update_fan_out(update=update)
    return update


def _apply(
    incident: Incident, update: IncidentUpdate, *, now: datetime, actor: Agent | None, solve_linked: bool = False
) -> None:
    """What an update changes of its incident, saved: its status, its first public update's time, resolved (the
    linked cases told, and solved when asked); the status page's cache told."""
    fields = ["updated_at"]
    incident.updated_at = now
    if update.is_public and incident.first_update_at is None:
        incident.first_update_at = now
        fields.append("first_update_at")
    if update.status != incident.status:
        incident.status = update.status
        fields.append("status")
    if update.status == IncidentStatus.RESOLVED:
        incident.resolved_at = now
        fields.append("resolved_at")
    incident.save(update_fields=fields)
    if update.status == IncidentStatus.RESOLVED:
        resolved_cases_tell(incident=incident, update=update, solve=solve_linked, actor=actor)
    status_changed()


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic
def incident_update_post(
    *,
    actor: Agent | None,
    incident: Incident,
    body: str = "",
    bodies: Mapping[str, Any] | None = None,
    status: str | None = None,
    public: bool = True,
    components: Mapping[Any, Any] | None = None,
    ready: bool = False,
    solve_linked: bool = False,
) -> IncidentUpdate:
    """A public update (or, `public=False`, an internal note) on the incident, perhaps with a new status and new
    component states. Status resolved resolves it: its promises are kept, no next one is made, and every linked
    case gets this update as the final one on its own channel (solved as well when `solve_linked`, else left
    open: the owner chooses for the whole set at once). A resolved incident takes nothing more."""
    incident = _locked(incident)
    _may_post(actor, incident)
    if incident.resolved_at is not None:
        raise ValidationFailed(
            _("This incident is resolved and takes no more updates; open a new one if the problem is back."),
            field="body",
        )
    now = clock.now()
    new_status = _choice(status, IncidentStatus.values, "status") if status else incident.status
    if not public and new_status != incident.status:
        raise ValidationFailed(_("An internal note cannot change the status: post a public update."), field="status")
    affected = _components(components, kind=incident.kind) if components else {}
    update = _post(
        incident, actor=actor, body=body, bodies=bodies, status=new_status, public=public, now=now, ready=ready
    )
    for pk, state in affected.items():
        Affected.objects.update_or_create(incident=incident, component_id=pk, defaults={"state": state})
    _apply(incident, update, now=now, actor=actor, solve_linked=solve_linked)
    return update


def incident_ready_post(*, actor: Agent | None, incident: Incident) -> IncidentUpdate:
    """Post the ready update of the incident's status, in every language, in one click."""
    texts = ready_texts(incident.status)
    return incident_update_post(
        actor=actor, incident=incident, body=texts.get(settings.LANGUAGE_CODE, ""), bodies=texts, ready=True
    )


@transaction.atomic
def incident_change(
    *,
    actor: Agent | None,
    incident: Incident,
    title: Any = UNSET,
    titles: Any = UNSET,
    severity: Any = UNSET,
    owner_agent: Any = UNSET,
    owner_team: Any = UNSET,
    match_words: Any = UNSET,
    components: Any = UNSET,
) -> Incident:
    """Change what the incident says of itself (not its status: that is an update). A resolved incident keeps
    what it said."""
    _may_manage(actor)
    incident = _locked(incident)
    if incident.resolved_at is not None:
        raise ValidationFailed(_("This incident is resolved; it cannot be changed."))
    fields: list[str] = []
    if title is not UNSET:
        incident.title = _text(
            title, "title", required=True, max_length=MAX_TITLE, what=_("Give the incident a title.")
        )
        fields.append("title")
    if titles is not UNSET:
        incident.titles = _per_language(titles, "titles", MAX_TITLE)
        fields.append("titles")
    if severity is not UNSET:
        incident.severity = _choice(severity, Severity.values, "severity")
        fields.append("severity")
    if owner_agent is not UNSET:
        incident.owner_agent = _owner(owner_agent)
        fields.append("owner_agent")
    if owner_team is not UNSET:
        incident.owner_team = _team(owner_team)
        fields.append("owner_team")
    if match_words is not UNSET:
        incident.match_words = _text(match_words, "match_words", required=False, max_length=2000, what="")
        fields.append("match_words")
    affected = _components(components, kind=incident.kind) if components is not UNSET else None
    if affected is not None:
        incident.affected.exclude(component_id__in=list(affected)).delete()
        for pk, state in affected.items():
            Affected.objects.update_or_create(incident=incident, component_id=pk, defaults={"state": state})
    incident.updated_at = clock.now()
    incident.save(update_fields=[*fields, "updated_at"])
    if "owner_agent" in fields or "owner_team" in fields:
        promises.promises_about_reown(
            subject_type=INCIDENT,
            subject_id=incident.pk,
            owner_agent_id=incident.owner_agent_id,
            owner_team_id=incident.owner_team_id,
        )
    status_changed()
    return incident


def require_read(actor: Agent | None) -> None:
    """Anyone on the staff reads incidents (a QA reviewer too); a customer never through these pages."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        raise PermissionDenied(_("Log in to see incidents."))


@transaction.atomic
def component_create(
    *,
    actor: Agent | None,
    name: str,
    names: Mapping[str, Any] | None = None,
    group: int | None = None,
    position: int = 0,
    is_active: bool = True,
) -> Component:
    """Admins add a component to the status page."""
    access.require(actor, access.Perm.CONFIGURE)
    text = _text(name, "name", required=True, max_length=100, what=_("Give the component a name."))
    if group is not None and not ComponentGroup.objects.filter(pk=group).exists():
        raise ValidationFailed(_("There is no such component group."), field="group")
    component = Component.objects.create(
        name=text, names=_per_language(names, "names", 100), group_id=group, position=position, is_active=is_active
    )
    status_changed()
    return component


def maintenance_finish(*, now: datetime) -> int:
    """Scheduled maintenance whose end has passed is resolved by Lofte with the ready "completed" update in every
    language (its subscribers told, like any public update). Each in its own transaction; one resolved meanwhile
    is left alone. Returns how many were finished."""
    done = 0
    for pk in Incident.objects.filter(
        kind=IncidentKind.MAINTENANCE, resolved_at__isnull=True, scheduled_end__lte=now
    ).values_list("pk", flat=True)[:100]:
        with transaction.atomic():
            incident = Incident.objects.select_for_update().filter(pk=pk, resolved_at__isnull=True).first()
            if incident is None:
                continue
            texts = in_every_language(MAINTENANCE_DONE)
            update = _post(
                incident,
                actor=None,
                body=texts.get(settings.LANGUAGE_CODE, ""),
                bodies=texts,
                status=IncidentStatus.RESOLVED,
                public=True,
                now=now,
                ready=True,
            )
            _apply(incident, update, now=now, actor=None)
            done += 1
    return done
