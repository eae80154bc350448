"""Surveys after solving: scheduled, sent on the customer's channel with a signed single-use link, answered
without logging in, expired.

- `surveys_schedule` gives each case solved since the last run its surveys for that solving, by the rule for its
  case type and channel (`rule_for`): scheduled for the rule's delay after solving, or not asked when the customer
  was asked that kind of survey within the rule's quarantine, or when NPS is asked of the same solving, or when no
  kind is on (one row, so that the case is not looked at again).
- `surveys_send` sends those that are due (a case reopened meanwhile cancels its survey).
- `survey_answer`: the customer's answer through the link; on the case's timeline; a negative one tells the
  case team's leads.
- `surveys_expire`: no answer in LOFTE_SURVEY_ANSWER_DAYS: recorded as such; the link stops working.

All run in the worker's `surveys.run` job (config/schedule.py) and are idempotent.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, Role
from lofte.cases.delivery import customer_language, reply_route
from lofte.cases.models import ACTIVE_STATUSES, Case, Channel, NoticeKind, Status
from lofte.cases.notices import notice_text
from lofte.cases.services import case_send_automatic
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.links import (
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    link_opened,
    link_token,
    nonce_matches,
    plain_text,
)
from lofte.customers.lights import Light
from lofte.notifications.readers import reader_language
from lofte.notifications.services import notify_many
from lofte.outbox.services import AutomaticLimitReached
from lofte.promises.eta import moment_text
from lofte.surveys.models import NEGATIVE_AT_OR_BELOW, SCORES, Reason, Survey, SurveyKind, SurveyRule, SurveyState

logger = logging.getLogger(__name__)

EVENT = "survey"
SALT = "lofte.surveys.survey"
LATE = timedelta(days=1)  # a survey due longer ago than this when first seen is not sent (solved long ago)
BATCH = 200
MAX_COMMENT = 2000
NOTIFY_KIND = "survey_negative"
# the channels a customer wrote or called on: a survey goes back on them (an API or webhook case has no customer
# channel of its own to answer on)
ASKED_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.SMS, Channel.CHAT, Channel.PHONE)
# without any saved rule: CSAT an hour after solving, a customer asked at most once in 14 days; CES not asked
DEFAULT_RULES = {
    SurveyKind.CSAT: SurveyRule(kind=SurveyKind.CSAT, enabled=True, delay_minutes=60, quarantine_days=14),
    SurveyKind.CES: SurveyRule(kind=SurveyKind.CES, enabled=False, delay_minutes=60, quarantine_days=14),
    SurveyKind.NPS: SurveyRule(kind=SurveyKind.NPS, enabled=False, delay_minutes=24 * 60, quarantine_days=90),
}
# NPS first: a solving that asks the customer NPS asks nothing else (one question at a time)
ORDER = (SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES)


def rule_for(rules: list[SurveyRule], *, kind: str, case_type_id: int | None, channel: str) -> SurveyRule:
    """The most specific rule for a case (case type and channel, case type, channel, any), else the default."""
    best: SurveyRule | None = None
    best_rank = -1
    for rule in rules:
        if rule.kind != kind or rule.case_type_id not in (None, case_type_id) or rule.channel not in ("", channel):
            continue
        rank = 2 * (rule.case_type_id is not None) + (rule.channel != "")
        if rank > best_rank:
            best, best_rank = rule, rank
    return best or DEFAULT_RULES[SurveyKind(kind)]


# --- scheduling ----------------------------------------------------------------------------------------------


def surveys_schedule(*, now: datetime) -> int:
    """The surveys of every case solved lately that has none for that solving yet. Returns how many were
    scheduled (to be sent)."""
    rules = list(SurveyRule.objects.all())
    longest = max([r.delay_minutes for r in rules] + [r.delay_minutes for r in DEFAULT_RULES.values()])
    since = now - timedelta(minutes=longest) - LATE
    has_survey = Survey.objects.filter(case=OuterRef("pk"), solved_at=OuterRef("solved_at"))
    candidates = list(
        Case.objects.filter(
            status__in=[Status.SOLVED, Status.CLOSED],
            solved_at__isnull=False,
            solved_at__gte=since,
            channel__in=ASKED_CHANNELS,
        )
        .exclude(Exists(has_survey))
        .only("pk", "customer_id", "solved_at", "channel", "case_type_id", "team_id", "assignee_id")
        .order_by("solved_at", "pk")[:BATCH]
    )
    made = 0
    for case in candidates:
        with transaction.atomic():
            made += _schedule(case, rules=rules, now=now)
    return made


def _schedule(case: Case, *, rules: list[SurveyRule], now: datetime) -> int:
    solved_at = case.solved_at
    assert solved_at is not None
    made = 0
    rows = []
    nps_asked = False
    for kind in ORDER:
        rule = rule_for(rules, kind=kind, case_type_id=case.case_type_id, channel=case.channel)
        if not rule.enabled:
            continue
        due = solved_at + timedelta(minutes=rule.delay_minutes)
        state, note = SurveyState.SCHEDULED, ""
        if due < now - LATE:
            state, note = SurveyState.CANCELLED, "solved long ago"
        elif nps_asked:
            state, note = SurveyState.QUARANTINED, "NPS asked instead"
        elif _asked_lately(case.customer_id, kind=kind, before=due, days=rule.quarantine_days):
            state, note = SurveyState.QUARANTINED, f"asked within {rule.quarantine_days} days"
        nps_asked = nps_asked or (kind == SurveyKind.NPS and state == SurveyState.SCHEDULED)
        rows.append(_row(case, kind=kind, due=due, state=state, note=note))
        made += state == SurveyState.SCHEDULED
    if not rows:  # no kind is asked of this case: one row says so, and the case is not looked at again
        rows.append(_row(case, kind=SurveyKind.CSAT, due=solved_at, state=SurveyState.CANCELLED, note="off"))
    Survey.objects.bulk_create(rows, ignore_conflicts=True)
    return made


def _row(case: Case, *, kind: str, due: datetime, state: str, note: str) -> Survey:
    assert case.solved_at is not None
    return Survey(
        kind=kind,
        case_id=case.pk,
        customer_id=case.customer_id,
        solved_at=case.solved_at,
        due_at=due,
        state=state,
        note=note,
        channel=case.channel,
        case_type_id=case.case_type_id,
        team_id=case.team_id,
        agent_id=case.assignee_id,
    )


def _asked_lately(customer_id: int, *, kind: str, before: datetime, days: int) -> bool:
    """The customer has a survey of this kind scheduled, sent or answered due within `days` before `before`."""
    if days <= 0:
        return False
    return Survey.objects.filter(
        customer_id=customer_id,
        kind=kind,
        due_at__gt=before - timedelta(days=days),
        state__in=[SurveyState.SCHEDULED, SurveyState.SENT, SurveyState.ANSWERED, SurveyState.EXPIRED],
    ).exists()


# --- sending ---------------------------------------------------------------------------------------------------


def survey_token(survey: Survey) -> str:
    return link_token(SALT, survey.pk, survey.nonce)


def survey_url(survey: Survey) -> str:
    return f"{settings.LOFTE_BASE_URL.rstrip('/')}/survey/{survey_token(survey)}"


def survey_text(survey: Survey, *, language: str) -> str:
    """The question as the customer gets it (the admins' text for it, or the built-in one: lofte.cases.notices);
    one click answers (the link opens the page with the answer chosen)."""
    case = survey.case
    url = survey_url(survey)
    until = moment_text(
        due_at=survey.expires_at or clock.now(),
        language=language,
        time_zone=case.customer.time_zone or settings.TIME_ZONE,
    )
    values = {
        "reference": case.reference,
        "customer_name": case.customer.name,
        "link": url,
        "good": f"{url}?score=1",
        "not_good": f"{url}?score=0",
        "until": until,
    }
    if survey.kind == SurveyKind.CES:
        kind = NoticeKind.SURVEY_CES
    elif survey.kind == SurveyKind.NPS:
        kind = NoticeKind.SURVEY_NPS
    else:
        kind = NoticeKind.SURVEY_CSAT_SMS if survey.sent_on == Channel.SMS else NoticeKind.SURVEY_CSAT
    return notice_text(kind=kind, language=language, values=values)


def surveys_send(*, now: datetime) -> dict[str, int]:
    """Send every survey that is due; each in its own transaction (one that fails is marked, the others go on)."""
    due = list(
        Survey.objects.filter(state=SurveyState.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    counts = {"sent": 0, "unsent": 0, "cancelled": 0}
    for pk in due:
        try:
            with transaction.atomic():
                counts[_send(pk, now=now)] += 1
        except Exception:
            logger.exception("Sending survey %s failed", pk)
    return counts


def _send(pk: int, *, now: datetime) -> str:
    survey = Survey.objects.select_for_update(of=("self",)).select_related("case", "case__customer").get(pk=pk)
    if survey.state != SurveyState.SCHEDULED:
        return "cancelled"
    case = survey.case
    why = ""
    if case.status in ACTIVE_STATUSES or case.solved_at != survey.solved_at:
        why = "the case is open again"
    elif survey.due_at < now - LATE:
        why = "too late: the worker was not running"  # a question days after solving is worse than none
    if why:
        survey.state, survey.note = SurveyState.CANCELLED, why
        survey.save(update_fields=["state", "note"])
        return "cancelled"
    survey.nonce = secrets.token_urlsafe(12)
    survey.expires_at = now + timedelta(days=settings.LOFTE_SURVEY_ANSWER_DAYS)
    try:
        route = reply_route(case=case, identities=list(case.customer.identities.all()))
        survey.sent_on = route.channel
        case_send_automatic(
            case=case,
            body=survey_text(survey, language=customer_language(case)),
            now=now,
            channel=route.channel,
            to=route.to,
            event_data={"survey": survey.kind},
        )
    except (ValidationFailed, AutomaticLimitReached) as exc:
        survey.state, survey.note = SurveyState.UNSENT, str(exc)[:300]
        survey.save(update_fields=["state", "note", "nonce", "expires_at", "sent_on"])
        return "unsent"
    survey.state, survey.sent_at = SurveyState.SENT, now
    survey.save(update_fields=["state", "sent_at", "sent_on", "nonce", "expires_at"])
    return "sent"


def surveys_expire(*, now: datetime) -> int:
    """Surveys sent and not answered in time: recorded as no answer (their link stops working)."""
    return Survey.objects.filter(state=SurveyState.SENT, expires_at__lte=now).update(state=SurveyState.EXPIRED)


def surveys_run(*, now: datetime) -> dict[str, int]:
    """The worker's job: schedule, send, expire."""
    scheduled = surveys_schedule(now=now)
    sent = surveys_send(now=now)
    return {"scheduled": scheduled, **sent, "expired": surveys_expire(now=now)}


# --- answering (the closed links' errors are lofte.core.links', shared with the temperature check) ----------


def survey_for_token(token: str) -> Survey:
    """The survey a link names, if the link is valid, unused and not expired; otherwise the error that says which."""
    opened = link_opened(SALT, token)
    survey = None
    if opened is not None:
        survey = Survey.objects.select_related("case", "case__customer").filter(pk=opened[0]).first()
    if survey is None or opened is None or not nonce_matches(survey.nonce, opened[1]):
        raise LinkInvalid(_("This link is not valid."))
    # a real link of this customer's: they are told in their language, whatever their browser says
    with translation.override(customer_language(survey.case)):
        if survey.state == SurveyState.ANSWERED:
            raise LinkUsed(_("You have already answered. Thank you!"), language=translation.get_language())
        if survey.state != SurveyState.SENT or (survey.expires_at is not None and survey.expires_at <= clock.now()):
            raise LinkExpired(
                _("This survey has closed. If you need more help, just contact us."),
                language=translation.get_language(),
            )
    return survey


def _score(kind: str, value: object) -> int:
    low, high = SCORES[kind]
    try:
        score = int(str(value).strip())
    except (TypeError, ValueError):
        score = low - 1
    if not low <= score <= high:
        if kind == SurveyKind.CSAT:
            raise ValidationFailed(_("Choose good or not good."), field="score")
        raise ValidationFailed(
            _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}, field="score"
        )
    return score


def _helped(value: object) -> bool | None:
    text = str(value or "").strip()
    if text in ("", "unknown"):
        return None
    if text not in ("yes", "no"):
        raise ValidationFailed(_("Answer yes or no."), field="helped")
    return text == "yes"


@transaction.atomic
def survey_answer(*, token: str, score: object, helped: object = "", reason: str = "", comment: str = "") -> Survey:
    """The customer's answer through the link. Refused, recording nothing, when the link is invalid, used or
    expired, or an answer is out of range."""
    found = survey_for_token(token)
    value = _score(found.kind, score)
    did_help = _helped(helped)
    if found.kind == SurveyKind.NPS and (did_help is not None or reason):
        raise ValidationFailed(_("This survey asks only for a score and why."), field="helped" if helped else "reason")
    if reason and reason not in Reason.values:
        raise ValidationFailed(_("Choose one of the reasons offered."), field="reason")
    text = plain_text(comment, max_chars=MAX_COMMENT, field="comment")
    survey = Survey.objects.select_for_update(of=("self",)).select_related("case", "case__customer").get(pk=found.pk)
    if survey.state != SurveyState.SENT:  # answered at the same moment from another tab
        raise LinkUsed(_("You have already answered. Thank you!"))
    now = clock.now()
    survey.state, survey.answered_at = SurveyState.ANSWERED, now
    survey.score, survey.helped, survey.reason, survey.comment = value, did_help, reason, text
    survey.save(update_fields=["state", "answered_at", "score", "helped", "reason", "comment"])
    case_event_add(
        case=survey.case,
        kind=EVENT,
        data={"kind": survey.kind, "score": value, "helped": did_help, "reason": reason, "comment": text},
        now=now,
    )
    if survey.negative:
        _tell_leads(survey, now=now)
    return survey


def _tell_leads(survey: Survey, *, now: datetime) -> None:
    """A negative answer: the case team's leads are told (once per survey)."""
    case = survey.case
    leads = Agent.objects.filter(is_active=True, role=Role.TEAM_LEAD)
    leads = leads.filter(teams=case.team_id) if case.team_id else leads.none()
    items = []
    for lead in leads.distinct():
        with translation.override(reader_language(lead)):
            text = _("A customer was not satisfied with case %(ref)s.") % {"ref": case.reference}
        items.append((lead, NOTIFY_KIND, text, f"/cases/{case.reference}/", f"survey:{survey.pk}:{lead.pk}"))
    notify_many(items, now=now)


# --- the loyalty light -----------------------------------------------------------------------------------------


def loyalty_signals(customer_ids: list[int]) -> dict[int, Light]:
    """Yellow for each customer whose newest answer within LOFTE_SURVEY_LOYALTY_DAYS is negative (not good, "we
    did not help", CES 3 or lower, NPS 6 or lower): one query; customers without such an answer are not named."""
    days = settings.LOFTE_SURVEY_LOYALTY_DAYS
    newest: dict[int, tuple[str, int | None, bool | None]] = {}
    for customer_id, kind, score, helped in (
        Survey.objects.filter(
            customer_id__in=customer_ids,
            state=SurveyState.ANSWERED,
            answered_at__gte=clock.now() - timedelta(days=days),
        )
        .order_by("customer_id", "-answered_at", "-id")
        .values_list("customer_id", "kind", "score", "helped")
    ):
        newest.setdefault(customer_id, (kind, score, helped))
    out = {}
    for customer_id, (kind, score, helped) in newest.items():
        if (score is not None and score <= NEGATIVE_AT_OR_BELOW[kind]) or helped is False:
            out[customer_id] = Light("yellow", _("Answered a survey negatively within %(days)s days") % {"days": days})
    return out
