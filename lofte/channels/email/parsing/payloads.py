"""A MIME part's content bytes, read from the raw payload with the transfer encoding undone."""

from __future__ import annotations

import binascii
import email.message
from email import policy

from lofte.channels.email.parsing.headers import _WS_RE, _b64decode, _to_bytes

# Regenerating an attached message: keep header values as they came, 8-bit bytes as they came.
_GEN_POLICY = policy.default.clone(linesep="\r\n", refold_source="none", cte_type="8bit")


def raw_payload(msg: email.message.Message) -> object:
    """The payload as the parser stored it: a list of parts, or the body str with 8-bit bytes as surrogates.

    ``Message.get_payload`` would parse the Content-Transfer-Encoding header and, for 8-bit bodies,
    decode them lossily with the declared charset; the raw attribute is what is wanted here.
    """
    return getattr(msg, "_payload", None)


def _decode_payload(msg: email.message.Message, cte: str, defects: list[str], what: str) -> bytes:
    """The bytes of a leaf part with its transfer encoding undone, decoded once."""
    payload = raw_payload(msg)
    if isinstance(payload, bytes):  # pragma: no cover - only for messages built by hand
        return payload
    if not isinstance(payload, str):
        return b""
    raw = _to_bytes(payload)
    if not cte or cte in ("7bit", "8bit", "binary"):
        return raw
    if "base64" in cte:
        return _b64decode(raw, defects, what)
    if "quoted" in cte:
        return binascii.a2b_qp(raw)
    if "uu" in cte:
        data = msg.get_payload(decode=True)
        return data if isinstance(data, bytes) else raw
    defects.append(f"unknown content-transfer-encoding {cte} in {what}; content kept as is")
    return raw


def _message_part_bytes(msg: email.message.Message, cte: str, defects: list[str]) -> bytes:
    """The content of a message/* part, regenerated from the parsed blocks; a transfer encoding wrongly
    put on it (the parser does not undo those for message/* parts) is undone."""
    payload = raw_payload(msg)
    blocks = [b for b in payload if isinstance(b, email.message.Message)] if isinstance(payload, list) else []
    if not blocks:
        return _decode_payload(msg, cte, defects, "attached message")
    try:
        data = b"".join(b.as_bytes(policy=_GEN_POLICY) for b in blocks)
    except Exception:
        defects.append("attached message could not be regenerated")
        return b""
    if "base64" in cte or "quoted" in cte:
        data = data.lstrip(b"\r\n")
        data = _b64decode(data, defects, "attached message") if "base64" in cte else binascii.a2b_qp(data)
        defects.append(f"attached message had content-transfer-encoding {cte}; decoded")
    return data


def part_bytes(msg: email.message.Message, defects: list[str] | None = None) -> bytes:
    """A part's content bytes, transfer encoding undone (for callers outside the walker, such as classify).

    For message/* parts: the regenerated attached message or report blocks."""
    cte = ""
    for key, value in msg.raw_items():
        if key.lower() == "content-transfer-encoding":
            cte = _WS_RE.sub("", value).lower()
            break
    notes = [] if defects is None else defects
    if isinstance(raw_payload(msg), list):
        return _message_part_bytes(msg, cte, notes)
    return _decode_payload(msg, cte, notes, "part")
