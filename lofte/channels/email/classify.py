"""What kind of inbound email this is: a person writing, or a machine answering.

Checked in this order: spam complaint (ARF feedback report) > delivery status (bounce, or a
delay notice) > read receipt > automatic reply > normal. Only NORMAL mail may open a case.
Everything is read from the ParsedEmail (its decoded headers and text, and the raw values in its MIME tree
for the report parts); nothing here raises.
"""

from __future__ import annotations

import email.message
import re
from dataclasses import dataclass, field
from enum import StrEnum

from lofte.channels.email.parsing import ParsedEmail
from lofte.channels.email.parsing.charsets import decode_bytes
from lofte.channels.email.parsing.headers import message_ids, parse_params
from lofte.channels.email.parsing.payloads import part_bytes, raw_payload

__all__ = ["Classification", "EmailKind", "classify"]


class EmailKind(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    FEEDBACK_REPORT = "feedback_report"
    READ_RECEIPT = "read_receipt"


@dataclass
class Classification:
    kind: EmailKind
    reason: str = ""
    original_message_id: str = ""
    failed_recipients: list[str] = field(default_factory=list)
    diagnostic: str = ""


# Subjects (prefixes, case-insensitive) of delivery failure notices without a report part.
_BOUNCE_SUBJECTS = (
    "undeliverable:",
    "undeliverable mail",
    "undelivered mail returned to sender",
    "undelivered mail",
    "mail delivery failed",
    "mail delivery failure",
    "message delivery failure",
    "delivery status notification (failure)",
    "delivery failure",
    "delivery has failed",
    "failure notice",
    "returned mail",
    "mail system error - returned mail",
    "non remis",
    "non distribuable",
    "impossible de remettre",
    "unzustellbar",
    "nicht zustellbar",
    "onbestelbaar",
    "olevererbart",
    "ej levererbart",
    "kunde inte levereras",
    "kan ikke leveres",
    "ikke levert",
    "ikke leveret",
    "ei voitu toimittaa",
    "toimittamaton",
)
# Delivery notices that are not failures: informational, never a case.
_DELAY_SUBJECTS = (
    "delivery status notification (delay)",
    "delayed mail",
    "delivery delayed",
    "warning: could not send message",
    "message delivery delayed",
)
_SUCCESS_SUBJECTS = ("delivery status notification (success)", "delivered:", "relayed:")

_RECEIPT_SUBJECTS = ("read:", "läst:", "læst:", "lest:", "luettu:", "gelesen:", "lu :", "lu:")

# Out-of-office / automatic reply subjects in en, sv, da, nb, fi, de, fr (prefixes, case-insensitive).
_AUTO_REPLY_SUBJECTS = (
    # en
    "out of office",
    "out of the office",
    "automatic reply",
    "auto reply",
    "auto-reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "automated response",
    "automatic response",
    "auto:",
    "away from the office",
    "on vacation",
    "vacation reply",
    # sv
    "autosvar",
    "automatiskt svar",
    "frånvaro",
    "frånvarande",
    "inte på kontoret",
    "ej på kontoret",
    "inte i tjänst",
    # da / nb
    "automatisk svar",
    "automatisk besvarelse",
    "fraværende",
    "fravær",
    "ikke til stede",
    "ikke på kontoret",
    "ude af kontoret",
    "borte fra kontoret",
    # fi
    "poissaolo",
    "poissa toimistolta",
    "automaattinen vastaus",
    "lomavastaaja",
    # de
    "abwesenheitsnotiz",
    "abwesenheitsmeldung",
    "abwesenheitsnachricht",
    "automatische antwort",
    "automatische abwesenheitsnachricht",
    "nicht im büro",
    "außer haus",
    "ausser haus",
    # fr
    "réponse automatique",
    "reponse automatique",
    "absence du bureau",
    "absent du bureau",
    "message d'absence",
    "message d\u2019absence",
    "répondeur automatique",
)

_DAEMON_LOCALPARTS = ("mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster")
_STATUS_LINE_RE = re.compile(r"^.*\b[45]\d\d[ -]#?[45]\.\d{1,3}\.\d{1,3}\b.*$", re.MULTILINE)
_ENHANCED_STATUS_RE = re.compile(r"^.*\b[45]\.\d{1,3}\.\d{1,3}\b.*$", re.MULTILINE)
_BODY_MESSAGE_ID_RE = re.compile(r"^[ \t>]*(?:original-)?message-id:[ \t]*\r?\n?[ \t]*(<[^<>\s]+>)", re.I | re.M)
_ADDR = r"<?([^\s<>()\[\]\"',;:]+@[^\s<>()\[\]\"',;:]+)>?"
_BODY_RECIPIENT_RES = (
    re.compile(
        r"(?:wasn't|was not|couldn't be|could not be|can't be|cannot be) delivered to\s+" + _ADDR + r"[\s.,;:]", re.I
    ),
    re.compile(r"your message to\s+" + _ADDR + r"\s+(?:couldn't|could not|can't|cannot) be delivered", re.I),
    re.compile(r"failed permanently:\s+" + _ADDR + r"\s", re.I),
    re.compile(r"^\s*(?:final|original)-recipient:\s*rfc822;\s*" + _ADDR + r"\s*$", re.I | re.M),
    re.compile(r"^<([^<>\s]+@[^<>\s]+)>(?::| \(expanded from)", re.M),
    re.compile(r"following address(?:\(es\)|es)? failed:\s*\n\s*" + _ADDR + r"\s", re.I),
)

_Fields = dict[str, str]


def _lower_prefix(subject: str, prefixes: tuple[str, ...]) -> bool:
    return subject.strip().lower().startswith(prefixes)


def _raw_get(msg: email.message.Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name:
            return value if isinstance(value, str) else str(value)
    return None


def _content_type(msg: email.message.Message) -> tuple[str, dict[str, str]]:
    ctype, params = parse_params(_raw_get(msg, "content-type"))
    if "/" not in ctype:
        ctype = msg.get_default_type()
    return ctype, params


def _parts(msg: email.message.Message, depth: int = 0) -> list[tuple[str, dict[str, str], email.message.Message]]:
    """Every part of the tree (not descending into attached messages), with its content type."""
    ctype, params = _content_type(msg)
    out = [(ctype, params, msg)]
    payload = raw_payload(msg)
    if isinstance(payload, list) and not ctype.startswith("message/") and depth < 20:
        for child in payload:
            if isinstance(child, email.message.Message):
                out.extend(_parts(child, depth + 1))
    return out


def _part_text(msg: email.message.Message) -> str:
    """The text of a leaf part (transfer encoding undone); for parsed message/* parts, their header blocks."""
    payload = raw_payload(msg)
    cte = "".join((_raw_get(msg, "content-transfer-encoding") or "").split()).lower()
    if isinstance(payload, list) and ("base64" in cte or "quoted" in cte):
        # A transfer encoding on a message/* part: the parser took the encoded text for header blocks.
        return decode_bytes(part_bytes(msg), "utf-8", [], "report part").replace("\r\n", "\n")
    if isinstance(payload, list):
        blocks = []
        for block in payload:
            if isinstance(block, email.message.Message):
                lines = [f"{k}: {v}" for k, v in block.raw_items()]
                body = raw_payload(block)
                if isinstance(body, str) and body.strip():
                    lines.append("")
                    lines.append(body)
                blocks.append("\n".join(lines))
        return "\n\n".join(blocks)
    data = part_bytes(msg)
    _ctype, params = _content_type(msg)
    return decode_bytes(data, params.get("charset"), [], "report part").replace("\r\n", "\n")


def _field_blocks(text: str) -> list[_Fields]:
    """'Name: value' blocks separated by blank lines (delivery-status, disposition, feedback report)."""
    blocks: list[_Fields] = []
    current: _Fields = {}
    last = ""
    for line in text.replace("\r", "").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
                current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            last = name.strip().lower()
            if last not in current:
                current[last] = value.strip()
            else:
                last = ""
    if current:
        blocks.append(current)
    return blocks


def _address_field(value: str) -> str:
    """'rfc822; Someone@Example.com' -> 'someone@example.com'."""
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip().strip("<>").strip()
    return value.lower() if "@" in value else ""


def _diagnostic_code(value: str) -> str:
    value = " ".join(value.split())
    kind, sep, rest = value.partition(";")
    if sep and kind.strip() and " " not in kind.strip():
        value = rest.strip()
    return value


def _attached_message_id(parts: list[tuple[str, dict[str, str], email.message.Message]]) -> str:
    """The Message-ID of an attached message (message/rfc822) or header block (text/rfc822-headers)."""
    for ctype, _params, msg in parts:
        if ctype in ("message/rfc822", "message/global"):
            payload = raw_payload(msg)
            inner = payload[0] if isinstance(payload, list) and payload else None
            if isinstance(inner, email.message.Message):
                ids = message_ids(_raw_get(inner, "message-id"))
                if ids:
                    return ids[0]
                # A transfer encoding on the attached message: look in its decoded text.
                text = _part_text(msg) if not inner.keys() else ""
                found = _body_message_id(text) if text else ""
                if found:
                    return found
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            found = _body_message_id(_part_text(msg))
            if found:
                return found
    return ""


def _body_message_id(text: str) -> str:
    m = _BODY_MESSAGE_ID_RE.search(text)
    return "".join(m.group(1).split()) if m else ""


def _header(parsed: ParsedEmail, name: str) -> str:
    return parsed.headers.get(name, "").strip()


def _auto_reply_reason(parsed: ParsedEmail) -> str:
    auto_submitted = _header(parsed, "auto-submitted")
    if auto_submitted:
        value = auto_submitted.split(";", 1)[0].strip().lower()
        if value and value != "no":
            return f"Auto-Submitted: {value}"
    if "x-autoreply" in parsed.headers:
        value = _header(parsed, "x-autoreply").lower()
        if value not in ("no", "false", "0"):
            return f"X-Autoreply: {value or 'yes'}"
    if "x-autorespond" in parsed.headers:
        return "X-Autorespond present"
    if _header(parsed, "x-autogenerated").lower() == "reply":
        return "X-Autogenerated: reply"
    for name in ("precedence", "x-precedence"):
        value = _header(parsed, name).lower()
        if value in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
            return f"{'Precedence' if name == 'precedence' else 'X-Precedence'}: {value}"
    if _lower_prefix(parsed.subject, _AUTO_REPLY_SUBJECTS):
        return "subject looks like an out-of-office reply"
    return ""


def _is_daemon(parsed: ParsedEmail) -> bool:
    address = parsed.from_address
    if address and address.split("@", 1)[0] in _DAEMON_LOCALPARTS:
        return True
    raw = _header(parsed, "from").lower()
    if any(local in raw for local in _DAEMON_LOCALPARTS[:4]):
        return True
    return "mailer-daemon" in _header(parsed, "return-path").lower()


def _delivery_status(
    parsed: ParsedEmail, parts: list[tuple[str, dict[str, str], email.message.Message]], report_type: str
) -> Classification:
    """A multipart/report; report-type=delivery-status: bounce, or an informational delay/success notice."""
    status_text = ""
    for ctype, _params, msg in parts:
        if ctype in ("message/delivery-status", "message/global-delivery-status", "text/delivery-status"):
            status_text = _part_text(msg)
            break
    blocks = _field_blocks(status_text)
    recipients = [b for b in blocks if "final-recipient" in b or "original-recipient" in b or "action" in b]
    failed: list[str] = []
    diagnostic = ""
    actions: list[str] = []
    for block in recipients:
        action = block.get("action", "").split("(", 1)[0].strip().lower()
        status = block.get("status", "").split(" ", 1)[0].strip()
        if not action:
            action = "delayed" if status.startswith("4") else "failed"
        actions.append(action)
        if action != "failed":
            continue
        for key in ("final-recipient", "original-recipient"):
            address = _address_field(block.get(key, ""))
            if address and address not in failed:
                failed.append(address)
        if not diagnostic:
            if block.get("diagnostic-code"):
                diagnostic = _diagnostic_code(block["diagnostic-code"])
            elif status:
                diagnostic = f"{status} ({action})"
    for address in _x_failed_recipients(parsed):
        if address not in failed:
            failed.append(address)
    original = _attached_message_id(parts) or _body_message_id(parsed.text)
    reason = f"report-type={report_type}" if report_type else "delivery status report"
    if actions and "failed" not in actions:
        if all(a == "delayed" for a in actions):
            return Classification(EmailKind.AUTO_REPLY, "delivery delayed notice", original_message_id=original)
        return Classification(
            EmailKind.AUTO_REPLY, f"delivery status notice ({', '.join(dict.fromkeys(actions))})", original
        )
    return Classification(EmailKind.BOUNCE, reason, original, failed, diagnostic)


def _x_failed_recipients(parsed: ParsedEmail) -> list[str]:
    value = _header(parsed, "x-failed-recipients")
    return [a.strip().strip("<>").lower() for a in re.split(r"[,\s]+", value) if "@" in a]


def _heuristic_bounce(
    parsed: ParsedEmail, parts: list[tuple[str, dict[str, str], email.message.Message]]
) -> Classification | None:
    """A bounce without a delivery-status part: recognised by sender, headers and subject."""
    subject = parsed.subject
    reason = ""
    if "x-failed-recipients" in parsed.headers:
        reason = "X-Failed-Recipients present"
    elif _lower_prefix(subject, _BOUNCE_SUBJECTS):
        reason = "subject looks like a delivery failure"
    elif _lower_prefix(subject, _DELAY_SUBJECTS):
        reason = "subject looks like a delivery delay notice"
    elif _is_daemon(parsed):
        reason = f"sent by {parsed.from_address or 'mailer-daemon'}"
    elif _header(parsed, "return-path").replace(" ", "") == "<>" and not _auto_reply_reason(parsed):
        # An empty envelope sender is also what auto-replies use (RFC 3834): only a bounce without other signs.
        reason = "empty Return-Path"
    if not reason:
        return None
    original = _attached_message_id(parts) or _body_message_id(parsed.text)
    if _lower_prefix(subject, _DELAY_SUBJECTS) and "x-failed-recipients" not in parsed.headers:
        return Classification(EmailKind.AUTO_REPLY, "delivery delayed notice", original_message_id=original)
    if _lower_prefix(subject, _SUCCESS_SUBJECTS) and "x-failed-recipients" not in parsed.headers:
        return Classification(EmailKind.AUTO_REPLY, "delivery status notice (delivered)", original_message_id=original)
    failed = _x_failed_recipients(parsed)
    if not failed:
        for pattern in _BODY_RECIPIENT_RES:
            for m in pattern.finditer(parsed.text):
                address = m.group(1).strip(".").lower()
                if address not in failed and address != parsed.from_address:
                    failed.append(address)
            if failed:
                break
    status_line = _STATUS_LINE_RE.search(parsed.text) or _ENHANCED_STATUS_RE.search(parsed.text)
    diagnostic = " ".join(status_line.group(0).split()) if status_line else ""
    return Classification(EmailKind.BOUNCE, reason, original, failed, diagnostic[:500])


def classify(parsed: ParsedEmail) -> Classification:
    """Decide what kind of email parsed is. Never raises."""
    parts = _parts(parsed.message)
    top_type = parts[0][0]

    report_type = ""
    for ctype, params, _msg in parts:
        if ctype == "multipart/report":
            report_type = params.get("report-type", "").strip().lower()
            break
    has_status_part = any(c in ("message/delivery-status", "message/global-delivery-status") for c, _p, _m in parts)
    has_mdn_part = any(
        c in ("message/disposition-notification", "message/global-disposition-notification") for c, _p, _m in parts
    )
    has_feedback_part = any(c == "message/feedback-report" for c, _p, _m in parts)

    # 1. Spam complaint (ARF).
    if report_type == "feedback-report" or (not report_type and has_feedback_part):
        return Classification(
            EmailKind.FEEDBACK_REPORT, "report-type=feedback-report", original_message_id=_attached_message_id(parts)
        )

    # 2. Delivery status.
    if report_type in ("delivery-status", "global-delivery-status") or (
        has_status_part and report_type != "disposition-notification"
    ):
        return _delivery_status(parsed, parts, report_type)
    receipt = (
        report_type == "disposition-notification"
        or has_mdn_part
        or (top_type == "multipart/report" and _lower_prefix(parsed.subject, _RECEIPT_SUBJECTS))
    )
    if not receipt:
        # Explicit report parts win over the heuristics (a receipt often has an empty Return-Path too).
        bounce = _heuristic_bounce(parsed, parts)
        if bounce is not None:
            return bounce

    # 3. Read receipt.
    if receipt:
        original = ""
        disposition = ""
        for ctype, _params, msg in parts:
            if ctype in ("message/disposition-notification", "message/global-disposition-notification"):
                for block in _field_blocks(_part_text(msg)):
                    original = original or "".join(message_ids(block.get("original-message-id"))[:1])
                    disposition = disposition or block.get("disposition", "")
        original = original or _attached_message_id(parts) or "".join(parsed.in_reply_to[:1])
        if report_type == "disposition-notification":
            reason = "report-type=disposition-notification"
        else:
            reason = "disposition-notification part" if has_mdn_part else "read receipt subject"
        if disposition:
            reason += f" ({' '.join(disposition.split())})"
        return Classification(EmailKind.READ_RECEIPT, reason, original_message_id=original)

    # 4. Automatic reply.
    reason = _auto_reply_reason(parsed)
    if reason:
        return Classification(EmailKind.AUTO_REPLY, reason)
    return Classification(EmailKind.NORMAL)
