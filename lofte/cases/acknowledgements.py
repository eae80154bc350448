"""The acknowledgement every new case gets on a channel that can be answered, within a minute.

It says the case reference, what happens next for this case type, how to add
information (reply to the email, or the portal), and when the customer will
hear from us: a predicted time (`lofte.promises.eta`), never later than the
SLA's first-response target, in the team's hours. That time becomes the
case's first-response promise (made then when no policy made one) and the
sentence sent is its customer_text, so every time a customer is given is a
promise the board tracks.

The worker's job (`acknowledge_new_cases`, every 15 s) takes new cases not yet
acknowledged, oldest first, a group at a time: one transaction claims the group
(`acknowledged_at`), reads its cases, addresses and first-response promises in
a few queries, and acknowledges each case in a savepoint of its own, so one
that fails is marked and the others go on. A case that cannot be acknowledged
(no address, Lofte's hourly limit of automatic messages to that address,
already answered by an agent) is marked and skipped. The groups keep a burst
(an outage that brings a thousand emails in minutes) acknowledged within the
minute: one case at a time cost twice what creating it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from lofte.cases.delivery import reply_route
from lofte.cases.models import AcknowledgementTemplate, Case, Channel, Direction, Message, Status
from lofte.cases.services import case_promises_record, case_send_automatic
from lofte.core import placeholders
from lofte.core.errors import ValidationFailed
from lofte.outbox.services import AutomaticLimitReached
from lofte.promises import eta as etas
from lofte.promises import services as promises
from lofte.promises.models import BusinessCalendar, Promise, PromiseKind, PromiseState
from lofte.promises.selectors import team_hours

logger = logging.getLogger(__name__)

# What other apps add to acknowledgements (an outage: "we know about it, follow the status page"): each is called
# with a group's cases and answers {case id: [sentences]}, said after the time, in the customer's language.
AlsoSay = Callable[[list[Case]], dict[int, list[str]]]
_also_say: list[AlsoSay] = []


def also_say_register(fn: AlsoSay) -> None:
    if fn not in _also_say:
        _also_say.append(fn)


ANSWERABLE = (Channel.EMAIL, Channel.WEB, Channel.SMS)
PLACEHOLDERS = ("reference", "customer_name", "subject", "case_type", "eta", "portal_url")
BATCH = 200
# cases per transaction: PostgreSQL saves a commit (a WAL flush) per case; SQLite's writers queue behind the
# one that holds the write lock, so there a group stays small (a few tens of milliseconds)
GROUP = {"postgresql": 20}
GROUP_DEFAULT = 4


@dataclass(frozen=True)
class Acknowledgement:
    text: str
    eta: etas.Eta
    eta_sentence: str
    latest: datetime | None = None  # the latest time the first-response promise may be told (see eta_for_customer)
    calendar: BusinessCalendar | None = None  # what the time was computed on


def default_template() -> str:
    """The built-in text (in the active language) when an admin has written none."""
    return _(
        "Hello {customer_name},\n\n"
        "Thank you for contacting us. We have received your message and your case number is {reference}.\n\n"
        "{eta}\n\n"
        "If you want to add something, reply to this message or visit {portal_url} and keep the case number "
        "in the subject."
    )


def default_sms_template() -> str:
    """The built-in text for an acknowledgement that goes by SMS: short (one or two messages), and a text
    message has no subject to keep the case number in."""
    return _(
        "Thank you for contacting us. Your case number is {reference}. {eta} Reply to this message to add something."
    )


def template_check(body: str) -> list[str]:
    """The problems with a template's placeholders (empty when it is fine)."""
    return placeholders.problems(body, PLACEHOLDERS)


def render(body: str, values: dict[str, str]) -> str:
    return placeholders.fill(body, values)


def _language(case: Case) -> str:
    language = case.language or case.customer.language or settings.LANGUAGE_CODE
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _template(case: Case, language: str, templates: dict[tuple[int | None, str], str], *, sms: bool) -> str:
    return (
        templates.get((case.case_type_id, language))
        or templates.get((None, language))
        or templates.get((case.case_type_id, "en"))
        or templates.get((None, "en"))
        or (default_sms_template() if sms else default_template())
    )


def acknowledgement_for(
    *,
    case: Case,
    now: datetime,
    first_response: Promise | None,
    templates: dict[tuple[int | None, str], str],
    sms: bool = False,
    hours_memo: dict[int | None, BusinessCalendar | None] | None = None,
    also: list[str] | None = None,
) -> Acknowledgement:
    """The text of the acknowledgement and the predicted time, in the customer's language and time zone;
    `sms` when it goes by text message (the short template); `hours_memo` the teams' hours already read.

    The time is computed on the first-response promise's calendar and capped by its due time; without such a
    promise (no policy matched) on the team's hours. Either way it falls in the team's hours unless the policy
    says wall-clock (`lofte.promises.eta.eta_for_customer`). `also`: what else the case's promises tell the
    customer (a complaint's handling deadline), said after the time."""
    language = _language(case)
    if first_response is not None:
        calendar, policy, sla_due = first_response.calendar, first_response.policy, first_response.due_at
    else:
        calendar, policy, sla_due = team_hours(team_id=case.team_id, memo=hours_memo), None, None
    told = etas.eta_for_customer(
        channel=case.channel,
        case_type_id=case.case_type_id,
        team_id=case.team_id,
        now=now,
        calendar=calendar,
        policy=policy,
        sla_due=sla_due,
        hours_memo=hours_memo,
    )
    eta = told.eta
    # eta_text reads a stored zone defensively: a name that is no zone is the site's
    zone = case.customer.time_zone or settings.TIME_ZONE
    sentence = etas.eta_text(due_at=eta.due_at, now=now, language=language, time_zone=zone)
    with translation.override(language):
        values = {
            "reference": case.reference,
            "customer_name": case.customer.name or _("customer"),
            "subject": case.subject,
            "case_type": case.case_type.public_name(language) if case.case_type else "",
            "eta": " ".join([sentence, *(also or [])]),
            "portal_url": settings.LOFTE_BASE_URL.rstrip("/") + "/portal/",
        }
        body = _template(case, language, templates, sms=sms)
        try:
            text = render(body, values)
        except ValidationFailed:
            logger.warning("Acknowledgement template for %s/%s is broken; using the default", case.case_type, language)
            text = render(default_sms_template() if sms else default_template(), values)
    return Acknowledgement(text=text.strip(), eta=eta, eta_sentence=sentence, latest=told.latest, calendar=calendar)


def _templates() -> dict[tuple[int | None, str], str]:
    return {(t.case_type_id, t.language): t.body for t in AcknowledgementTemplate.objects.all()}


def _due_cases(now: datetime) -> list[int]:
    window = timedelta(minutes=settings.LOFTE_ACK_WINDOW_MINUTES)
    return list(
        Case.objects.filter(acknowledged_at__isnull=True, created_at__gte=now - window, created_at__lte=now)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:BATCH]
    )


def acknowledge_new_cases(*, now: datetime) -> dict[str, int]:
    """Acknowledge what is due; returns counts: sent, skipped."""
    counts = {"sent": 0, "skipped": 0}
    ids = _due_cases(now)
    if not ids:
        return counts
    templates = _templates()
    size = GROUP.get(connection.vendor, GROUP_DEFAULT)
    for start in range(0, len(ids), size):
        group = ids[start : start + size]
        try:
            results = _acknowledge_group(group, now=now, templates=templates)
        except Exception:
            # the group's own reads or claim failed (not one case's work, which its savepoint holds): each case
            # alone, so that one case that cannot be read is marked and stops nobody
            logger.exception("Acknowledging cases %s together failed; one at a time", group)
            results = [sent for case_id in group for sent in _acknowledge_alone(case_id, now=now, templates=templates)]
        for sent in results:
            counts["sent" if sent else "skipped"] += 1
    return counts


def _acknowledge_alone(case_id: int, *, now: datetime, templates: dict[tuple[int | None, str], str]) -> list[bool]:
    try:
        return _acknowledge_group([case_id], now=now, templates=templates)
    except Exception:
        # never retried forever: marked, the error logged, the others go on
        logger.exception("Acknowledging case %s failed", case_id)
        Case.objects.filter(pk=case_id, acknowledged_at__isnull=True).update(acknowledged_at=now)
        return [False]


def _skip(case: Case, now: datetime, reason: str) -> bool:
    """Nothing is sent; the case stays marked as handled (acknowledged_at) so it is not tried again."""
    logger.info("No acknowledgement for %s: %s", case.reference, reason)
    return False


def acknowledge_case(*, case_id: int, now: datetime, consent: bool = False) -> bool:
    """Acknowledge one case now (e.g. a phone caller who agreed to get the case number by SMS or email:
    `consent` lets a phone case be acknowledged on its reply route). True when it was sent."""
    return any(_acknowledge_group([case_id], now=now, templates=_templates(), consent=consent))


def _claim(ids: list[int], now: datetime) -> list[int]:
    """Mark the cases of `ids` not yet acknowledged as handled now; the ids this call took. In the caller's
    transaction: on PostgreSQL the rows are locked, and one another worker holds is left to it (two workers never
    both acknowledge a case); SQLite's IMMEDIATE transaction already holds the write lock."""
    mine = list(
        Case.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, acknowledged_at__isnull=True)
        .values_list("pk", flat=True)
    )
    if mine:
        Case.objects.filter(pk__in=mine).update(acknowledged_at=now)
    return mine


def _acknowledge_group(
    ids: list[int], *, now: datetime, templates: dict[tuple[int | None, str], str], consent: bool = False
) -> list[bool]:
    """Claim and acknowledge these cases in one transaction, each in a savepoint; one result per case claimed
    (True: sent)."""
    results = []
    with transaction.atomic():
        mine = _claim(ids, now)
        if not mine:
            return []
        cases = (
            Case.objects.filter(pk__in=mine)
            .select_related("customer", "case_type", "team")
            .prefetch_related("customer__identities")
            .order_by("created_at", "id")
        )
        answered = set(
            Message.objects.filter(case__in=mine, direction=Direction.OUT, internal=False).values_list(
                "case_id", flat=True
            )
        )
        firsts: dict[int | None, Promise] = {}
        also: dict[int | None, list[str]] = {}
        for promise in (
            Promise.objects.filter(case__in=mine, state=PromiseState.PENDING)
            .filter(Q(kind=PromiseKind.FIRST_RESPONSE) | (Q(kind=PromiseKind.RESOLUTION) & ~Q(customer_text="")))
            .select_related("calendar", "policy")
            .order_by("-due_at", "-id")  # a case's earliest wins (as its .first() did): it is written last
        ):
            if promise.kind == PromiseKind.FIRST_RESPONSE:
                firsts[promise.case_id] = promise
            else:
                also.setdefault(promise.case_id, []).insert(0, promise.customer_text)
        for fn in _also_say:
            for case_id, sentences in fn(list(cases)).items():
                also.setdefault(case_id, []).extend(sentences)
        hours: dict[int | None, BusinessCalendar | None] = {}  # each team's, read once per group
        for case in cases:
            try:
                with transaction.atomic():
                    sent = _acknowledge_one(
                        case,
                        now=now,
                        templates=templates,
                        consent=consent,
                        answered=case.pk in answered,
                        first=firsts.get(case.pk),
                        hours=hours,
                        also=also.get(case.pk, []),
                    )
            except Exception:
                # never retried forever: the case stays marked (the claim), the error logged, the others go on
                logger.exception("Acknowledging case %s failed", case.pk)
                sent = False
            results.append(sent)
    return results


def _acknowledge_one(
    case: Case,
    *,
    now: datetime,
    templates: dict[tuple[int | None, str], str],
    consent: bool,
    answered: bool,
    first: Promise | None,
    hours: dict[int | None, BusinessCalendar | None],
    also: list[str],
) -> bool:
    if case.channel not in ANSWERABLE and not (consent and case.channel == Channel.PHONE):
        return _skip(case, now, "channel cannot be answered")
    if case.first_response_at is not None or answered:
        return _skip(case, now, "already answered")
    if case.status == Status.CLOSED:  # merged into another case meanwhile (a status question, by Lofte or an agent)
        return _skip(case, now, "closed")
    try:
        route = reply_route(case=case, identities=list(case.customer.identities.all()))
    except ValidationFailed as exc:
        return _skip(case, now, str(exc))
    ack = acknowledgement_for(
        case=case,
        now=now,
        first_response=first,
        templates=templates,
        sms=route.channel == Channel.SMS,
        hours_memo=hours,
        also=also,
    )
    try:
        case_send_automatic(
            case=case,
            body=ack.text,
            now=now,
            channel=route.channel,
            to=route.to,
            event_data={"acknowledgement": True, "eta_basis": ack.eta.basis},
        )
    except (ValidationFailed, AutomaticLimitReached) as exc:
        return _skip(case, now, str(exc))
    # the time told is a promise: the first-response one, or (no policy made one) a new one
    if first is not None:
        promise = promises.promise_set_eta(
            promise=first,
            due_at=ack.eta.due_at,
            customer_text=ack.eta_sentence,
            basis=ack.eta.basis,
            now=now,
            latest=ack.latest,
        )
    else:
        promise = promises.promise_acknowledged(
            case=case,
            due_at=ack.eta.due_at,
            customer_text=ack.eta_sentence,
            basis=ack.eta.basis,
            calendar=ack.calendar,
            now=now,
        )
    changes = [promises.PromiseChange(promise, "made", {"eta": True})]
    case_promises_record(case=case, changes=changes, actor=None, now=now)
    return True


def preview(*, body: str, language: str, now: datetime) -> str:
    """A template filled with sample values, for the admin's preview."""
    with translation.override(language):
        eta_sentence = etas.eta_text(
            due_at=now + timedelta(hours=2), now=now, language=language, time_zone=settings.TIME_ZONE
        )
        values: dict[str, Any] = {
            "reference": f"{settings.LOFTE_REFERENCE_PREFIX}-{now.year}-000123",
            "customer_name": "Karin Lind",
            "subject": _("My invoice is wrong"),
            "case_type": _("Invoice"),
            "eta": eta_sentence,
            "portal_url": settings.LOFTE_BASE_URL.rstrip("/") + "/portal/",
        }
        return render(body or default_template(), values)
