"""Raw header values to text: RFC 2047 encoded words, MIME parameters, Message-ID lists, dates.

Also the tolerant base64 decoder and the raw-string helpers the body code shares.
"""

from __future__ import annotations

import binascii
import email.utils
import re
from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

from lofte.channels.email.parsing.charsets import _codec_name, _guess_decode, _repair_mojibake, decode_bytes

_ENCODED_WORD_RE = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=")
_WS_RE = re.compile(r"\s+")
_FOLD_RE = re.compile(r"\r?\n|\r")
_B64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/]")
_B64_NOISE_RE = re.compile(rb"[^A-Za-z0-9+/=\s]")


def _b64decode(data: bytes, defects: list[str] | None = None, what: str = "") -> bytes:
    """Base64 as mail really carries it: missing padding, stray characters, a trailer after the data."""
    if not _B64_NOISE_RE.search(data):
        try:
            return binascii.a2b_base64(data)
        except binascii.Error:
            clean = _B64_JUNK_RE.sub(b"", data)
    else:
        # Noise: keep the lines that are (nearly) base64, stop at the first text line after the data.
        kept: list[bytes] = []
        for line in data.splitlines():
            line = line.strip()
            if not line:
                continue
            body = line.rstrip(b"=")
            bad = len(_B64_JUNK_RE.findall(body))
            if bad and (bad * 10 > len(line) or (not kept and bad * 4 > len(line))):
                if kept:
                    break
                continue
            kept.append(_B64_JUNK_RE.sub(b"", body))
            if len(body) != len(line):
                break  # padding ends the data
        clean = b"".join(kept)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    clean += b"=" * (-len(clean) % 4)
    if defects is not None:
        defects.append(f"broken base64 repaired in {what}")
    try:
        return binascii.a2b_base64(clean)
    except binascii.Error:  # pragma: no cover - clean input always decodes
        return b""


def _to_bytes(value: str) -> bytes:
    """A raw str from the parser (8-bit bytes as surrogate escapes) back to its bytes."""
    try:
        return value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value.encode("utf-8", "surrogateescape")


def _raw_to_str(raw: str, defects: list[str], what: str) -> str:
    """A raw header value (8-bit bytes kept as surrogate escapes) as text: UTF-8, else windows-1252."""
    if raw.isascii():
        return raw
    data = _to_bytes(raw)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _guess_decode(data, defects, what)


def _decode_words(text: str, defects: list[str], what: str) -> str:
    """Decode RFC 2047 encoded words anywhere in text (also inside quotes and words, as clients do)."""
    pieces: list[str] = []
    pending_charset: str | None = None
    pending: bytearray = bytearray()
    pos = 0
    last_was_word = False
    for m in _ENCODED_WORD_RE.finditer(text):
        gap = text[pos : m.start()]
        if gap and not (last_was_word and gap.isspace()):
            if pending_charset is not None:
                pieces.append(decode_bytes(bytes(pending), pending_charset, defects, what))
                pending_charset, pending = None, bytearray()
            pieces.append(gap)
        charset, enc, payload = m.group(1), m.group(2), m.group(3)
        raw = payload.encode("utf-8", "surrogateescape")
        data = _b64decode(raw.replace(b" ", b""), defects, what) if enc in "bB" else binascii.a2b_qp(raw, header=True)
        charset_key = charset.lower().split("*", 1)[0]
        if pending_charset is not None and pending_charset != charset_key:
            pieces.append(decode_bytes(bytes(pending), pending_charset, defects, what))
            pending = bytearray()
        pending_charset = charset_key
        pending += data
        pos = m.end()
        last_was_word = True
    if pending_charset is not None:
        pieces.append(decode_bytes(bytes(pending), pending_charset, defects, what))
    pieces.append(text[pos:])
    return "".join(pieces)


def decode_header_value(raw: str, defects: list[str] | None = None, what: str = "header") -> str:
    """A raw header value as readable text: unfolded, 8-bit bytes and encoded words decoded."""
    notes: list[str] = [] if defects is None else defects
    text = _raw_to_str(raw, notes, what)
    if "\n" in text or "\r" in text:
        text = _FOLD_RE.sub("", text)
    if "=?" in text:
        text = _decode_words(text, notes, what)
    if not text.isascii():
        text = _repair_mojibake(text, notes, what)
    return text.strip()


_PARAM_RE = re.compile(r';\s*([^\s=;"]+)\s*=\s*("(?:[^"\\]|\\.)*"|"[^;]*|[^;]*)')
_RFC2231_KEY_RE = re.compile(r"^(.+?)\*(?:(\d+)(\*)?|)$")


def _unquote(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        value = value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:]
        value = value.replace('\\"', '"').replace("\\\\", "\\")
    return value


def parse_params(raw: str | None, defects: list[str] | None = None) -> tuple[str, dict[str, str]]:
    """Content-Type / Content-Disposition: (lower-cased main value, params with RFC 2231/2047 undone)."""
    if not raw:
        return "", {}
    notes: list[str] = [] if defects is None else defects
    value = _FOLD_RE.sub("", raw) if ("\n" in raw or "\r" in raw) else raw
    main, sep, rest = value.partition(";")
    main_value = main.strip().lower().split(" ", 1)[0].strip("\"'")
    params: dict[str, str] = {}
    if not sep:
        return main_value, params
    extended: dict[str, list[tuple[int, bool, str]]] = {}
    for m in _PARAM_RE.finditer(";" + rest):
        key = m.group(1).lower()
        pvalue = _unquote(m.group(2))
        km = _RFC2231_KEY_RE.match(key)
        if km:
            index = int(km.group(2)) if km.group(2) is not None else 0
            encoded = km.group(3) is not None or km.group(2) is None
            extended.setdefault(km.group(1), []).append((index, encoded, pvalue))
        elif key not in params:
            params[key] = pvalue
    for key, segments in extended.items():
        segments.sort(key=lambda s: s[0])
        charset = ""
        data = bytearray()
        raw_8bit = False
        for n, (_index, encoded, pvalue) in enumerate(segments):
            if encoded:
                if n == 0 and "'" in pvalue:
                    bits = pvalue.split("'", 2)
                    charset = bits[0]
                    pvalue = bits[-1]
                data += unquote_to_bytes(_to_bytes(pvalue))
                raw_8bit = raw_8bit or not pvalue.isascii()
            else:
                data += _to_bytes(pvalue)
        params[key] = _decode_rfc2231(bytes(data), charset, raw_8bit, segments, notes, key)
    for key, pvalue in params.items():
        if key in extended:
            continue
        if not pvalue.isascii():
            pvalue = _raw_to_str(pvalue, notes, f"parameter {key}")
        if "=?" in pvalue:
            pvalue = _decode_words(pvalue, notes, f"parameter {key}")
        params[key] = pvalue
    return main_value, params


def _decode_rfc2231(
    data: bytes, charset: str, raw_8bit: bool, segments: list[tuple[int, bool, str]], defects: list[str], key: str
) -> str:
    """An RFC 2231 value. Raw 8-bit characters among the %XX escapes (not allowed) are taken, when the
    value is otherwise undecodable, as one byte each: 'Sk' + 'Ã' + '%A4' is b'Sk\\xc3\\xa4', 'Skä'."""
    what = f"parameter {key}"
    if raw_8bit:
        codec = _codec_name(charset) if charset else "utf-8"
        try:
            return data.decode(codec or "utf-8")
        except (UnicodeDecodeError, LookupError):
            pass
        alt = bytearray()
        for n, (_index, encoded, pvalue) in enumerate(segments):
            value = _raw_to_str(pvalue, [], what)
            if encoded and n == 0 and "'" in value:
                value = value.split("'", 2)[-1]
            if any(ord(ch) > 255 for ch in value):
                break
            alt += unquote_to_bytes(value.encode("latin-1")) if encoded else value.encode("latin-1")
        else:
            try:
                text = bytes(alt).decode(codec or "utf-8")
            except (UnicodeDecodeError, LookupError):
                pass
            else:
                defects.append(f"raw 8-bit characters in RFC 2231 {what} repaired")
                return text
    return decode_bytes(data, charset or None, defects, what)


_MSGID_RE = re.compile(r"<([^<>]*)>")


def message_ids(raw: str | None) -> list[str]:
    """Every "<...>" token of a Message-ID / In-Reply-To / References value, whitespace removed, in order."""
    if not raw:
        return []
    out: list[str] = []
    found = False
    for m in _MSGID_RE.finditer(raw):
        found = True
        inner = "".join(m.group(1).split())
        if inner and inner not in ("@",):
            token = f"<{inner}>"
            if token not in out:
                out.append(token)
    if not found:
        for token in re.split(r"[\s,;]+", raw):
            token = token.strip("\"'()[]")
            if "@" in token and len(token) > 2:
                wrapped = f"<{token}>"
                if wrapped not in out:
                    out.append(wrapped)
    return out


def parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    if not raw or not raw.strip():
        return None
    value = _WS_RE.sub(" ", raw).strip()
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        dt = None
    if dt is None:
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            defects.append("unparseable Date header")
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt
