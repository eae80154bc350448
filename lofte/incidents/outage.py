"""Outage mode: while an incident is active, new contacts about it are tied to it and told where to follow it;
when it resolves, every tied case gets the final update on its own channel.

- A new case (lofte.cases.opened) whose subject or first message holds one of an active incident's words, or
  whose customer chose one of its components on the contact form, is linked to the incident (automatically) and
  counted as a status question the page answered; its acknowledgement then says that the problem is known and
  where to follow it (lofte.cases.acknowledgements.also_say_register).
- A new case that text understanding (lofte.triage, L11) is sure only asks how things are going (its status-question
  model at or above its apply threshold), and that was not about one of the customer's own open cases, is linked
  while exactly one incident is active, and told where to follow it (`status_question_link`). Below that
  confidence the agent sees the suggestion, and links with one click.
- An agent links a case by hand with one click on the case page (or through the API), and can unlink it.
- On resolving, the incident's final update goes to each linked case in the customer's language, and the cases
  are solved or left open as the owner chose for the whole set.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.delivery import customer_language
from lofte.cases.models import ACTIVE_STATUSES, Case, Channel, Status
from lofte.cases.services import case_send_automatic, case_transition
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, ValidationFailed
from lofte.incidents.models import Incident, IncidentCase, IncidentKind, IncidentUpdate
from lofte.incidents.status import active_summary, cached
from lofte.outbox.services import AutomaticLimitReached

logger = logging.getLogger(__name__)

EVENT_LINKED = "incident_linked"
EVENT_UNLINKED = "incident_unlinked"
CUSTOMER_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.SMS, Channel.CHAT)  # the customer's own words
ANSWERED_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.SMS)  # those the acknowledgement answers


def status_url() -> str:
    return settings.LOFTE_BASE_URL.rstrip("/") + "/status/"


def _active_matchers() -> list[tuple[int, list[str], list[int]]]:
    """(incident id, its words, its component ids) of the active incidents: cached like the status page, so a
    new case costs no query when nothing is broken."""

    def build() -> list[tuple[int, list[str], list[int]]]:
        now = clock.now()
        out = []
        for incident in Incident.objects.filter(resolved_at__isnull=True).prefetch_related("affected"):
            if (
                incident.kind == IncidentKind.MAINTENANCE
                and incident.scheduled_start
                and incident.scheduled_start > now
            ):
                continue
            out.append((incident.pk, incident.words(), [a.component_id for a in incident.affected.all()]))
        return out

    return cached("matchers", build)


def matching_incident(*, text: str, component_id: int | None = None) -> int | None:
    """The active incident a contact is about: the component the customer chose, else the first incident (newest
    first) one of whose words is in the text (case and spacing ignored). None when nothing matches."""
    matchers = _active_matchers()
    if not matchers:
        return None
    if component_id is not None:
        for incident_id, _words, components in matchers:
            if component_id in components:
                return incident_id
    flat = " ".join(text.lower().split())
    for incident_id, words, _components in matchers:
        if any(word in flat for word in words):
            return incident_id
    return None


def case_opened(case: Case) -> None:
    """A new case in the customer's own words that matches an active incident is linked to it (cases.opened)."""
    if case.channel not in CUSTOMER_CHANNELS or not _active_matchers():
        return
    first = case.messages.order_by("id").only("body_text", "visible_text").first()
    text = " ".join([case.subject, (first.visible_text or first.body_text) if first else ""])
    incident_id = matching_incident(text=text)
    if incident_id is not None:
        incident = Incident.objects.get(pk=incident_id)
        _link(incident, case, actor=None, automatic=True)


def contact_about_component(*, case: Case, component_id: int | None) -> IncidentCase | None:
    """The customer chose, on the contact form, a component an active incident affects: their new case is linked
    to that incident (if its words had not linked it already)."""
    if component_id is None:
        return None
    incident_id = matching_incident(text="", component_id=component_id)
    if incident_id is None:
        return None
    return _link(Incident.objects.get(pk=incident_id), case, actor=None, automatic=True)


def affected_components() -> list[tuple[int, str]]:
    """(id, name) of the components active incidents affect, for the contact form's question (cached)."""
    seen: dict[int, str] = {}
    for incident in active_summary():
        for pk, name in zip(incident["component_ids"], incident["components"], strict=True):
            seen.setdefault(pk, name)
    return list(seen.items())


def status_question_link(*, case: Case, confidence: float) -> IncidentCase | None:
    """Text understanding is sure (at `confidence`, at or above its apply threshold) that the new case `case`
    only asks how things are going, and no case of the customer's own answered it: while exactly one incident is
    active (several: which one is meant is for an agent to see), the case is linked to it and, when its
    acknowledgement has gone already, told in one automatic message that the problem is known and where to follow
    it. None when nothing was linked (a channel of no customer's words, no incident or several, linked already)."""
    if case.channel not in CUSTOMER_CHANNELS:
        return None
    matchers = _active_matchers()
    if len(matchers) != 1 or IncidentCase.objects.filter(case=case).exists():
        return None
    incident = Incident.objects.get(pk=matchers[0][0])
    link = _link(incident, case, actor=None, automatic=True, confidence=confidence)
    if case.acknowledged_at is None or case.channel not in ANSWERED_CHANNELS:
        return link  # the acknowledgement, still to go, says it (acknowledgement_sentences)
    sentences = acknowledgement_sentences([case]).get(case.pk, [])
    try:
        with transaction.atomic():
            case_send_automatic(
                case=case, body=" ".join(sentences), now=clock.now(), event_data={"automatic": "incident"}
            )
            IncidentCase.objects.filter(pk=link.pk).update(answered=True)
            link.answered = True
    except (ValidationFailed, AutomaticLimitReached) as exc:
        logger.info("Case %s linked to incident %s, not told: %s", case.reference, incident.pk, exc)
    return link


def _link(
    incident: Incident, case: Case, *, actor: Agent | None, automatic: bool, confidence: float | None = None
) -> IncidentCase:
    link, created = IncidentCase.objects.get_or_create(
        incident=incident,
        case=case,
        defaults={
            "automatic": automatic,
            "answered": automatic and case.channel in ANSWERED_CHANNELS and case.acknowledged_at is None,
            "linked_by": actor,
            "linked_at": clock.now(),
        },
    )
    if created:
        case_event_add(
            case=case,
            kind=EVENT_LINKED,
            actor=actor,
            data={"incident": incident.pk, "title": incident.title, "automatic": automatic}
            | ({"confidence": round(confidence, 3)} if confidence is not None else {}),
            now=link.linked_at,
        )
    return link


def _visible_case(actor: Agent, reference: str) -> Case:
    case = Case.objects.filter(access.case_scope_q(actor), reference=reference).select_related("customer").first()
    if case is None:
        raise NotFound(_("There is no case %(reference)s.") % {"reference": reference[:30]})
    return case


@transaction.atomic
def incident_link(*, actor: Agent, incident: Incident, reference: str) -> IncidentCase:
    """An agent ties a case they can see to an active incident (one click on the case page)."""
    case = _visible_case(actor, reference)  # a case the agent cannot see is not found, whatever their role
    access.require(actor, access.Perm.CASE_WORK)
    if incident.resolved_at is not None:
        raise ValidationFailed(_("This incident is resolved; a case can no longer be linked to it."))
    return _link(incident, case, actor=actor, automatic=False)


@transaction.atomic
def incident_unlink(*, actor: Agent, incident: Incident, reference: str) -> None:
    case = _visible_case(actor, reference)
    access.require(actor, access.Perm.CASE_WORK)
    deleted, _rows = IncidentCase.objects.filter(incident=incident, case=case).delete()
    if deleted:
        case_event_add(
            case=case,
            kind=EVENT_UNLINKED,
            actor=actor,
            data={"incident": incident.pk, "title": incident.title},
            now=clock.now(),
        )


def acknowledgement_sentences(cases: list[Case]) -> dict[int, list[str]]:
    """For the acknowledgement of linked cases (one query): the problem is known, and where to follow it."""
    if not _active_matchers():
        return {}
    out: dict[int, list[str]] = {}
    links = IncidentCase.objects.filter(
        case__in=[c.pk for c in cases], incident__resolved_at__isnull=True
    ).select_related("incident")
    by_case = {c.pk: c for c in cases}
    for link in links:
        case = by_case[link.case_id]
        language = customer_language(case)
        with translation.override(language):
            out.setdefault(case.pk, []).append(
                _(
                    "We know about the problem (%(title)s) and are working on it: follow it at %(url)s. We will "
                    "write to you here when it is solved."
                )
                % {"title": link.incident.public_title(language), "url": status_url()}
            )
    return out


def final_text(*, incident: Incident, update: IncidentUpdate, case: Case) -> str:
    language = customer_language(case)
    with translation.override(language):
        return _("Update on %(title)s: %(text)s") % {
            "title": incident.public_title(language),
            "text": update.text(language),
        }


def resolved_cases_tell(
    *, incident: Incident, update: IncidentUpdate, solve: bool, actor: Agent | None
) -> dict[str, int]:
    """The final update to each linked case not yet told, on its own channel; solved too when `solve` (a case
    whose own rules forbid solving it, e.g. a complaint's open procedure, stays open). Each case in a savepoint:
    one that cannot be written to is skipped, the others go on. Returns counts."""
    counts = {"told": 0, "solved": 0, "skipped": 0}
    now = clock.now()
    links = list(
        IncidentCase.objects.filter(incident=incident, final_sent_at__isnull=True)
        .select_related("case", "case__customer")
        .order_by("case_id")
    )
    for link in links:
        case = link.case
        try:
            with transaction.atomic():
                case_send_automatic(case=case, body=final_text(incident=incident, update=update, case=case), now=now)
                IncidentCase.objects.filter(pk=link.pk).update(final_sent_at=now)
                counts["told"] += 1
        except (ValidationFailed, AutomaticLimitReached):
            counts["skipped"] += 1
        if solve and case.status in ACTIVE_STATUSES:
            try:
                with transaction.atomic():
                    case_transition(case=case, actor=actor, status=Status.SOLVED, reason="incident_resolved")
                    counts["solved"] += 1
            except DomainError:
                logger.info("Case %s of incident %s stays open: it cannot be solved now", case.reference, incident.pk)
    return counts
