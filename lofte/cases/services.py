"""Writes for cases: create, inbound message, reply, note, transition, assign, update, promises made by agents.

Every function is one transaction, locks the case row it changes, writes an
event (lofte.cases.timeline) for what it changed, and calls the next step
explicitly (the outbox for a reply); nothing happens through signals. Broken
promises and breach notices are in lofte.cases.breaches; what mail systems send
back (automatic replies, bounces, read receipts) in lofte.cases.automatic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent, Team
from lofte.cases import transitions
from lofte.cases.delivery import (
    Route,
    email_payload,
    new_message_id,
    reply_route,
)
from lofte.cases.guards import solve_check
from lofte.cases.inline_images import inline_images
from lofte.cases.mentions import mentions_notify
from lofte.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CaseType,
    Channel,
    Direction,
    EventKind,
    Message,
    Note,
    Priority,
    Status,
    Tag,
    normalise_tag,
)
from lofte.cases.numbering import reference_next
from lofte.cases.opened import case_opened, case_type_changed
from lofte.cases.own_addresses import own_address
from lofte.cases.search import search_case_opened, search_text_add
from lofte.cases.timeline import (
    case_event,
    case_event_add,
    case_events_add,
    change_event,
    promise_events,
    status_event,
)
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.html import sanitise_html
from lofte.core.inserts import insert
from lofte.customers.models import Customer
from lofte.outbox.services import outbox_enqueue
from lofte.promises import eta
from lofte.promises import services as promises
from lofte.promises.models import Promise, PromiseKind

UNSET: Any = object()


MAX_SUBJECT = 255
MAX_TAGS = 20


@dataclass(frozen=True)
class AttachmentInput:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""


# --- helpers ----------------------------------------------------------------


def _clean_body(body: str, *, field: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("The message is empty."), field=field)
    return body


def _visible(visible_text: str, body: str) -> str:
    """The new words when they differ from the whole text; empty means the whole text is new."""
    visible = (visible_text or "").replace("\r\n", "\n").strip()
    return "" if not visible or visible == body else visible


def _subject_from(subject: str, body: str) -> str:
    subject = " ".join((subject or "").split())
    if not subject:
        first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
        subject = first_line[:80] or _("(no subject)")
    return subject[:MAX_SUBJECT]


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ValidationFailed(
            _("'%(value)s' is not a channel; use one of %(choices)s.")
            % {"value": channel, "choices": ", ".join(Channel.values)},
            field="channel",
        )


def _check_priority(priority: int) -> None:
    if priority not in Priority.values:
        raise ValidationFailed(
            _("%(value)r is not a priority; use 1 (low) to 4 (urgent).") % {"value": priority}, field="priority"
        )


def _store_attachments(message: Message, files: Sequence[AttachmentInput]) -> list[Attachment]:
    limit = settings.LOFTE_MAX_ATTACHMENT_BYTES
    rows = []
    for item in files:
        if len(item.content) > limit:
            raise ValidationFailed(
                _("%(name)s is larger than the limit of %(mb)d MB.") % {"name": item.filename, "mb": limit // 2**20},
                field="attachments",
            )
        digest = hashlib.sha256(item.content).hexdigest()
        attachment = Attachment(
            message=message,
            filename=(item.filename or "attachment")[:255],
            content_type=(item.content_type or "application/octet-stream")[:127],
            size=len(item.content),
            sha256=digest,
            content_id=item.content_id,
        )
        path = f"attachments/{digest[:2]}/{digest}"
        if not default_storage.exists(path):
            path = default_storage.save(path, ContentFile(item.content))
        attachment.file.name = path
        rows.append(attachment)
    return Attachment.objects.bulk_create(rows)


def _lock(case: Case) -> None:
    """Lock the case's row for this transaction and read it again: a service decides on the case as it is now,
    not as the caller read it (two agents changing one case at once queue here; the second sees the first's
    change). PostgreSQL locks the row; SQLite's IMMEDIATE transactions already hold the write lock."""
    case.refresh_from_db(from_queryset=Case.objects.select_for_update())


def _touch(case: Case, now: datetime, *fields: str) -> None:
    case.updated_at = now
    case.save(update_fields=[*fields, "updated_at"])


def _tags_from_names(names: Iterable[str]) -> list[Tag]:
    clean = sorted({normalise_tag(n) for n in names if n and n.strip()})
    if len(clean) > MAX_TAGS:
        raise ValidationFailed(_("A case can have at most %(max)d tags.") % {"max": MAX_TAGS}, field="tags")
    if not clean:
        return []
    existing = {t.name: t for t in Tag.objects.filter(name__in=clean)}
    missing = [Tag(name=n) for n in clean if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=clean)}
    return [existing[n] for n in clean]


def _promise_events(
    case: Case, changes: list[promises.PromiseChange], *, actor: Agent | None, now: datetime
) -> list[CaseEvent]:
    """Timeline events for what the promise engine did, and the case's next due time brought up to date."""
    if not changes:
        return []
    case.next_due_at = promises.next_due_for_case(case=case)
    return promise_events(changes, case, actor=actor, now=now)


# --- create -----------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    customer: Customer,
    subject: str,
    body: str,
    channel: str,
    case_type: CaseType | None = None,
    priority: int | None = None,
    team: Team | None = None,
    assignee: Agent | None = None,
    tags: Iterable[str] = (),
    language: str = "",
    sender: str = "",
    body_html: str = "",
    visible_text: str = "",
    external_id: str = "",
    attachments: Sequence[AttachmentInput] = (),
    actor: Agent | None = None,
    follow_up_of: Case | None = None,
    inbox_address: str = "",
    reply_to: str = "",
    message_language: str = "",
) -> tuple[Case, Message]:
    """Open a case with the customer's first message; the timeline starts with `created`. Answers the case
    and that message. (Inbound contacts go through lofte.cases.intake, which finds the customer first.)"""
    _check_channel(channel)
    body = _clean_body(body)
    if priority is None:
        priority = case_type.default_priority if case_type else Priority.NORMAL
    _check_priority(priority)
    if team is None and case_type is not None:
        team = case_type.default_team
    now = clock.now()
    case = insert(
        Case(
            reference=reference_next(now.year),
            subject=_subject_from(subject, body),
            customer=customer,
            status=Status.NEW,
            priority=priority,
            team=team,
            assignee=assignee,
            case_type=case_type,
            channel=channel,
            language=language or customer.language,
            inbox_address=inbox_address,
            reply_to=reply_to[:254],
            follow_up_of=follow_up_of,
            created_at=now,
            updated_at=now,
        )
    )
    message = insert(
        Message(
            case=case,
            direction=Direction.IN,
            channel=channel,
            subject=case.subject,
            body_text=body,
            body_html=sanitise_html(body_html),
            visible_text=_visible(visible_text, body),
            language=message_language,
            sender=sender,
            external_id=external_id,
            created_at=now,
        )
    )
    if attachments:
        _store_attachments(message, attachments)
    search_case_opened(case, message.visible_text or body)
    data = {"follow_up_of": follow_up_of.reference} if follow_up_of else {}
    case_event_add(case=case, kind=EventKind.CREATED, actor=actor, message=message, data=data, now=now)
    if events := _promise_events(case, promises.promises_case_opened(case=case, now=now), actor=actor, now=now):
        case_events_add(events)
        case.save(update_fields=["next_due_at"])
    if tags:
        case.tags.set(_tags_from_names(tags))
    case_opened(case)
    return case, message


def _case_only[**P](open_case: Callable[P, tuple[Case, Message]]) -> Callable[P, Case]:
    def case_create(*args: P.args, **kwargs: P.kwargs) -> Case:
        """case_open, answering the case only (demo data, benchmarks, tests: a customer already known)."""
        return open_case(*args, **kwargs)[0]

    return case_create


case_create = _case_only(case_open)


# --- messages ---------------------------------------------------------------


@transaction.atomic
def case_add_inbound(
    *,
    case: Case,
    body: str,
    channel: str,
    sender: str = "",
    subject: str = "",
    body_html: str = "",
    visible_text: str = "",
    external_id: str = "",
    attachments: Sequence[AttachmentInput] = (),
    actor: Agent | None = None,
    internal: bool = False,
    message_language: str = "",
) -> Message:
    """A new message from the customer; a case waiting on them, or solved, opens again.

    A closed case stays closed: the message opens a follow-up case (same
    customer, type, team and priority) linked to it, and the closed case's
    timeline says so. The returned message then belongs to the follow-up.

    `internal`: the answer of an outside party to a forward (case_forward), never shown to the customer; a case
    waiting on a third party opens again, and a closed one takes it as it is.
    """
    _check_channel(channel)
    body = _clean_body(body)
    _lock(case)
    if case.status == Status.CLOSED and not internal:
        return _follow_up(
            case,
            body=body,
            channel=channel,
            sender=sender,
            subject=subject,
            body_html=body_html,
            visible_text=visible_text,
            external_id=external_id,
            attachments=attachments,
            actor=actor,
            inbox_address=case.inbox_address,
            reply_to=case.reply_to,
            message_language=message_language,
        )
    now = clock.now()
    message = Message.objects.create(
        case=case,
        direction=Direction.IN,
        channel=channel,
        subject=subject[:MAX_SUBJECT],
        body_text=body,
        body_html=sanitise_html(body_html),
        visible_text=_visible(visible_text, body),
        language=message_language,
        sender=sender,
        external_id=external_id,
        internal=internal,
        created_at=now,
    )
    search_text_add(case, message.visible_text or body)
    if attachments:
        _store_attachments(message, attachments)
    events = [case_event(case=case, kind=EventKind.MESSAGE_IN, actor=actor, message=message, now=now)]
    fields: list[str] = []
    reopened_by = (Status.WAITING_ON_THIRD_PARTY,) if internal else (Status.WAITING_ON_CUSTOMER, Status.SOLVED)
    if case.status in reopened_by:
        old = case.status
        events.append(_status_event(case, Status.OPEN, actor=None, now=now, reason="customer_replied"))
        fields += _apply_status(case, Status.OPEN, now)
        changes = promises.promises_case_status_changed(case=case, old=old, new=Status.OPEN, now=now)
        if promise_events := _promise_events(case, changes, actor=None, now=now):
            events += promise_events
            fields.append("next_due_at")
    case_events_add(events)
    _touch(case, now, *fields)
    return message


def _follow_up(case: Case, *, body: str, channel: str, subject: str, actor: Agent | None, **message: Any) -> Message:
    follow_up, first = case_open(
        customer=case.customer,
        subject=subject or case.subject,
        body=body,
        channel=channel,
        case_type=case.case_type,
        priority=case.priority,
        team=case.team,
        language=case.language,
        actor=actor,
        follow_up_of=case,
        **message,
    )
    case_event_add(
        case=case,
        kind=EventKind.FOLLOW_UP,
        actor=actor,
        data={"reference": follow_up.reference},
        now=follow_up.created_at,
    )
    return first


MAX_COPIES = 10


def email_copies(addresses: Iterable[str], *, field: str) -> list[str]:
    """CC or BCC addresses as typed (commas, semicolons or spaces between them), each one email address."""
    found: list[str] = []
    for raw in addresses:
        for part in str(raw).replace(";", ",").replace(" ", ",").split(","):
            if part := part.strip():
                try:
                    validate_email(part)
                except DjangoValidationError:
                    raise ValidationFailed(
                        _("%(value)s is not an email address.") % {"value": part[:100]}, field=field
                    ) from None
                if part.lower() not in (f.lower() for f in found):
                    found.append(part)
    if len(found) > MAX_COPIES:
        raise ValidationFailed(_("At most %(max)d addresses.") % {"max": MAX_COPIES}, field=field)
    return found


def _send_outbound(
    *,
    case: Case,
    body: str,
    author: Agent | None,
    now: datetime,
    attachments: Sequence[AttachmentInput] = (),
    automatic: bool = False,
    route: Route | None = None,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    internal: bool = False,
    subject: str = "",
    stored_files: Sequence[int] = (),
) -> Message:
    """The outbound message and its outbox row, on the route the case's channel gives or on `route`
    (no event, no status); an email also to `cc` and, unseen by the others, `bcc`.

    An automatic message (no author) is marked so: the email carries Auto-Submitted, and the outbox
    refuses it when the address has had its hourly share (AutomaticLimitReached)."""
    route = route or reply_route(case=case, identities=list(case.customer.identities.all()))
    attachments, images = inline_images(body=body, attachments=attachments, email=route.channel == Channel.EMAIL)
    thread = list(case.messages.order_by("created_at", "id").only("external_id", "direction"))
    if route.channel == Channel.EMAIL:
        payload = email_payload(case=case, text=body, thread=thread, images=images)
        external_id = new_message_id()
        if cc:
            payload["cc"] = list(cc)
        if bcc:
            payload["bcc"] = list(bcc)
        if subject:  # a forward's own subject
            payload["subject"] = subject
        if stored_files:  # files already on the case (a forward's)
            payload["attachments"] = list(stored_files)
    else:
        if cc or bcc:
            raise ValidationFailed(_("Copies (CC and BCC) go with email replies only."), field="cc")
        payload = {"text": body}
        external_id = ""
    if attachments:
        payload["attachments"] = []  # filled below, after the files are stored
    row = outbox_enqueue(
        channel=route.channel, to=route.to, payload=payload, external_id=external_id, automatic=automatic
    )
    message = Message.objects.create(
        case=case,
        direction=Direction.OUT,
        channel=route.channel,
        subject=payload.get("subject", ""),
        body_text=body,
        sender=payload.get("from", ""),
        recipients=[route.to, *cc],
        external_id=external_id,
        author=author,
        outbox_message=row,
        internal=internal,
        created_at=now,
    )
    if not automatic and not internal:
        search_text_add(case, body)
    if attachments:
        stored = _store_attachments(message, attachments)
        row.payload["attachments"] = [a.pk for a in stored]
        row.save(update_fields=["payload"])
    return message


@transaction.atomic
def case_send_automatic(
    *,
    case: Case,
    body: str,
    now: datetime,
    channel: str | None = None,
    to: str | None = None,
    event_data: dict[str, Any] | None = None,
) -> Message:
    """A message Lofte sends on its own (a confirmation, a notice) on the case's reply route, or on
    `channel` to `to`; on the timeline (with `event_data`), marked automatic in the outbox. Raises
    ValidationFailed when there is no address and AutomaticLimitReached over the hourly limit for the address."""
    route = Route(channel=channel, to=to) if channel and to else None
    message = _send_outbound(case=case, body=_clean_body(body), author=None, now=now, automatic=True, route=route)
    case_event_add(case=case, kind=EventKind.MESSAGE_OUT, message=message, data=event_data or {}, now=now)
    return message


def case_promises_record(
    *, case: Case, changes: list[promises.PromiseChange], actor: Agent | None, now: datetime
) -> None:
    """Put what happened to the case's promises (made elsewhere: a callback, an acknowledgement) on its
    timeline, and bring its next due time up to date."""
    if events := _promise_events(case, changes, actor=actor, now=now):
        case_events_add(events)
        _touch(case, now, "next_due_at")


@transaction.atomic
def case_reply(
    *,
    case: Case,
    author: Agent,
    body: str,
    attachments: Sequence[AttachmentInput] = (),
    status: str | None = None,
    follow_up_at: datetime | None = None,
    follow_up_text: str = "",
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
) -> Message:
    """Send a reply to the customer through the outbox on the case's channel (an email with copies to `cc`
    and, unseen, `bcc`).

    The outbound message, its timeline event and its outbox row are written
    together; the first reply sets first_response_at, and a new case opens.
    `status` optionally moves the case on in the same step (e.g. to waiting
    on customer).
    """
    body = _clean_body(body)
    cc, bcc = email_copies(cc, field="cc"), email_copies(bcc, field="bcc")
    _lock(case)
    if case.status == Status.CLOSED:
        raise ValidationFailed(_("The case is closed; it cannot be replied to."), field="body")
    if follow_up_at is not None and follow_up_at <= clock.now():
        raise ValidationFailed(_("A promise must be due in the future."), field="follow_up_at")
    if follow_up_text:
        body = f"{body}\n\n{follow_up_text.strip()}"
    current = Status.OPEN if case.status == Status.NEW else case.status
    if status is not None and status != current:
        transitions.check(current, status)
        if status == Status.SOLVED:
            solve_check(case, author)
    now = clock.now()
    message = _send_outbound(case=case, body=body, author=author, now=now, attachments=attachments, cc=cc, bcc=bcc)
    events = [case_event(case=case, kind=EventKind.MESSAGE_OUT, actor=author, message=message, now=now)]
    fields: list[str] = []
    if case.first_response_at is None:
        case.first_response_at = now
        fields.append("first_response_at")
        policy = promises.policy_for_case(case)
        eta.eta_record_first_response(
            channel=case.channel,
            case_type_id=case.case_type_id,
            team_id=case.team_id,
            created_at=case.created_at,
            responded_at=now,
            calendar=policy.first_response_calendar if policy else None,
        )
    original = case.status
    target = status or (Status.OPEN if case.status == Status.NEW else None)
    if case.status == Status.NEW and target != Status.OPEN:
        events.append(_status_event(case, Status.OPEN, actor=author, now=now))
        fields += _apply_status(case, Status.OPEN, now)
    if target is not None and target != case.status:
        events.append(_status_event(case, target, actor=author, now=now))
        fields += _apply_status(case, target, now)
    # the reply keeps first_response and next_update (and makes the next one), then the new status
    # pauses or keeps what it does
    changes = promises.promises_case_replied(case=case, now=now)
    if case.status != original:
        changes += promises.promises_case_status_changed(case=case, old=original, new=case.status, now=now)
    if follow_up_at is not None:
        changes.append(
            promises.PromiseChange(
                promises.promise_make(
                    case=case, due_at=follow_up_at, created_by=author, now=now, customer_text=follow_up_text
                ),
                "made",
            )
        )
    if promise_events := _promise_events(case, changes, actor=author, now=now):
        events += promise_events
        fields.append("next_due_at")
    case_events_add(events)
    _touch(case, now, *sorted(set(fields)))
    return message


MAX_FORWARDED = 50  # messages of the conversation written into a forward


@transaction.atomic
def case_forward(*, case: Case, author: Agent, to: str, note: str = "", cc: Sequence[str] = ()) -> Message:
    """Send the case's conversation (and its files) to an outside address, e.g. a supplier, with the agent's
    `note` above it. It goes by email, threaded like the case's replies, so an answer to it lands on the case;
    it is no reply to the customer (it keeps no promise and changes no status)."""
    addresses = email_copies([to], field="to")
    if len(addresses) != 1:
        raise ValidationFailed(_("Give the one address to forward the case to."), field="to")
    address, cc = addresses[0], email_copies(cc, field="cc")
    if own := own_address([address, *cc]):
        raise ValidationFailed(
            _("%(address)s is one of Lofte's own addresses: forward the case to someone outside.") % {"address": own},
            field="to" if own == address else "cc",
        )
    _lock(case)
    if case.customer.identities.filter(kind="email", value__iexact=address).exists():
        raise ValidationFailed(_("That is the customer's address: write a reply instead."), field="to")
    now = clock.now()
    messages = list(
        case.messages.filter(is_automatic=False).select_related("author").order_by("created_at", "id")[:MAX_FORWARDED]
    )
    lines = [note.strip(), ""] if note.strip() else []
    lines.append(
        _("---------- Case %(reference)s: %(subject)s ----------")
        % {"reference": case.reference, "subject": case.subject}
    )
    for m in messages:
        who = (
            (m.author.display_name if m.author else "Lofte")
            if m.direction == Direction.OUT
            else (m.sender or case.customer.name)
        )
        lines += ["", f"{_local_time(m.created_at)} · {who}:", (m.visible_text or m.body_text).strip()]
    body = _clean_body("\n".join(lines))
    files = list(Attachment.objects.filter(message__case=case).order_by("id").values_list("pk", flat=True)[:20])
    route = Route(channel=Channel.EMAIL, to=address)
    message = _send_outbound(
        case=case,
        body=body,
        author=author,
        now=now,
        route=route,
        cc=cc,
        internal=True,
        subject=f"Fwd: {case.subject} [{case.reference}]",
        stored_files=files,
    )
    case_event_add(case=case, kind=EventKind.FORWARDED, actor=author, message=message, now=now, data={"to": address})
    _touch(case, now)
    return message


def _local_time(moment: datetime) -> str:
    """A moment as the forward's reader sees it: in the site's (or the sending agent's) time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@transaction.atomic
def case_note_add(*, case: Case, author: Agent, body: str) -> Note:
    """An internal note; it never reaches the customer."""
    body = _clean_body(body)
    now = clock.now()
    note = Note.objects.create(case=case, author=author, body=body, created_at=now)
    case_event_add(case=case, kind=EventKind.NOTE, actor=author, note=note, now=now)
    _touch(case, now)
    mentions_notify(case=case, note=note, author=author)
    return note


# --- status, assignment, properties ---------------------------------------------


def _apply_status(case: Case, target: str, now: datetime) -> list[str]:
    case.status = target
    fields = ["status"]
    if target == Status.SOLVED:
        case.solved_at = now
        fields.append("solved_at")
    elif target == Status.CLOSED:
        case.closed_at = now
        fields.append("closed_at")
    elif case.solved_at is not None:
        case.solved_at = None  # reopened
        fields.append("solved_at")
    return fields


def _status_event(case: Case, target: str, *, actor: Agent | None, now: datetime, reason: str = "") -> CaseEvent:
    return status_event(case, case.status, target, actor=actor, now=now, reason=reason)


@transaction.atomic
def case_transition(*, case: Case, actor: Agent | None, status: str, reason: str = "") -> Case:
    """Move the case to `status` if the transition table allows it; `reason` says why on the timeline
    when no agent did it (e.g. "customer_portal")."""
    _lock(case)
    if status == case.status:
        return case
    transitions.check(case.status, status)
    if status == Status.SOLVED:
        solve_check(case, actor)
    now = clock.now()
    old = case.status
    events = [_status_event(case, status, actor=actor, now=now, reason=reason)]
    fields = _apply_status(case, status, now)
    changes = promises.promises_case_status_changed(case=case, old=old, new=status, now=now)
    if promise_events := _promise_events(case, changes, actor=actor, now=now):
        events += promise_events
        fields.append("next_due_at")
    case_events_add(events)
    _touch(case, now, *fields)
    return case


def _person(agent: Agent | None) -> dict[str, Any] | None:
    return {"id": agent.pk, "name": agent.display_name} if agent else None


def case_assign(*, case: Case, actor: Agent | None, assignee: Agent | None, locked: bool = False) -> Case:
    """Give the case to an agent (None: unassigned). `locked`: the caller already holds the case's row lock in
    this transaction and read its assignee, team and status under it (routing), so it is not read again, and the
    caller's transaction is this write's (no savepoint of its own: it costs two round trips per routed case)."""
    if assignee is not None and not assignee.is_active:
        raise ValidationFailed(_("%(name)s is not an active agent.") % {"name": assignee}, field="assignee")
    if locked:
        if not transaction.get_connection().in_atomic_block:
            raise RuntimeError("case_assign(locked=True) runs in the transaction that holds the case's lock.")
        return _assigned(case, actor=actor, assignee=assignee)
    with transaction.atomic():
        _lock(case)
        return _assigned(case, actor=actor, assignee=assignee)


def _assigned(case: Case, *, actor: Agent | None, assignee: Agent | None) -> Case:
    """case_assign's writes, under the case's lock: the event, the case, its pending promises' new owner."""
    if assignee == case.assignee:
        return case
    now = clock.now()
    insert(change_event(case, EventKind.ASSIGNED, _person(case.assignee), _person(assignee), actor=actor, now=now))
    case.assignee = assignee
    _touch(case, now, "assignee")
    promises.promises_case_reassigned(case=case)
    return case


@transaction.atomic
def case_update(
    *,
    case: Case,
    actor: Agent | None,
    subject: Any = UNSET,
    priority: Any = UNSET,
    team: Any = UNSET,
    case_type: Any = UNSET,
    tags: Any = UNSET,
    assignee: Any = UNSET,
    status: Any = UNSET,
) -> Case:
    """Change any of the case's properties; each change is an event. Validation happens before any write."""
    _lock(case)
    now = clock.now()
    events: list[CaseEvent] = []
    fields: list[str] = []
    if subject is not UNSET:
        new_subject = " ".join(str(subject).split())[:MAX_SUBJECT]
        if not new_subject:
            raise ValidationFailed(_("The subject cannot be empty."), field="subject")
        if new_subject != case.subject:
            events.append(
                change_event(case, EventKind.SUBJECT_CHANGED, case.subject, new_subject, actor=actor, now=now)
            )
            case.subject = new_subject
            fields.append("subject")
            search_text_add(case, new_subject)
    if priority is not UNSET:
        _check_priority(priority)
        if priority != case.priority:
            events.append(change_event(case, EventKind.PRIORITY_CHANGED, case.priority, priority, actor=actor, now=now))
            case.priority = priority
            fields.append("priority")
    if team is not UNSET and team != case.team:
        events.append(
            change_event(
                case,
                EventKind.TEAM_CHANGED,
                case.team.name if case.team else None,
                team.name if team else None,
                actor=actor,
                now=now,
            )
        )
        case.team = team
        fields.append("team")
    if case_type is not UNSET and case_type != case.case_type:
        events.append(
            change_event(
                case,
                EventKind.CASE_TYPE_CHANGED,
                case.case_type.name if case.case_type else None,
                case_type.name if case_type else None,
                actor=actor,
                now=now,
            )
        )
        case.case_type = case_type
        fields.append("case_type")
    new_tags: list[Tag] | None = None
    if tags is not UNSET:
        new_tags = _tags_from_names(tags)
        old_names = sorted(t.name for t in case.tags.all())
        new_names = [t.name for t in new_tags]
        if old_names != new_names:
            events.append(change_event(case, EventKind.TAGS_CHANGED, old_names, new_names, actor=actor, now=now))
        else:
            new_tags = None
    if status is not UNSET and status != case.status:
        transitions.check(case.status, status)
        if status == Status.SOLVED:
            solve_check(case, actor)
    if assignee is not UNSET and assignee is not None and not assignee.is_active:
        raise ValidationFailed(_("%(name)s is not an active agent.") % {"name": assignee}, field="assignee")
    # all checks passed: write
    old_status = case.status
    if status is not UNSET and status != case.status:
        events.append(_status_event(case, status, actor=actor, now=now))
        fields += _apply_status(case, status, now)
    if assignee is not UNSET and assignee != case.assignee:
        events.append(
            change_event(case, EventKind.ASSIGNED, _person(case.assignee), _person(assignee), actor=actor, now=now)
        )
        case.assignee = assignee
        fields.append("assignee")
    if new_tags is not None:
        case.tags.set(new_tags)
    if case.status != old_status:
        changes = promises.promises_case_status_changed(case=case, old=old_status, new=case.status, now=now)
        if promise_events := _promise_events(case, changes, actor=actor, now=now):
            events += promise_events
            fields.append("next_due_at")
    if events:
        case_events_add(events)
        _touch(case, now, *fields)
    if "assignee" in fields or "team" in fields:
        promises.promises_case_reassigned(case=case)
    if "case_type" in fields:
        case_type_changed(case, actor)
    return case


@transaction.atomic
def case_promise_make(
    *, case: Case, author: Agent, due_at: datetime, customer_text: str = "", kind: str = PromiseKind.FOLLOW_UP
) -> Promise:
    """An agent promises something by a time they pick ("I'll get back to you on Thursday")."""
    _lock(case)
    if case.status == Status.CLOSED:
        raise ValidationFailed(_("The case is closed; make the promise on its follow-up."), field="due_at")
    now = clock.now()
    promise = promises.promise_make(
        case=case, due_at=due_at, created_by=author, now=now, customer_text=customer_text, kind=kind
    )
    events = _promise_events(case, [promises.PromiseChange(promise, "made")], actor=author, now=now)
    case_events_add(events)
    _touch(case, now, "next_due_at")
    return promise
