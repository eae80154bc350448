"""parse_email: raw message bytes to a ParsedEmail, headers read once, the body walked once."""

from __future__ import annotations

import email.message
from collections.abc import Iterable
from email import policy
from email.parser import BytesParser
from urllib.parse import unquote

from lofte.channels.email.parsing.addresses import parse_addresses
from lofte.channels.email.parsing.body import _CID_RE, _Walker
from lofte.channels.email.parsing.headers import _WS_RE, decode_header_value, message_ids, parse_date
from lofte.channels.email.parsing.html_text import html_to_text
from lofte.channels.email.parsing.parsed import EmailParseError, ParsedEmail

_COMPAT_PARSER = BytesParser(email.message.EmailMessage, policy=policy.compat32)


def parse_email(raw: bytes) -> ParsedEmail:
    """Parse raw message bytes. Raises EmailParseError only when there is nothing usable."""
    if not raw or not raw.strip():
        raise EmailParseError("The message is empty.")
    defects: list[str] = []
    msg: email.message.Message
    # The tree is built with the compat32 policy: every header is decoded here from raw_items() anyway,
    # and policy=default re-parses Content-Type through its header registry a dozen times per message
    # while building the tree (a third of the time on ordinary mail), and crashes on some broken
    # parameter lists (IndexError in get_parameter on Python 3.12).
    try:
        msg = _COMPAT_PARSER.parsebytes(raw)
    except Exception as exc:
        raise EmailParseError(f"The bytes did not parse as an email message: {exc!r}") from exc
    if not isinstance(msg, email.message.EmailMessage):  # pragma: no cover - both parsers make EmailMessage
        raise EmailParseError("The bytes did not parse as an email message.")

    headers: dict[str, str] = {}
    raws: dict[str, str] = {}
    to_raw: list[str] = []
    cc_raw: list[str] = []
    for name, value in msg.raw_items():
        key = name.strip().lower()
        if key == "to":
            to_raw.append(value)
        elif key == "cc":
            cc_raw.append(value)
        if key in raws:
            continue
        raws[key] = value
        headers[key] = decode_header_value(value, defects, f"header {key}")

    walker = _Walker(defects)
    text, html = walker.walk(msg, top=True)
    if not raws and not (text or "").strip() and not (html or "").strip() and not walker.attachments:
        raise EmailParseError("The bytes hold no header and no body.")
    html = html or ""
    if text is None or not text.strip():
        text = html_to_text(html) if html.strip() else (text or "")

    if html and walker.attachments:
        cids = {unquote(c) for c in _CID_RE.findall(html)} | set(_CID_RE.findall(html))
    else:
        cids = set()
    for att, inline in zip(walker.attachments, walker.inline_disposition, strict=True):
        att.inline = inline or (bool(att.content_id) and att.content_id in cids)

    from_pairs = parse_addresses([raws["from"]], defects) if "from" in raws else []
    reply_pairs = parse_addresses([raws["reply-to"]], defects) if "reply-to" in raws else []
    message_id_list = message_ids(raws.get("message-id"))

    return ParsedEmail(
        message=msg,
        message_id=message_id_list[0] if message_id_list else "",
        in_reply_to=message_ids(raws.get("in-reply-to")),
        references=message_ids(raws.get("references")),
        subject=_WS_RE.sub(" ", headers.get("subject", "")).strip(),
        from_address=from_pairs[0][1] if from_pairs else "",
        from_name=from_pairs[0][0] if from_pairs else "",
        to=_unique(addr for _n, addr in parse_addresses(to_raw, defects)),
        cc=_unique(addr for _n, addr in parse_addresses(cc_raw, defects)),
        reply_to=reply_pairs[0][1] if reply_pairs else "",
        date=parse_date(headers.get("date"), defects),
        text=text,
        html=html,
        attachments=walker.attachments,
        headers=headers,
        defects=list(dict.fromkeys(defects)),
    )


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
