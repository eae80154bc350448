"""Inbound email parsing: raw RFC 5322 bytes -> a ParsedEmail the rest of Lofte can trust.

The tree is parsed once with the standard library (``BytesParser(policy=email.policy.default)``).
Header values are then read raw (``raw_items()``) and decoded here rather than through the
policy's header objects: those cost 20-100 microseconds each, raise or answer with replacement
characters on broken input (unknown charsets, raw 8-bit bytes, split multibyte encoded words),
and the helpdesk must read whatever real mail clients send. The raw value is exactly what the
compat32 policy would give, so this is the per-header fallback made the only path.

Repairs are written to ``ParsedEmail.defects`` as short readable notes.
"""

from __future__ import annotations

import binascii
import codecs
import email.message
import email.utils
import html as html_lib
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser
from urllib.parse import unquote, unquote_to_bytes

__all__ = [
    "EmailParseError",
    "ParsedAttachment",
    "ParsedEmail",
    "html_to_text",
    "parse_email",
]


class EmailParseError(Exception):
    """The bytes hold nothing usable as an email (empty, or neither headers nor body)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message: email.message.EmailMessage
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: str
    date: datetime | None
    text: str
    html: str
    attachments: list[ParsedAttachment]
    headers: dict[str, str]
    defects: list[str] = field(default_factory=list)


_PARSER = BytesParser(policy=policy.default)
_COMPAT_PARSER = BytesParser(email.message.EmailMessage, policy=policy.compat32)
# Regenerating an attached message: keep header values as they came, 8-bit bytes as they came.
_GEN_POLICY = policy.default.clone(linesep="\r\n", refold_source="none", cte_type="8bit")

# --------------------------------------------------------------------------------------------
# Charsets
# --------------------------------------------------------------------------------------------

# Names mail clients use that Python does not know, or knows as a narrower codec than the one
# actually in use (Microsoft's supersets of the national standards).
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ks_c_5601-1989": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "euc-kr": "cp949",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "ms_kanji": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "utf8mb4": "utf-8",
    "utf8mb3": "utf-8",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "ansi_x3.4-1968": "ascii",
    "us-ascii": "ascii",
    "x-user-defined": "windows-1252",
}

# A codec whose name starts like this decodes one byte to one character; text in it that happens
# to be valid UTF-8 with non-ASCII bytes is in fact UTF-8 with a wrong label.
_SINGLE_BYTE_PREFIXES = ("ascii", "latin", "iso8859", "cp125", "cp437", "cp850", "cp874", "koi8", "mac")
# Codecs for which ASCII-only bytes are not simply ASCII text.
_NOT_ASCII_SAFE_PREFIXES = ("utf-16", "utf-32", "utf-7", "iso2022", "hz")
# Declared as a narrow codec, often used as the wider one.
_SUPERSETS = {
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "iso2022_jp": "iso2022_jp_ext",
}

_codec_cache: dict[str, str | None] = {}


def _codec_name(charset: str) -> str | None:
    """Python's codec name for a MIME charset label, or None when the label is unknown."""
    key = charset
    try:
        return _codec_cache[key]
    except KeyError:
        pass
    label = charset.strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*sv
    label = _CHARSET_ALIASES.get(label, label)
    name: str | None
    try:
        info = codecs.lookup(label) if len(label) < 40 and label.isprintable() else None
    except (LookupError, ValueError, TypeError):
        info = None
    # Refuse bytes-to-bytes codecs (base64, zlib, rot13 ...) named in a charset parameter.
    name = info.name if info is not None and getattr(info, "_is_text_encoding", True) else None
    if len(_codec_cache) < 512:
        _codec_cache[key] = name
    return name


def _guess_decode(data: bytes, defects: list[str], what: str, declared: str | None = None) -> str:
    """Decode bytes with no usable charset: UTF-8 if valid, ISO-2022-JP if it looks so, else windows-1252."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if declared is not None:
            defects.append(f"charset {declared} unknown in {what}; decoded as utf-8")
        elif not data.isascii():
            defects.append(f"no charset declared for 8-bit {what}; decoded as utf-8")
        return text
    if b"\x1b$" in data or b"\x1b(" in data:
        try:
            text = data.decode("iso2022_jp_ext")
        except UnicodeDecodeError:
            pass
        else:
            defects.append(f"no usable charset for {what}; decoded as iso-2022-jp")
            return text
    label = f"charset {declared} unknown" if declared is not None else "no charset declared"
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        defects.append(f"{label} in {what}; decoded as iso-8859-1")
        return text
    defects.append(f"{label} in {what}; decoded as windows-1252")
    return text


def decode_bytes(data: bytes, charset: str | None, defects: list[str], what: str = "text") -> str:
    """Text from bytes in a declared (possibly wrong, unknown or missing) charset. Never raises."""
    if not charset or not charset.strip():
        if data.isascii() and b"\x1b" not in data:
            return data.decode("ascii")
        return _guess_decode(data, defects, what)
    codec = _codec_name(charset)
    if codec is None:
        if data.isascii() and b"\x1b" not in data:
            return data.decode("ascii")
        return _guess_decode(data, defects, what, declared=charset.strip().strip("\"'").lower())
    if data.isascii() and not codec.startswith(_NOT_ASCII_SAFE_PREFIXES) and b"\x1b" not in data:
        return data.decode("ascii")
    if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in data:
        # Labelled UTF-16/32 but no NUL byte anywhere: it is not (mostly Latin text in UTF-16 has them).
        defects.append(f"{what} declared {charset.strip().lower()} but has no NUL bytes; charset guessed")
        return _guess_decode(data, [], what)
    if codec.startswith(_SINGLE_BYTE_PREFIXES):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            defects.append(f"{what} declared {charset.strip().lower()} but is utf-8; decoded as utf-8")
            return text
        if codec == "iso8859-1":
            # As browsers do: the C1 range of latin-1 is in practice windows-1252 punctuation.
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                return data.decode("latin-1")
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    except Exception:  # noqa: S110 - a broken codec must not break the parse
        pass
    superset = _SUPERSETS.get(codec)
    if superset is not None:
        try:
            text = data.decode(superset)
        except UnicodeDecodeError:
            pass
        else:
            if codec == "ascii":
                defects.append(f"{what} declared {charset.strip().lower()} has 8-bit bytes; decoded as windows-1252")
            else:
                defects.append(f"{what} not valid {charset.strip().lower()}; decoded as {superset}")
            return text
    if not codec.startswith(_SINGLE_BYTE_PREFIXES):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            defects.append(f"{what} not valid {charset.strip().lower()}; decoded as utf-8")
            return text
    defects.append(f"{what} not valid {charset.strip().lower()}; undecodable bytes replaced")
    try:
        return data.decode(codec, errors="replace")
    except Exception:
        return data.decode("latin-1")


# Sequences a UTF-8 text takes on when its bytes were read as windows-1252 / latin-1.
_MOJIBAKE_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def _repair_mojibake(text: str, defects: list[str], what: str) -> str:
    """'RÃ¤kning' -> 'Räkning' when the whole string re-decodes as UTF-8; else unchanged."""
    if text.isascii() or not _MOJIBAKE_RE.search(text):
        return text
    data = bytearray()
    for ch in text:
        o = ord(ch)
        if o < 256:
            data.append(o)
        else:
            try:
                data += ch.encode("cp1252")
            except UnicodeEncodeError:
                return text
    try:
        fixed = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        return text
    if fixed != text:
        defects.append(f"mojibake repaired in {what}")
    return fixed


# --------------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------------

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


_ADDR_OK_RE = re.compile(r"^[^\s<>()\[\]\\,;:@\"]+@[^\s<>()\[\]\\,;:@\"]+$")
_ADDR_BRACKET_RE = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>")
_ADDR_BARE_RE = re.compile(r"[^\s<>()\[\]\\,;:@\"']+@[^\s<>()\[\]\\,;:@\"']+")


_ADDR_SPEC = r"[^\s<>()\[\]\\,;:@\"]+@[^\s<>()\[\]\\,;:@\"]+"
# One list item in the shapes nearly all mail has: "Name" <a@b>, Name <a@b>, <a@b>, a@b.
_FAST_ITEM_RE = re.compile(
    r'\s*(?:"((?:[^"\\]|\\.)*)"|([^",<>;:()\\]*?))\s*<(' + _ADDR_SPEC + r")>\s*(?:,|$)"
    r"|\s*(" + _ADDR_SPEC + r")\s*(?:,|$)"
)
_UNESCAPE_RE = re.compile(r"\\(.)")


def _fast_addresses(value: str) -> list[tuple[str, str]] | None:
    """Parse a plain address list with one regex; None when it needs the full parser."""
    out: list[tuple[str, str]] = []
    pos, end = 0, len(value)
    while pos < end:
        m = _FAST_ITEM_RE.match(value, pos)
        if m is None or m.end() == pos:
            return None
        if m.group(3):
            quoted = m.group(1)
            name = _UNESCAPE_RE.sub(r"\1", quoted) if quoted is not None else (m.group(2) or "")
            out.append((name, m.group(3)))
        else:
            out.append(("", m.group(4)))
        pos = m.end()
        if value[pos:].strip() == "":
            break
    return out


def _clean_name(name: str, defects: list[str]) -> str:
    if "=?" in name:
        name = _decode_words(name, defects, "display name")
    name = _WS_RE.sub(" ", name).strip().strip("\"'").strip()
    if not name.isascii():
        name = _repair_mojibake(name, defects, "display name")
    return name


def parse_addresses(raw_values: list[str], defects: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs from raw address header values; tolerant of broken quoting."""
    out: list[tuple[str, str]] = []
    for raw in raw_values:
        value = _FOLD_RE.sub("", _raw_to_str(raw, defects, "address header"))
        if not value.strip():
            continue
        fast = _fast_addresses(value)
        if fast is not None:
            out.extend((_clean_name(name, defects), addr.lower()) for name, addr in fast)
            continue
        parsed: list[tuple[str, str]] = []
        ok = True
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pairs, ok = [], False
        lowered = value.lower()
        for name, addr in pairs:
            addr = addr.strip()
            if not addr:
                continue
            if not _ADDR_OK_RE.match(addr) or addr.lower() not in lowered:
                ok = False
                break
            parsed.append((name, addr))
        if not ok or (not parsed and "@" in value):
            parsed = []
            defects.append("address header repaired")
            for chunk in _split_addresses(value):
                m = _ADDR_BRACKET_RE.search(chunk)
                if m:
                    parsed.append((chunk[: m.start()], m.group(1)))
                    continue
                m2 = _ADDR_BARE_RE.search(chunk)
                if m2:
                    parsed.append((chunk[: m2.start()] + " " + chunk[m2.end() :], m2.group(0)))
        for name, addr in parsed:
            addr = addr.strip().strip("'\"").lower()
            if "@" not in addr:
                continue
            out.append((_clean_name(name, defects), addr))
    return out


def _split_addresses(value: str) -> list[str]:
    """Split a broken address list at commas that follow an address."""
    chunks: list[str] = []
    start = 0
    for m in re.finditer(r"(?:>|@[^\s<>,;\"]+)\s*[,;]", value):
        chunks.append(value[start : m.end() - 1])
        start = m.end()
    chunks.append(value[start:])
    return chunks


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


# --------------------------------------------------------------------------------------------
# Body
# --------------------------------------------------------------------------------------------

_DEFECT_NOTES = {
    "StartBoundaryNotFoundDefect": "multipart boundary never found; body treated as text",
    "NoBoundaryInMultipartDefect": "multipart without a boundary; body treated as text",
    "CloseBoundaryNotFoundDefect": "multipart closing boundary missing",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation line",
    "MissingHeaderBodySeparatorDefect": "no blank line between headers and body",
    "MisplacedEnvelopeHeaderDefect": "envelope From line inside the headers",
    "InvalidMultipartContentTransferEncodingDefect": "invalid content-transfer-encoding on a multipart",
    "MultipartInvariantViolationDefect": "",  # always comes with one of the boundary notes
}

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/octet-stream": ".bin",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pgp-signature": ".asc",
    "application/json": ".json",
    "application/xml": ".xml",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
}

_FILENAME_BAD_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_CID_RE = re.compile(r"""cid:([^"'\s)>]+)""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_MAX_DEPTH = 40


def _extension(content_type: str) -> str:
    ext = _EXTENSIONS.get(content_type)
    if ext is None:
        ext = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return ext


def _safe_filename(name: str) -> str:
    """The last path component of a decoded name, without control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _WS_RE.sub(" ", "".join(ch for ch in name if ch >= " " and ch != "\x7f")).strip()
    return "" if name in (".", "..") else name[:255]


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, undo space-stuffing, keep quote depth."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0

    def emit(depth: int, line: str) -> None:
        if depth:
            out.append(">" * depth + (" " + line if line else ""))
        else:
            out.append(line)

    for line in text.split("\n"):
        content = line.lstrip(">")
        depth = len(line) - len(content)
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if buf is not None and buf_depth != depth:
            emit(buf_depth, buf)
            buf = None
        buf = content if buf is None else buf + content
        buf_depth = depth
        if not flowed:
            emit(depth, buf)
            buf = None
    if buf is not None:
        emit(buf_depth, buf)
    return "\n".join(out)


def _text_to_html(text: str) -> str:
    return '<div style="white-space: pre-wrap">' + html_lib.escape(text) + "</div>"


def _join_text(pieces: list[str]) -> str:
    kept = [p.strip("\n") for p in pieces if p.strip()]
    return "\n\n".join(kept) + ("\n" if kept else "")


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


def _content_id(msg: email.message.Message) -> str:
    """The Content-ID of a part without angle brackets or whitespace, "" if none."""
    for key, value in msg.raw_items():
        if key.lower() == "content-id":
            return "".join(_raw_to_str(value, [], "content-id").split()).strip("<>")
    return ""


class _Part:
    """What the walker needs from one MIME part, read once from its raw headers."""

    __slots__ = ("content_type", "cte", "disposition", "filename", "msg", "params")

    def __init__(self, msg: email.message.Message, defects: list[str]) -> None:
        self.msg = msg
        hdrs: dict[str, str] = {}
        for name, value in msg.raw_items():
            key = name.lower()
            if key in ("content-type", "content-disposition", "content-transfer-encoding") and key not in hdrs:
                hdrs[key] = value
        ctype, params = parse_params(hdrs.get("content-type"), defects)
        if "/" not in ctype:
            ctype = msg.get_default_type()
        self.content_type = ctype
        self.params = params
        self.cte = _WS_RE.sub("", hdrs.get("content-transfer-encoding", "")).lower()
        disposition, dparams = parse_params(hdrs.get("content-disposition"), defects)
        self.disposition = disposition
        self.filename = _safe_filename(dparams.get("filename") or params.get("name") or "")


class _Walker:
    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[ParsedAttachment] = []
        self.inline_disposition: list[bool] = []

    # -- leaves ---------------------------------------------------------------------------

    def payload_bytes(self, part: _Part) -> bytes:
        return _decode_payload(part.msg, part.cte, self.defects, f"{part.content_type} part")

    def text_of(self, part: _Part) -> str:
        data = self.payload_bytes(part)
        charset = part.params.get("charset")
        if not charset and part.content_type == "text/html" and not data.isascii():
            m = _META_CHARSET_RE.search(data[:4096])
            if m:
                charset = m.group(1).decode("ascii")
        text = _normalise_newlines(decode_bytes(data, charset, self.defects, part.content_type + " part"))
        if part.content_type == "text/plain" and part.params.get("format", "").lower() == "flowed":
            text = unflow(text, part.params.get("delsp", "").lower() == "yes")
        return text

    def attach(self, part: _Part) -> None:
        ctype = part.content_type
        name = part.filename
        content: bytes
        if ctype.startswith("message/") and isinstance(raw_payload(part.msg), list):
            content, subject = self._message_bytes(part)
            if not name and ctype in ("message/rfc822", "message/global"):
                base = _safe_filename(_FILENAME_BAD_RE.sub(" ", subject))[:150].strip()
                if base:
                    name = base + ".eml"
        else:
            content = self.payload_bytes(part)
        if not name:
            name = f"attachment-{len(self.attachments) + 1}{_extension(ctype)}"
        cid = _content_id(part.msg)
        self.attachments.append(ParsedAttachment(filename=name, content_type=ctype, content=content, content_id=cid))
        self.inline_disposition.append(part.disposition == "inline")

    def _message_bytes(self, part: _Part) -> tuple[bytes, str]:
        """The bytes of an attached message and its subject."""
        data = _message_part_bytes(part.msg, part.cte, self.defects)
        if part.content_type not in ("message/rfc822", "message/global") or not data:
            return data, ""
        payload = raw_payload(part.msg)
        inner = payload[0] if isinstance(payload, list) and payload else None
        if "base64" in part.cte or "quoted" in part.cte or not isinstance(inner, email.message.Message):
            inner = _PARSER.parsebytes(data)
        subject = ""
        for key, value in inner.raw_items():
            if key.lower() == "subject":
                subject = _WS_RE.sub(" ", decode_header_value(value, self.defects, "attached subject"))
                break
        return data, subject

    # -- tree -----------------------------------------------------------------------------

    def collect_defects(self, msg: email.message.Message) -> None:
        for defect in getattr(msg, "defects", ()):
            note = _DEFECT_NOTES.get(type(defect).__name__)
            if note is None:
                words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
                note = words
            if note:
                self.defects.append(note)

    def walk(self, msg: email.message.Message, depth: int = 0, top: bool = False) -> tuple[str | None, str | None]:
        """Return (text, html) of the body found under msg; everything else goes to the attachments."""
        self.collect_defects(msg)
        part = _Part(msg, self.defects)
        payload = raw_payload(msg)
        ctype = part.content_type
        if isinstance(payload, list) and not ctype.startswith("message/"):
            if depth >= _MAX_DEPTH:
                self.defects.append("MIME nesting too deep; rest ignored")
                return None, None
            children = [c for c in payload if isinstance(c, email.message.Message)]
            if not ctype.startswith("multipart/"):
                ctype = "multipart/mixed"
            subtype = ctype[10:]
            if subtype == "alternative":
                return self._alternative(children, depth)
            if subtype == "related":
                return self._related(part, children, depth)
            return self._mixed(children, depth)
        if ctype.startswith("multipart/"):
            # The boundary never appears: the body is all there is. Read it as text.
            part.content_type = "text/plain"
            text = self.text_of(part)
            head = text.lstrip()[:15].lower()
            if head.startswith(("<!doctype html", "<html")):
                return None, text
            return text, None
        if ctype in ("text/plain", "text/html") and self._is_body(part, top):
            text = self.text_of(part)
            return (text, None) if ctype == "text/plain" else (None, text)
        self.attach(part)
        return None, None

    @staticmethod
    def _is_body(part: _Part, top: bool) -> bool:
        if part.disposition == "attachment":
            return False
        return top or not part.filename

    def _alternative(self, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        text: str | None = None
        html: str | None = None
        for child in children:
            t, h = self.walk(child, depth + 1, top=True)
            if t is not None and (text is None or t.strip()):
                text = t
            if h is not None and (html is None or h.strip()):
                html = h
        return text, html

    def _related(self, part: _Part, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        if not children:
            return None, None
        root_index = 0
        start = "".join(part.params.get("start", "").split()).strip("<>")
        if start:
            ids = [_content_id(child) for child in children]
            root_index = ids.index(start) if start in ids else 0
        result = self.walk(children[root_index], depth + 1, top=True)
        for i, child in enumerate(children):
            if i != root_index:
                self._attach_all(child, depth + 1)
        return result

    def _attach_all(self, msg: email.message.Message, depth: int) -> None:
        """Every leaf under msg as an attachment (non-root parts of multipart/related)."""
        self.collect_defects(msg)
        part = _Part(msg, self.defects)
        payload = raw_payload(msg)
        if isinstance(payload, list) and not part.content_type.startswith("message/") and depth < _MAX_DEPTH:
            for child in payload:
                if isinstance(child, email.message.Message):
                    self._attach_all(child, depth + 1)
            return
        self.attach(part)

    def _mixed(self, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        results: list[tuple[str | None, str | None]] = []
        for i, child in enumerate(children):
            t, h = self.walk(child, depth + 1, top=i == 0)
            if t is not None or h is not None:
                results.append((t, h))
        if not results:
            return None, None
        if len(results) == 1:
            return results[0]
        text: str | None = None
        html: str | None = None
        if any(t is not None for t, _h in results):
            text = _join_text([t if t is not None else html_to_text(h or "") for t, h in results])
        if any(h is not None for _t, h in results):
            html = "\n".join(h if h is not None else _text_to_html(t or "") for t, h in results)
        return text, html


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


# --------------------------------------------------------------------------------------------
# HTML -> text
# --------------------------------------------------------------------------------------------

_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre", "hr"})
_LINE_TAGS = frozenset(
    {
        "div",
        "li",
        "tr",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "main",
        "aside",
        "address",
        "center",
        "dl",
        "dt",
        "dd",
        "form",
        "fieldset",
        "figure",
        "figcaption",
        "caption",
        "body",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "xml"})
_VOID_TAGS = frozenset({"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"})
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


class _HTMLText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int | None, str]] = []  # (quote depth, text); depth None for blank lines
        self.cur: list[str] = []
        self.cur_depth = 0
        self.depth = 0
        self.pending = 0  # 1: end the line before the next text; 2: and leave a blank line
        self.skip = 0
        self.pre = 0
        self.pre_start = False
        self.list_depth = 0
        self.bullet = False
        self.link: tuple[str, list[str]] | None = None

    # -- output ---------------------------------------------------------------------------

    def _end_line(self) -> None:
        text = "".join(self.cur)
        text = text.rstrip() if self.pre else text.strip()
        if text:
            self.lines.append((self.cur_depth, text))
        else:
            self.lines.append((None, ""))
        self.cur = []

    def _blank(self) -> None:
        if self.lines and self.lines[-1][1]:
            self.lines.append((None, ""))

    def _apply_pending(self) -> None:
        if self.pending:
            if self.cur and "".join(self.cur).strip():
                self._end_line()
            else:
                self.cur = []
            if self.pending == 2:
                self._blank()
            self.pending = 0

    def _request(self, level: int) -> None:
        self.pending = max(self.pending, level)

    def _write(self, text: str) -> None:
        if not self.cur:
            self.cur_depth = self.depth
            text = text.lstrip() if not self.pre else text
            if text and self.bullet:
                self.bullet = False
                self.cur.append("- ")
        elif not self.pre and text.startswith(" ") and self.cur[-1].endswith(" "):
            text = text.lstrip()
        if text:
            self.cur.append(text)
            if self.link is not None:
                self.link[1].append(text)

    # -- parser callbacks ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            if tag != "head" or not self.skip:
                self.skip += 1
            return
        if tag == "body" and self.skip:
            self.skip = 0  # an unclosed <head>
        if self.skip:
            return
        if tag == "br":
            self._apply_pending()
            if not self.cur:
                self.cur_depth = self.depth
            self._end_line()
        elif tag in _PARAGRAPH_TAGS:
            # Inside a list, blocks only end the line: list items stay together.
            self._request(1 if self.list_depth else 2)
            if tag == "blockquote":
                self.depth += 1
            elif tag == "pre":
                self.pre += 1
                self.pre_start = True
            elif tag in ("ul", "ol"):
                self.list_depth += 1
        elif tag in _LINE_TAGS:
            self._request(1)
            if tag == "li":
                self.bullet = True
        elif tag in ("td", "th"):
            if self.cur and not self.cur[-1].endswith(" "):
                self._write(" ")
        elif tag == "a":
            href = ""
            for key, value in attrs:
                if key == "href" and value:
                    href = value.strip()
            self.link = (href, [])
        elif tag == "img":
            alt = ""
            for key, value in attrs:
                if key == "alt" and value:
                    alt = _WS_RE.sub(" ", value).strip()
            if alt:
                self._apply_pending()
                if self.cur and not self.cur[-1].endswith(" "):
                    self._write(" ")
                self._write(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            if self.skip:
                self.skip -= 1
            return
        if self.skip:
            return
        if tag in _PARAGRAPH_TAGS:
            if tag in ("ul", "ol"):
                self.list_depth = max(0, self.list_depth - 1)
            self._request(1 if self.list_depth else 2)
            if tag == "blockquote":
                self.depth = max(0, self.depth - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
        elif tag in _LINE_TAGS:
            self._request(1)
        elif tag == "a" and self.link is not None:
            href, pieces = self.link
            self.link = None
            label = _WS_RE.sub(" ", "".join(pieces)).strip()
            if label and href and not _same_link(label, href):
                scheme = href.split(":", 1)[0].lower() if ":" in href else ""
                if scheme not in ("mailto", "cid", "javascript", "tel") and not href.startswith("#"):
                    self._write(f" ({href})")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        data = _INVISIBLE_RE.sub("", data)
        if self.pre:
            data = _normalise_newlines(data).replace("\xa0", " ")
            if self.pre_start:
                self.pre_start = False
                data = data.removeprefix("\n")
            if data.strip():
                self._apply_pending()
            for i, line in enumerate(data.split("\n")):
                if i:
                    if not self.cur:
                        self.cur_depth = self.depth
                    self._end_line()
                if line:
                    self._write(line)
            return
        if not data or data.isspace():
            if self.cur and not self.cur[-1].endswith(" ") and not self.pending:
                self._write(" ")
            return
        self._apply_pending()
        self._write(_WS_RE.sub(" ", data))

    # -- result ---------------------------------------------------------------------------

    def result(self) -> str:
        if self.cur:
            self._end_line()
        lines = self.lines
        # Blank lines take the quote depth of the lighter of their neighbours; runs collapse to one.
        out: list[str] = []
        n = len(lines)
        prev_depth = 0
        i = 0
        while i < n:
            depth, text = lines[i]
            if depth is not None:
                out.append(("> " * depth + text) if depth else text)
                prev_depth = depth
                i += 1
                continue
            j = i
            while j < n and lines[j][0] is None:
                j += 1
            if out and j < n:
                next_depth = lines[j][0] or 0
                blank_depth = min(prev_depth, next_depth)
                out.append(("> " * blank_depth).rstrip())
            i = j
        return "\n".join(out).strip("\n")


def _same_link(label: str, href: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("https://", "http://"):
            if value.startswith(prefix):
                value = value[len(prefix) :]
                break
        return value.rstrip("/")

    return label == href or norm(label) == norm(href)


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML body, laid out by the rules in the email brief."""
    if not html:
        return ""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: S110 - HTMLParser is lenient; never fail a parse on it
        pass
    return parser.result()
