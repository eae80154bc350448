"""Bytes in a declared charset (possibly wrong, unknown or missing) to text, and mojibake repair.

Nothing here raises on what mail carries: an undecodable text is decoded as well as it can be and a
note goes to ``defects``.
"""

from __future__ import annotations

import codecs
import re

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
