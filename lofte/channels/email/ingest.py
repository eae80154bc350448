"""Every inbound email, however it came in (IMAP, HTTP, a pipe from the MTA), goes through `email_ingest`.

1. The raw bytes are stored first, in an InboundEmail row (in the row itself
   up to LOFTE_EMAIL_INLINE_BYTES, larger ones in a file named by their
   SHA-256). The same bytes twice are one row. The rest runs in a savepoint
   of the same transaction, so when a later step fails only that step is
   rolled back, and the row is committed, quarantined with the reason.
2. The message is parsed, classified (normal, auto-reply, bounce, read
   receipt, feedback report), its sender checked (present, not Lofte itself,
   not flooding), and threaded: In-Reply-To, then References (newest first)
   against every Message-ID Lofte sent or received, then a case reference in
   the subject from the case's own customer, otherwise a new case.
3. What cannot be processed is quarantined with the reason; an admin can
   process it again with one action once the cause is fixed.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.cases import automatic
from lofte.cases.intake import Contact, intake_receive
from lofte.cases.models import Case, Channel, Direction, Message
from lofte.cases.references import reference_in_subject
from lofte.cases.services import AttachmentInput
from lofte.channels.email.addresses import own_addresses, own_addresses_clear
from lofte.channels.email.classify import Classification, EmailKind, classify
from lofte.channels.email.parsing import EmailParseError, ParsedEmail, parse_email
from lofte.channels.email.quotes import visible_text
from lofte.channels.models import InboundEmail, InboundState, Mailbox, Outcome, Source, raw_path
from lofte.core import clock
from lofte.core.errors import DomainError
from lofte.core.inserts import insert
from lofte.customers.models import IdentityKind, Proof
from lofte.customers.services import Identifier

logger = logging.getLogger(__name__)

__all__ = ["IngestResult", "Outcome", "email_ingest", "inbound_reprocess", "own_addresses", "own_addresses_clear"]

MAX_THREAD_IDS = 50


@dataclass(frozen=True)
class IngestResult:
    outcome: Outcome
    case: str | None
    visible_text: str | None
    error: str | None
    inbound_id: int

    def as_dict(self) -> dict[str, object]:
        return {
            "outcome": str(self.outcome),
            "case": self.case,
            "visible_text": self.visible_text,
            "error": self.error,
            "inbound_id": self.inbound_id,
        }


class Quarantine(Exception):
    """The message cannot be processed; the reason is shown to admins."""


# --- storing the raw bytes ----------------------------------------------------------


def _store_raw(raw: bytes, *, mailbox: Mailbox | None, source: str) -> tuple[InboundEmail, bool]:
    """The InboundEmail row for these bytes; True when it is new.

    Messages up to LOFTE_EMAIL_INLINE_BYTES (most mail) are kept in the row itself: one INSERT,
    no file to create. Larger ones are written once to storage under their SHA-256 first.
    """
    digest = hashlib.sha256(raw).hexdigest()
    inline = len(raw) <= settings.LOFTE_EMAIL_INLINE_BYTES
    if not inline:
        path = raw_path(digest)
        if not default_storage.exists(path):
            saved = default_storage.save(path, ContentFile(raw))
            if saved != path:  # another process wrote the same bytes a moment ago
                default_storage.delete(saved)
    row = InboundEmail(
        sha256=digest,
        size=len(raw),
        raw=raw if inline else None,
        source=source,
        mailbox=mailbox,
        received_at=clock.now(),
    )
    try:
        with transaction.atomic():  # new bytes are the rule: insert, and look up only when they were here before
            insert(row)
    except IntegrityError:
        return InboundEmail.objects.get(sha256=digest), False
    return row, True


def inbound_raw(row: InboundEmail) -> bytes:
    if row.raw is not None:
        return bytes(row.raw)
    with default_storage.open(row.raw_path, "rb") as handle:
        data: bytes = handle.read()
    return data


# --- the entry points ---------------------------------------------------------------


def email_ingest(raw: bytes, *, mailbox: Mailbox | None = None, source: str = Source.API) -> IngestResult:
    """Store, parse, classify, thread and file one raw RFC 822 message. Never raises for a bad message.

    One transaction: the row with the raw bytes is written first, then the message is processed in a
    savepoint; whatever goes wrong there is rolled back to the savepoint and the row is committed as
    quarantined with the reason. Only a crash of the process itself can lose the transaction, and then
    the sender was never told the message arrived (IMAP leaves it in place, HTTP gets no answer, the
    command exits non-zero so the MTA retries).
    """
    with transaction.atomic():
        return _ingest(raw, mailbox=mailbox, source=source)


def _ingest(raw: bytes, *, mailbox: Mailbox | None, source: str) -> IngestResult:
    row, new = _store_raw(raw, mailbox=mailbox, source=source)
    if not new and row.state == InboundState.PROCESSED:
        # the very same bytes again (an MTA retrying, a mailbox fetched twice)
        parsed = _parse_quietly(raw)
        return IngestResult(
            outcome=Outcome.DUPLICATE,
            case=_reference(row.case_id),
            visible_text=visible_text(parsed.text) if parsed else None,
            error=None,
            inbound_id=row.pk,
        )
    return _process(row, raw, mailbox=mailbox or row.mailbox)


def inbound_reprocess(row: InboundEmail) -> IngestResult:
    """Process a stored message again (after a quarantine's cause was fixed)."""
    with transaction.atomic():
        return _process(row, inbound_raw(row), mailbox=row.mailbox)


def _reference(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    return Case.objects.filter(pk=case_id).values_list("reference", flat=True).first()


def _parse_quietly(raw: bytes) -> ParsedEmail | None:
    try:
        return parse_email(raw)
    except Exception:
        return None


def _process(row: InboundEmail, raw: bytes, *, mailbox: Mailbox | None) -> IngestResult:
    parsed: ParsedEmail | None = None
    text: str | None = None
    try:
        if len(raw) > settings.LOFTE_EMAIL_MAX_BYTES:
            raise Quarantine(
                _("The message is %(size)d MB, over the limit of %(limit)d MB.")
                % {"size": len(raw) // 2**20, "limit": settings.LOFTE_EMAIL_MAX_BYTES // 2**20}
            )
        try:
            parsed = parse_email(raw)
        except EmailParseError as exc:
            raise Quarantine(_("The data is not an email message: %(reason)s") % {"reason": exc}) from exc
        if not parsed.headers:
            parsed = None
            raise Quarantine(_("The data is not an email message: it has no header lines."))
        text = visible_text(parsed.text)
        try:
            with transaction.atomic():
                outcome, case, message = _file(row, parsed, text, mailbox=mailbox)
                _finish(row, parsed, outcome=outcome, case=case, message=message)
        except IntegrityError:
            # the same Message-ID was filed a moment ago by another process (different bytes, same message)
            row.accepted_message_id = None
            first = InboundEmail.objects.filter(accepted_message_id=parsed.message_id or None).first()
            if first is None:
                raise
            outcome, case, message = Outcome.DUPLICATE, first.case, None
            _finish(row, parsed, outcome=outcome, case=case)
        return IngestResult(
            outcome=outcome, case=case.reference if case else None, visible_text=text, error=None, inbound_id=row.pk
        )
    except Quarantine as exc:
        reason = str(exc)
    except DomainError as exc:
        reason = exc.message
    except Exception as exc:
        logger.exception("Inbound email %s could not be processed", row.pk)
        reason = _("Processing failed: %(error)s") % {"error": f"{type(exc).__name__}: {exc}"}
    _finish(row, parsed, outcome=Outcome.QUARANTINED, error=reason)
    return IngestResult(outcome=Outcome.QUARANTINED, case=None, visible_text=text, error=reason, inbound_id=row.pk)


def _finish(
    row: InboundEmail,
    parsed: ParsedEmail | None,
    *,
    outcome: Outcome,
    case: Case | None = None,
    message: Message | None = None,
    error: str = "",
) -> None:
    row.state = InboundState.QUARANTINED if outcome == Outcome.QUARANTINED else InboundState.PROCESSED
    row.outcome = outcome
    row.error = error
    row.case = case
    row.case_message = message
    row.attempts += 1
    row.processed_at = clock.now()
    if parsed is not None:
        row.message_id = parsed.message_id[:255]
        row.from_address = (parsed.from_address or _fallback_sender(parsed))[:254]
        row.subject = parsed.subject[:255]
    fields = ["state", "outcome", "error", "case", "case_message", "attempts", "processed_at"]
    fields += ["message_id", "from_address", "subject"]
    if outcome in (Outcome.CREATED, Outcome.APPENDED) and row.message_id:
        row.accepted_message_id = row.message_id
        fields.append("accepted_message_id")
    row.save(update_fields=fields)


# --- deciding what a message is -------------------------------------------------------


def _fallback_sender(parsed: ParsedEmail) -> str:
    for header in ("sender", "reply-to", "return-path"):
        address = parseaddr(parsed.headers.get(header, ""))[1].lower()
        if "@" in address:
            return address
    return ""


def _file(
    row: InboundEmail, parsed: ParsedEmail, text: str, *, mailbox: Mailbox | None
) -> tuple[Outcome, Case | None, Message | None]:
    """Decide and write what the message becomes, in the caller's transaction."""
    verdict = classify(parsed)
    if verdict.kind == EmailKind.BOUNCE:
        return _bounce(parsed, verdict)
    if verdict.kind == EmailKind.READ_RECEIPT:
        return _receipt(parsed, verdict)
    if verdict.kind == EmailKind.FEEDBACK_REPORT:
        original = _sent_message(verdict.original_message_id)
        logger.warning("Spam complaint (ARF) about %s: %s", verdict.original_message_id, verdict.reason)
        return Outcome.FEEDBACK_REPORT, original.case if original else None, None

    sender = parsed.from_address or _fallback_sender(parsed)
    if not sender:
        raise Quarantine(_("The message has no sender address (no From, Sender or Reply-To)."))
    known, duplicate = _known_messages(parsed)
    if duplicate is not None:  # already on a case: also our own sent message coming back
        return Outcome.DUPLICATE, Case.objects.get(pk=duplicate), None
    own = own_addresses()
    if sender in own:
        raise Quarantine(
            _("The message is from Lofte's own address %(address)s: a mail loop, so it is not processed.")
            % {"address": sender}
        )
    thread = _thread(parsed, known)

    if verdict.kind == EmailKind.AUTO_REPLY:
        case = thread or _case_named_by_sender(parsed.subject, sender)
        if case is None:
            return Outcome.AUTO_REPLY, None, None
        message = automatic.case_add_automatic(
            case=case,
            body=parsed.text,
            channel=Channel.EMAIL,
            sender=sender,
            subject=parsed.subject,
            visible_text=text,
            external_id=parsed.message_id,
        )
        return Outcome.AUTO_REPLY, case, message

    _check_flood(row, sender)
    body, attachments = _body_and_attachments(parsed)
    mailbox = mailbox or _mailbox_written_to(parsed, own)
    received = intake_receive(
        contact=Contact(
            channel=Channel.EMAIL,
            body=body,
            identifiers=[Identifier(kind=IdentityKind.EMAIL, value=sender, proof=Proof.MESSAGE)],
            name=parsed.from_name,
            subject=parsed.subject,
            language_hint=mailbox.language if mailbox else "",
            sender=sender,
            source="email",
            external_id=parsed.message_id,
            deduplicated=True,  # _known_messages looked for the Message-ID above
            body_html=parsed.html,
            visible_text=text,
            attachments=attachments,
            thread=thread,
            thread_internal=thread is not None and _answers_a_forward(parsed),
            reference_text=parsed.subject,
            case_type=mailbox.case_type if mailbox else None,
            team=mailbox.team if mailbox else None,
            inbox_address=mailbox.address if mailbox else "",
        )
    )
    if received.outcome == "duplicate":
        return Outcome.DUPLICATE, received.case, None
    if received.outcome == "appended":
        return Outcome.APPENDED, received.case, received.message
    # a new case (or a follow-up of a closed one): the message is the case's first
    return Outcome.CREATED, received.case, received.message if thread is not None else None


def _mailbox_written_to(parsed: ParsedEmail, own: dict[str, Mailbox | None]) -> Mailbox | None:
    for address in [*parsed.to, *parsed.cc]:
        if mailbox := own.get(address):
            return mailbox
    return None


def _known_messages(parsed: ParsedEmail) -> tuple[dict[str, int], int | None]:
    """The cases (ids) of stored messages this one refers to, and the case of the stored message it
    duplicates (same Message-ID), in one query."""
    ids = _thread_ids(parsed)
    lookup = [*ids, parsed.message_id] if parsed.message_id else ids
    if not lookup:
        return {}, None
    # newest first wins for an id stored twice (the same message on two cases)
    rows = Message.objects.filter(external_id__in=lookup).order_by("-id").values_list("external_id", "case_id")
    found: dict[str, int] = {}
    for external_id, case_id in rows:
        found.setdefault(external_id, case_id)
    return found, found.get(parsed.message_id) if parsed.message_id else None


def _answers_a_forward(parsed: ParsedEmail) -> bool:
    """The message it answers directly (In-Reply-To) is a forward of the case to an outside party."""
    direct = list(parsed.in_reply_to)[:MAX_THREAD_IDS]
    return bool(direct) and Message.objects.filter(external_id__in=direct, internal=True).exists()


def _thread_ids(parsed: ParsedEmail) -> list[str]:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    return list(dict.fromkeys(i for i in ids if i))[:MAX_THREAD_IDS]


def _thread(parsed: ParsedEmail, known: dict[str, int]) -> Case | None:
    """The case this message continues by In-Reply-To, then References newest first. Message-IDs are
    unguessable, so any sender may continue a thread (a colleague copied in); a reference in the subject
    counts only from the case's own customer, which the intake checks."""
    for message_id in _thread_ids(parsed):
        if message_id in known:
            return Case.objects.select_related("customer").get(pk=known[message_id])
    return None


def _case_named_by_sender(subject: str, sender: str) -> Case | None:
    """For an automatic reply (which files no contact): the case in the subject's reference, when the sender is
    a proven address of that case's customer."""
    reference = reference_in_subject(subject)
    if reference is None:
        return None
    return (
        Case.objects.filter(
            reference=reference,
            customer__identities__kind=IdentityKind.EMAIL,
            customer__identities__value=sender,
            customer__identities__proven_at__isnull=False,
        )
        .select_related("customer")
        .first()
    )


def _check_flood(row: InboundEmail, sender: str) -> None:
    """More than LOFTE_EMAIL_FLOOD_PER_HOUR messages from one sender in the last hour (this one included,
    whatever became of them): this one waits in quarantine. An index-only count on (from_address, received_at)."""
    limit = settings.LOFTE_EMAIL_FLOOD_PER_HOUR
    since = clock.now() - timedelta(hours=1)
    earlier = (
        InboundEmail.objects.filter(from_address=sender, received_at__gt=since)
        .exclude(pk=row.pk)
        .order_by()
        .values("pk")
    )
    if earlier[:limit].count() >= limit:
        raise Quarantine(
            _("%(sender)s has sent more than %(limit)d messages in an hour; further ones wait here for an admin.")
            % {"sender": sender, "limit": limit}
        )


def _body_and_attachments(parsed: ParsedEmail) -> tuple[str, list[AttachmentInput]]:
    """The text to store, and the files that fit; a file over the limit is named in the text instead
    (it stays in the stored original)."""
    limit = settings.LOFTE_MAX_ATTACHMENT_BYTES
    files: list[AttachmentInput] = []
    notes: list[str] = []
    for part in parsed.attachments:
        if len(part.content) > limit:
            notes.append(
                _("[%(name)s (%(mb).1f MB) is over the attachment limit; it is kept in the original email.]")
                % {"name": part.filename, "mb": len(part.content) / 2**20}
            )
            continue
        files.append(
            AttachmentInput(
                filename=part.filename,
                content_type=part.content_type,
                content=part.content,
                content_id=part.content_id,
            )
        )
    body = parsed.text.strip()
    if not body:
        body = _("(no text; see the attachments)") if parsed.attachments else _("(no text)")
    if notes:
        body = "\n\n".join([body, *notes])
    return body, files


# --- what mail systems send back -----------------------------------------------------


def _sent_message(message_id: str) -> Message | None:
    if not message_id:
        return None
    return (
        Message.objects.filter(external_id=message_id, direction=Direction.OUT)
        .select_related("case", "case__assignee")
        .first()
    )


def _original(parsed: ParsedEmail, verdict: Classification) -> Message | None:
    """The message Lofte sent that a bounce or receipt is about."""
    for message_id in _dedupe([verdict.original_message_id, *_thread_ids(parsed)]):
        if message := _sent_message(message_id):
            return message
    return None


def _dedupe(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(i for i in ids if i))


def _bounce(parsed: ParsedEmail, verdict: Classification) -> tuple[Outcome, Case | None, Message | None]:
    original = _original(parsed, verdict)
    if original is None:
        logger.info("Bounce about a message Lofte does not know: %s", verdict.original_message_id or "(no id)")
        return Outcome.BOUNCE, None, None
    recipient = verdict.failed_recipients[0] if verdict.failed_recipients else ""
    automatic.case_delivery_failed(message=original, recipient=recipient, reason=verdict.diagnostic or verdict.reason)
    return Outcome.BOUNCE, original.case, None


def _receipt(parsed: ParsedEmail, verdict: Classification) -> tuple[Outcome, Case | None, Message | None]:
    original = _original(parsed, verdict)
    if original is None:
        return Outcome.READ_RECEIPT, None, None
    automatic.case_read_receipt(message=original, reader=parsed.from_address)
    return Outcome.READ_RECEIPT, original.case, None
