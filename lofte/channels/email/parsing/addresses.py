"""Address headers: (display name, lower-cased address) pairs from raw From, To, Cc and Reply-To values.

One regex reads the shapes nearly all mail has; the standard library's parser reads the rest, and an
address list it cannot read is repaired chunk by chunk.
"""

from __future__ import annotations

import email.utils
import re

from lofte.channels.email.parsing.charsets import _repair_mojibake
from lofte.channels.email.parsing.headers import _FOLD_RE, _WS_RE, _decode_words, _raw_to_str

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
    """Split a broken address list at the commas and semicolons that follow an address."""
    chunks: list[str] = []
    start = 0
    for m in re.finditer(r"(?:>|@[^\s<>,;\"]+)\s*[,;]", value):
        chunks.append(value[start : m.end() - 1])
        start = m.end()
    chunks.append(value[start:])
    return chunks
