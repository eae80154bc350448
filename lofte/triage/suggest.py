"""Suggestions on each customer message, applied or shown, and the agents' answers to them.

When a customer's message is filed (lofte.cases.arrived), `message_triage` runs in the background, after the
commit (the message's meaning takes tens of milliseconds to read, which the intake does not wait for). The
switched-on models say what they think of it:

- for a message that opened a case: its case type, team and priority, whether it is a complaint, and whether it
  only asks how an existing matter is going (a status question);
- for a message on a case that was open already: complaint and status question.

Each answer the model is sure enough of (at or above its floor: below it the model "doesn't know" and nothing is
shown) becomes a `Suggestion`. At or above the field's apply threshold (the model's, or the admin's, unless the
admin switched applying off), it is applied and says so on the timeline:

- a case type, team or priority only where nothing else chose one (the contact form's case type, a routing rule's
  team, an agent's priority stay); a team moves the case out of the triage team and routes it again;
- a complaint gets the complaint tag (LOFTE_COMPLAINT_TAG), and becomes a complaint in the register when the
  complaint settings say so (when applied, the default; or whenever suggested; or never), unless an agent said
  the case is not one; an agent's answer to a complaint suggestion flags or un-flags it;
- a status question is answered when the case has a promise the customer holds that is still open, and its case
  type allows it: one automatic message with what was promised and by when, counted. A status question that opened
  a case of its own, from a customer found by an address the contact proved, who has exactly one other case with
  such a promise, is merged into that case first (no new case for it). A new case answered by none of the
  customer's own, while exactly one incident is active, is linked to that incident and told where to follow it
  (lofte.incidents.outage.status_question_link).

Below the threshold the agent sees the suggestion on the case page; confirming or correcting it (one click,
`suggestion_decide`) applies the answer and stores it as a training example for the next model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases.delivery import status_answer_text
from lofte.cases.merge import case_merge_by_lofte
from lofte.cases.models import ACTIVE_STATUSES, Case, CaseType, Direction, Message
from lofte.cases.services import case_send_automatic, case_update
from lofte.cases.timeline import case_event, case_events_add
from lofte.complaints.models import Complaint
from lofte.complaints.models import Source as ComplaintSource
from lofte.complaints.services import complaint_flag, complaint_unflag, detection_flags
from lofte.core import clock
from lofte.core.choices import Priority
from lofte.core.errors import ValidationFailed
from lofte.incidents.outage import status_question_link
from lofte.outbox.services import AutomaticLimitReached
from lofte.promises.models import Promise, PromiseState
from lofte.routing.models import RoutingSettings
from lofte.routing.services import route_case
from lofte.triage import predict
from lofte.triage.classifier import MAX_CHARS, Prediction
from lofte.triage.models import (
    Field,
    FieldSetting,
    Source,
    Suggestion,
    SuggestionState,
    TrainingExample,
    TriageModel,
)

log = logging.getLogger(__name__)

EVENT_APPLIED = "triage_applied"
EVENT_DECIDED = "triage_decided"  # an agent confirmed or corrected a suggestion
# status question first: when it merges a new case into the customer's open one, the rest is not asked of it
NEW_CASE_FIELDS = (Field.STATUS_QUESTION, Field.CASE_TYPE, Field.TEAM, Field.PRIORITY, Field.COMPLAINT)
REPLY_FIELDS = (Field.STATUS_QUESTION, Field.COMPLAINT)
# the two yes-or-no fields: only "yes" is worth a suggestion
YES = {Field.COMPLAINT.value: "complaint", Field.STATUS_QUESTION.value: "status"}
NO = "other"
STATUS_ANSWER_GAP = timedelta(minutes=30)  # at most one automatic status answer per case in this time


def message_text(subject: str, visible_text: str, body_text: str) -> str:
    """What a model reads of a message: its subject and the customer's new words."""
    return f"{subject}\n{visible_text or body_text}".strip()[:MAX_CHARS]


def choices(field: str) -> list[tuple[str, str]]:
    """The answers an agent can give for `field` (label, name): what a correction may say."""
    if field == Field.CASE_TYPE:
        return [(str(pk), name) for pk, name in CaseType.objects.filter(is_active=True).values_list("pk", "name")]
    if field == Field.TEAM:
        return [(str(pk), name) for pk, name in Team.objects.order_by("name").values_list("pk", "name")]
    if field == Field.PRIORITY:
        return [(str(value), str(label)) for value, label in Priority.choices]
    if field == Field.COMPLAINT:
        return [("complaint", _("A complaint")), (NO, _("Not a complaint"))]
    if field == Field.STATUS_QUESTION:
        return [("status", _("Only asks how it is going")), (NO, _("Asks something else"))]
    raise ValidationFailed(_("'%(value)s' is not a field Lofte learns.") % {"value": field[:32]}, field="field")


def label_names(suggestions: list[Suggestion]) -> dict[tuple[str, str], str]:
    """(field, label) -> the name an agent reads, for these suggestions (a query per field among them)."""
    out: dict[tuple[str, str], str] = {}
    for field in {s.field for s in suggestions}:
        out |= {(field, label): name for label, name in choices(field)}
    return out


def field_settings(fields: Sequence[str]) -> dict[str, FieldSetting]:
    """The admins' settings of `fields`, the defaults where none were saved: one query."""
    saved = {s.field: s for s in FieldSetting.objects.filter(field__in=list(fields))}
    return {field: saved.get(field) or FieldSetting(field=field) for field in fields}


def field_setting(field: str) -> FieldSetting:
    return field_settings([field])[field]


def _applies(setting: FieldSetting, model: TriageModel, prediction: Prediction) -> bool:
    if not setting.auto_apply:
        return False
    threshold = setting.apply_at if setting.apply_at is not None else model.apply_at
    return prediction.confidence >= threshold


def _current(case: Case, field: str) -> str:
    if field == Field.CASE_TYPE:
        return str(case.case_type_id or "")
    if field == Field.TEAM:
        return str(case.team_id or "")
    if field == Field.PRIORITY:
        return str(case.priority)
    return ""


def message_triage(*, message_id: int, opened: bool, proven: bool) -> list[Suggestion]:
    """Ask the switched-on models about the message `message_id` and suggest or apply what they say (see the
    module's docstring). Idempotent: a message asked about once is not asked again."""
    message = Message.objects.filter(pk=message_id, direction=Direction.IN, internal=False).first()
    if message is None or Suggestion.objects.filter(message=message).exists():
        return []
    fields = NEW_CASE_FIELDS if opened else REPLY_FIELDS
    said = predict.predict_fields(fields, message_text(message.subject, message.visible_text, message.body_text))
    if not said:
        return []
    settings_of = field_settings(fields)
    made: list[Suggestion] = []
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",)).select_related("customer", "case_type").get(pk=message.case_id)
        )
        merged_into: Case | None = None
        told_by_incident: set[int] = set()
        for field in fields:
            if field not in said:
                continue
            model, prediction = said[field]
            label = prediction.label
            if not label or (field in YES and label != YES[field]):
                continue  # "don't know", or nothing worth saying (not a complaint)
            if merged_into is not None:
                break  # the new case is closed: nothing more to say of it
            if field not in YES and (label not in dict(choices(field)) or _current(case, field) == label):
                continue  # a case type or team gone since training, or what the case has already
            suggestion = Suggestion(
                case=case,
                message=message,
                field=field,
                label=label,
                confidence=prediction.confidence,
                model=model,
                state=SuggestionState.SUGGESTED,
            )
            if _applies(settings_of[field], model, prediction):
                if field == Field.STATUS_QUESTION:
                    answered_on = _answer_status(case, message, opened=opened, proven=proven)
                    if answered_on is not None:
                        suggestion.state, suggestion.answered = SuggestionState.APPLIED, True
                        if answered_on.pk != case.pk:
                            merged_into = suggestion.case = answered_on
                    elif opened and (link := status_question_link(case=case, confidence=prediction.confidence)):
                        # about none of the customer's own cases, while something is broken: the incident
                        # answers it, and says so on the timeline itself
                        suggestion.state, suggestion.answered = SuggestionState.APPLIED, link.answered
                        told_by_incident.add(id(suggestion))
                elif _apply(case, field, label, actor=None):
                    suggestion.state = SuggestionState.APPLIED
            if field == Field.COMPLAINT and detection_flags(applied=_applies(settings_of[field], model, prediction)):
                complaint_flag(case=case, source=ComplaintSource.DETECTION, now=clock.now())
            suggestion.save()
            made.append(suggestion)
        events = [
            case_event(
                case=s.case,
                kind=EVENT_APPLIED,
                now=clock.now(),
                data={
                    "field": s.field,
                    "label": s.label,
                    "confidence": s.confidence,
                    "version": s.model.version if s.model else None,
                    "answered": s.answered,
                },
            )
            for s in made
            if s.state == SuggestionState.APPLIED and id(s) not in told_by_incident
        ]
        case_events_add(events)
    return made


def _triage_team_id() -> int | None:
    return RoutingSettings.objects.filter(pk=1).values_list("triage_team_id", flat=True).first()


def _apply(case: Case, field: str, label: str, *, actor: Agent | None, by_agent: bool = False) -> bool:
    """Set `label` on the case where nothing else chose one (an agent's answer always). True when it changed."""
    if field == Field.CASE_TYPE:
        if case.case_type_id is not None and not by_agent:
            return False
        case_update(case=case, actor=actor, case_type=CaseType.objects.get(pk=int(label)))
    elif field == Field.TEAM:
        if not by_agent and (case.assignee_id is not None or case.team_id not in (None, _triage_team_id())):
            return False
        case_update(case=case, actor=actor, team=Team.objects.get(pk=int(label)))
        if case.assignee_id is None:
            route_case(case, actor=actor)
    elif field == Field.PRIORITY:
        if case.priority != Priority.NORMAL and not by_agent:
            return False
        case_update(case=case, actor=actor, priority=int(label))
    elif field == Field.COMPLAINT:
        if by_agent:
            _complaint_answered(case, yes=label == YES[field], agent=actor)
        tag = settings.LOFTE_COMPLAINT_TAG
        names = [t.name for t in case.tags.all()]
        wanted = [*names, tag] if label == YES[field] else [n for n in names if n != tag]
        if sorted(set(wanted)) == sorted(names):
            return False
        case_update(case=case, actor=actor, tags=wanted)
    else:
        return False
    return True


def _complaint_answered(case: Case, *, yes: bool, agent: Agent | None) -> None:
    """An agent's answer to a complaint suggestion makes the case a complaint, or says it is not one."""
    if yes:
        complaint_flag(case=case, source=ComplaintSource.AGENT, actor=agent)
        return
    complaint = Complaint.objects.filter(case=case, is_active=True).first()
    if complaint is not None:
        complaint_unflag(complaint=complaint, actor=agent, reason=_("Corrected Lofte's suggestion"))


def _open_promise(case: Case) -> Promise | None:
    """The promise the customer holds on the case that is next due and still ahead (not paused, not broken)."""
    return (
        Promise.objects.filter(case=case, state=PromiseState.PENDING, paused_at__isnull=True, due_at__gt=clock.now())
        .exclude(customer_text="")
        .order_by("due_at", "id")
        .first()
    )


def _answer_status(case: Case, message: Message, *, opened: bool, proven: bool) -> Case | None:
    """Answer a status question with the case's open promise; the case answered on (the customer's other case,
    when the question opened a case of its own and was merged into it), or None when it is not answered."""
    if Message.objects.filter(case=case, direction=Direction.OUT, author__isnull=False, pk__gt=message.pk).exists():
        return None  # an agent has written since (the worker was late): they have answered it
    target = case
    if opened:
        if not proven:
            return None  # a claimed address: the message must not reach anybody's case
        others = [
            c
            for c in Case.objects.filter(customer_id=case.customer_id, status__in=[s.value for s in ACTIVE_STATUSES])
            .exclude(pk=case.pk)
            .select_related("customer", "case_type")
            .order_by("pk")[:10]
            if _open_promise(c) is not None
        ]
        if len(others) != 1:
            return None  # none, or several: which one is asked about is for an agent to see
        target = others[0]
    promise = _open_promise(target)
    if promise is None or (target.case_type is not None and not target.case_type.answers_status_questions):
        return None
    since = clock.now() - STATUS_ANSWER_GAP
    if Suggestion.objects.filter(case=target, answered=True, created_at__gte=since).exists():
        return None  # answered a moment ago: a second question in a row is for an agent
    try:
        with transaction.atomic():
            if target.pk != case.pk:
                target = case_merge_by_lofte(into=target, source=case)
            text = status_answer_text(case=target, promise_text=promise.customer_text, when=promise.due_at)
            case_send_automatic(case=target, body=text, now=clock.now(), event_data={"automatic": "status_answer"})
    except (ValidationFailed, AutomaticLimitReached) as exc:
        log.info("status question on %s not answered: %s", target.reference, exc)
        return None
    return target


@transaction.atomic
def suggestion_decide(*, agent: Agent, suggestion: Suggestion, answer: str) -> Suggestion:
    """An agent's confirmation (`answer` is the suggestion's label) or correction of a suggestion: the answer is
    applied to the case and kept as a training example of the field. The caller has read the suggestion through
    a case the agent may see."""
    access.require(agent, access.Perm.CASE_WORK)
    valid = dict(choices(suggestion.field))
    if answer not in valid:
        raise ValidationFailed(_("Choose one of the answers offered."), field="answer")
    case = (
        Case.objects.select_for_update(of=("self",)).select_related("customer", "case_type").get(pk=suggestion.case_id)
    )
    if answer != _current(case, suggestion.field) or suggestion.field in YES:
        _apply(case, suggestion.field, answer, actor=agent, by_agent=True)
    now = clock.now()
    suggestion.state = SuggestionState.CONFIRMED if answer == suggestion.label else SuggestionState.CORRECTED
    suggestion.answer = answer
    suggestion.decided_by = agent
    suggestion.decided_at = now
    suggestion.save(update_fields=["state", "answer", "decided_by", "decided_at"])
    names = dict(choices(suggestion.field))
    case_events_add(
        [
            case_event(
                case=case,
                kind=EVENT_DECIDED,
                actor=agent,
                now=now,
                data={
                    "field": suggestion.field,
                    "confirmed": answer == suggestion.label,
                    "suggested": names.get(suggestion.label, suggestion.label),
                    "answer": names.get(answer, answer),
                },
            )
        ]
    )
    message = Message.objects.only("subject", "visible_text", "body_text", "language").get(pk=suggestion.message_id)
    text = message_text(message.subject, message.visible_text, message.body_text)
    TrainingExample.objects.filter(case=case, field=suggestion.field, source=Source.CORRECTION, text=text).delete()
    TrainingExample.objects.create(
        field=suggestion.field,
        label=answer,
        text=text,
        language=message.language,
        source=Source.CORRECTION,
        case=case,
        created_at=now,
    )
    return suggestion
