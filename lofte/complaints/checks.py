"""The temperature check: N days after a complaint's case was solved (the category's, else the settings' 14), the
customer is asked on the channel they used "Is the problem still solved?", with a signed, single-use link that
works without logging in and expires after M days (the settings' 7). Separate from any satisfaction survey.

- `checks_schedule` gives each complaint solved since the last run its check, and makes the sending a
  temperature_check promise (due when it should go out, with an hour's grace): a check that could not be sent
  breaks its promise and shows on the board.
- `checks_send` sends the checks that are due (a case reopened meanwhile cancels its check).
- `check_answer`: "yes" closes the loop; "no" reopens the case (a closed one gets a linked follow-up complaint),
  with a follow-up promise to the owner that the customer is told, and a notice to the case's team leads.
- `checks_expire`: no answer after M days is recorded as such; the link stops working.

All three run in the worker's `complaints.checks` job (config/schedule.py) and are idempotent.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, Role
from lofte.cases.delivery import customer_language, reply_route
from lofte.cases.models import ACTIVE_STATUSES, Case, EventKind, Status
from lofte.cases.services import case_open, case_promises_record, case_send_automatic, case_transition
from lofte.cases.timeline import case_event_add
from lofte.complaints.cadence import updates_schedule
from lofte.complaints.models import Category, CheckState, Complaint, Source, TemperatureCheck
from lofte.complaints.services import COMPLAINT, complaint_flag, settings_get
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.links import LinkExpired, LinkInvalid, LinkUsed, link_opened, link_token, nonce_matches, plain_text
from lofte.notifications.readers import reader_language
from lofte.notifications.services import notify_many
from lofte.outbox.services import AutomaticLimitReached
from lofte.promises import services as promises
from lofte.promises.eta import moment_text
from lofte.promises.models import PromiseKind, PromiseState

logger = logging.getLogger(__name__)

EVENT_CHECK = "temperature_check"
SALT = "lofte.complaints.temperature-check"
GRACE = timedelta(hours=1)  # a check is sent within the minute; its promise allows an hour
LATE = timedelta(days=1)  # a check due longer ago than this when first seen is not sent (solved long ago)
MAX_COMMENT = 2000
BATCH = 200
NOTIFY_KIND = "temperature_check_no"


# --- scheduling ----------------------------------------------------------------------------------------------


def checks_schedule(*, now: datetime) -> int:
    """A check for every complaint whose case was solved and has none for that solving yet. Returns how many."""
    config = settings_get()
    longest = max(config.check_after_days, Category.objects.aggregate(m=Max("check_after_days"))["m"] or 0)
    since = now - timedelta(days=longest) - LATE
    has_check = TemperatureCheck.objects.filter(complaint=OuterRef("pk"), solved_at=OuterRef("case__solved_at"))
    candidates = list(
        Complaint.objects.filter(
            is_active=True,
            case__status__in=[Status.SOLVED, Status.CLOSED],
            case__solved_at__isnull=False,
            case__solved_at__gte=since,
        )
        .exclude(Exists(has_check))
        .select_related("case", "category", "subcategory")[:BATCH]
    )
    made = 0
    for complaint in candidates:
        with transaction.atomic():
            made += _schedule(complaint, now=now, default_days=config.check_after_days)
    return made


def _schedule(complaint: Complaint, *, now: datetime, default_days: int) -> int:
    case = complaint.case
    solved_at = case.solved_at
    assert solved_at is not None
    days, _category = complaint.category_says("check_after_days")
    due = solved_at + timedelta(days=int(days or default_days))
    if TemperatureCheck.objects.filter(complaint=complaint, solved_at=solved_at).exists():
        return 0
    if due < now - LATE:
        TemperatureCheck.objects.create(
            complaint=complaint, solved_at=solved_at, due_at=due, state=CheckState.CANCELLED, note="solved long ago"
        )
        return 0
    check = TemperatureCheck.objects.create(complaint=complaint, solved_at=solved_at, due_at=due)
    promise = promises.promise_make_about(
        subject_type=COMPLAINT,
        subject_id=complaint.pk,
        case_id=case.pk,
        kind=PromiseKind.TEMPERATURE_CHECK,
        due_at=max(due, now) + GRACE,
        now=now,
        owner_team_id=complaint.owner_team_id or case.team_id,
        owner_agent_id=complaint.owner_agent_id or case.assignee_id,
    )
    check.promise = promise
    check.save(update_fields=["promise"])
    case_promises_record(case=case, changes=[promises.PromiseChange(promise, "made")], actor=None, now=now)
    case_event_add(case=case, kind=EVENT_CHECK, data={"what": "scheduled", "due": due.isoformat()}, now=now)
    return 1


# --- sending ---------------------------------------------------------------------------------------------------


def check_token(check: TemperatureCheck) -> str:
    """The link's token: the check and its nonce, signed (no time in it: the check's own expiry decides, so the
    same check always has the same link)."""
    return link_token(SALT, check.pk, check.nonce)


def check_url(check: TemperatureCheck) -> str:
    return f"{settings.LOFTE_BASE_URL.rstrip('/')}/check/{check_token(check)}"


def check_text(check: TemperatureCheck, *, language: str) -> str:
    case = check.complaint.case
    url = check_url(check)
    with translation.override(language):
        return _(
            "Hello,\n\nWe handled your complaint (case %(ref)s) and want to know: is the problem still solved?\n\n"
            "Yes, it is solved: %(yes)s\nNo, it is not: %(no)s\n\nOne click is enough; you can add a comment if "
            "you like. The link works until %(until)s."
        ) % {
            "ref": case.reference,
            "yes": f"{url}?answer=yes",
            "no": f"{url}?answer=no",
            "until": moment_text(
                due_at=check.expires_at or clock.now(),
                language=language,
                time_zone=case.customer.time_zone or settings.TIME_ZONE,
            ),
        }


def checks_send(*, now: datetime) -> dict[str, int]:
    """Send every check that is due; each in its own transaction (one that fails is marked, the others go on)."""
    due = list(
        TemperatureCheck.objects.filter(state=CheckState.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:BATCH]
    )
    counts = {"sent": 0, "unsent": 0, "cancelled": 0}
    answer_days = settings_get().check_answer_days
    for pk in due:
        try:
            with transaction.atomic():
                counts[_send(pk, now=now, answer_days=answer_days)] += 1
        except Exception:
            logger.exception("Sending temperature check %s failed", pk)
    return counts


def _send(pk: int, *, now: datetime, answer_days: int) -> str:
    check = (
        TemperatureCheck.objects.select_for_update(of=("self",))
        .select_related("complaint", "complaint__case", "complaint__case__customer", "promise")
        .get(pk=pk)
    )
    if check.state != CheckState.SCHEDULED:
        return "cancelled"
    case = check.complaint.case
    if not check.complaint.is_active or case.status in ACTIVE_STATUSES or case.solved_at != check.solved_at:
        _close(check, CheckState.CANCELLED, now=now, note="the case is open again or no longer a complaint")
        return "cancelled"
    check.nonce = secrets.token_urlsafe(12)
    check.expires_at = now + timedelta(days=answer_days)
    try:
        route = reply_route(case=case, identities=list(case.customer.identities.all()))
        case_send_automatic(
            case=case,
            body=check_text(check, language=customer_language(case)),
            now=now,
            channel=route.channel,
            to=route.to,
            event_data={"temperature_check": True},
        )
    except (ValidationFailed, AutomaticLimitReached) as exc:
        check.state, check.note = CheckState.UNSENT, str(exc)[:300]
        check.save(update_fields=["state", "note", "nonce", "expires_at"])
        case_event_add(case=case, kind=EVENT_CHECK, data={"what": "unsent", "why": check.note}, now=now)
        return "unsent"  # its promise breaks: the board shows a check that was due and not sent
    check.state, check.sent_at, check.channel = CheckState.SENT, now, route.channel
    check.save(update_fields=["state", "sent_at", "channel", "nonce", "expires_at"])
    if check.promise is not None and check.promise.state == PromiseState.PENDING:
        change = promises.promise_keep(promise=check.promise, now=now)
        if change is not None:
            case_promises_record(case=case, changes=[change], actor=None, now=now)
    return "sent"


def _close(check: TemperatureCheck, state: str, *, now: datetime, note: str = "") -> None:
    check.state, check.note = state, note[:300]
    check.save(update_fields=["state", "note"])
    if check.promise_id is not None and state == CheckState.CANCELLED:
        promise = check.promise
        if promise is not None and promise.state == PromiseState.PENDING:
            change = promises.promise_cancel(promise=promise, now=now, reason="check cancelled")
            if change is not None:
                case_promises_record(case=check.complaint.case, changes=[change], actor=None, now=now)


def checks_expire(*, now: datetime) -> int:
    """Checks sent and not answered in time: recorded as no answer (their link stops working)."""
    rows = list(
        TemperatureCheck.objects.filter(state=CheckState.SENT, expires_at__lte=now).select_related("complaint__case")[
            :BATCH
        ]
    )
    for check in rows:
        with transaction.atomic():
            if TemperatureCheck.objects.filter(pk=check.pk, state=CheckState.SENT).update(state=CheckState.NO_ANSWER):
                case_event_add(case=check.complaint.case, kind=EVENT_CHECK, data={"what": "no_answer"}, now=now)
    return len(rows)


def checks_run(*, now: datetime) -> dict[str, int]:
    """The worker's job: schedule, send, expire; and the update promises of longer complaints."""
    scheduled = checks_schedule(now=now)
    sent = checks_send(now=now)
    expired = checks_expire(now=now)
    return {"scheduled": scheduled, **sent, "expired": expired, "updates": updates_schedule(now=now)}


# --- answering -------------------------------------------------------------------------------------------------


def check_for_token(token: str) -> TemperatureCheck:
    """The check a link names, if the link is valid, unused and not expired; otherwise the error that says which."""
    opened = link_opened(SALT, token)
    if opened is None:
        raise LinkInvalid(_("This link is not valid."))
    check = (
        TemperatureCheck.objects.select_related("complaint", "complaint__case", "complaint__case__customer")
        .filter(pk=opened[0])
        .first()
    )
    if check is None or not nonce_matches(check.nonce, opened[1]):
        raise LinkInvalid(_("This link is not valid."))
    if check.state in (CheckState.YES, CheckState.NO):
        raise LinkUsed(_("You have already answered. Thank you!"))
    if check.state != CheckState.SENT or (check.expires_at is not None and check.expires_at <= clock.now()):
        raise LinkExpired(_("This question has expired. If the problem is back, contact us and we will help."))
    return check


@dataclass(frozen=True)
class Answered:
    check: TemperatureCheck
    reopened: Case | None  # the case reopened, or the follow-up opened (answer "no")
    told: str  # what the customer is told on the thanks page (a promise when reopened)


@transaction.atomic
def check_answer(*, token: str, answer: str, comment: str = "") -> Answered:
    """The customer's answer through the link. Refused (nothing recorded) when the link is invalid, used or
    expired, or the answer is neither yes nor no."""
    if answer not in ("yes", "no"):
        raise ValidationFailed(_("Choose yes or no."), field="answer")
    text = plain_text(comment, max_chars=MAX_COMMENT, field="comment")
    found = check_for_token(token)
    check = (
        TemperatureCheck.objects.select_for_update(of=("self",))
        .select_related("complaint", "complaint__case", "complaint__case__customer", "complaint__category")
        .get(pk=found.pk)
    )
    if check.state != CheckState.SENT:  # answered at the same moment from another tab
        raise LinkUsed(_("You have already answered. Thank you!"))
    now = clock.now()
    check.state = CheckState.YES if answer == "yes" else CheckState.NO
    check.answered_at, check.comment = now, text
    check.save(update_fields=["state", "answered_at", "comment"])
    case = check.complaint.case
    case_event_add(case=case, kind=EVENT_CHECK, data={"what": answer, "comment": text}, now=now)
    language = customer_language(case)
    if answer == "yes":
        with translation.override(language):
            return Answered(check, None, _("Thank you! We are glad the problem is solved."))
    return _not_solved(check, now=now, comment=text, language=language)


def _not_solved(check: TemperatureCheck, *, now: datetime, comment: str, language: str) -> Answered:
    complaint, case = check.complaint, check.complaint.case
    if case.status == Status.CLOSED:
        with translation.override(language):
            body = comment or _("The customer answered the temperature check: the problem is not solved.")
        target, _message = case_open(
            customer=case.customer,
            subject=case.subject,
            body=body,
            channel=case.channel,
            case_type=case.case_type,
            priority=case.priority,
            team=case.team,
            language=case.language,
            follow_up_of=case,
        )
        case_event_add(case=case, kind=EventKind.FOLLOW_UP, data={"reference": target.reference}, now=now)
        complaint_flag(case=target, source=Source.CUSTOMER, now=now)
    else:
        target = case
        if case.status not in ACTIVE_STATUSES:
            case_transition(case=case, actor=None, status=Status.OPEN, reason="temperature_check")
    hours = settings_get().deadline_hours
    due = now + timedelta(hours=hours)
    with translation.override(language):
        told = _("Thank you for telling us. We have reopened your case %(ref)s and will contact you by %(moment)s.") % {
            "ref": target.reference,
            "moment": moment_text(
                due_at=due, language=language, time_zone=case.customer.time_zone or settings.TIME_ZONE
            ),
        }
    owner = complaint.owner_agent_id or target.assignee_id
    promise = promises.promise_make_about(
        subject_type="case",
        subject_id=target.pk,
        case_id=target.pk,
        kind=PromiseKind.FOLLOW_UP,
        due_at=due,
        now=now,
        owner_team_id=complaint.owner_team_id or target.team_id,
        owner_agent_id=owner,
        customer_text=told,
    )
    case_promises_record(case=target, changes=[promises.PromiseChange(promise, "made")], actor=None, now=now)
    _tell_leads(target, now=now)
    return Answered(check, target, told)


def _tell_leads(case: Case, *, now: datetime) -> None:
    leads = Agent.objects.filter(is_active=True, role=Role.TEAM_LEAD)
    leads = leads.filter(teams=case.team_id) if case.team_id else leads.none()
    items = []
    for lead in leads.distinct():
        with translation.override(reader_language(lead)):
            text = _("The customer says the complaint on %(ref)s is not solved: the case is open again.") % {
                "ref": case.reference
            }
        items.append((lead, NOTIFY_KIND, text, f"/cases/{case.reference}/", f"check-no:{case.pk}:{lead.pk}"))
    notify_many(items, now=now)
