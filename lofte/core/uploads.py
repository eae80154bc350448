"""Uploaded files checked by name and by content: the kinds Lofte knows, safe names, content types.

The contact form (lofte.webform.files) and the portal (lofte.portal.uploads)
both use this; each keeps its own allow-list, limits and messages.

A kind is known by its extension (KINDS). `sniff` says whether a file's
content is that kind: first by its leading bytes (`magic`), then, unless
`deep=False`, by a deeper look (`structure`): the parts an Office file's ZIP
must hold, or text throughout its first 64 KiB rather than its first 8 KiB.
The browser's claimed type is never used; `content_type` is the one the
kind implies.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

HEAD_BYTES = 8192
TEXT_BYTES = 65536


@dataclass(frozen=True)
class Kind:
    label: str  # what customers call it, in the list of accepted files
    content_type: str
    magic: Callable[[bytes], bool]  # what the first HEAD_BYTES must look like
    structure: Callable[[bytes, IO[bytes]], bool] | None = None  # the deeper look, given the head and the file


def _pdf(head: bytes) -> bool:
    # A PDF may have a little junk before the header; readers accept it within the first kilobyte.
    return b"%PDF-" in head[:1024]


def _jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def _heic(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _text(head: bytes) -> bool:
    """Plain text in any common encoding: no NUL or other control bytes a text file would not have."""
    return not CONTROL.search(head)


def _text_throughout(_head: bytes, f: IO[bytes]) -> bool:
    f.seek(0)
    return _text(f.read(TEXT_BYTES))


def _zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _zip_with(*required: str, mimetype: bytes = b"") -> Callable[[bytes, IO[bytes]], bool]:
    """An Office Open XML or OpenDocument file: a ZIP with the named parts (only its directory is read)."""

    def structure(head: bytes, f: IO[bytes]) -> bool:
        if mimetype:
            # OpenDocument stores its type uncompressed as the first entry.
            return head[30:38] == b"mimetype" and mimetype in head[38:120]
        try:
            f.seek(0)
            with zipfile.ZipFile(f) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
        return all(name in names for name in required)

    return structure


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

KINDS: dict[str, Kind] = {
    "pdf": Kind("PDF", "application/pdf", _pdf),
    "jpg": Kind("JPEG", "image/jpeg", _jpeg),
    "jpeg": Kind("JPEG", "image/jpeg", _jpeg),
    "png": Kind("PNG", "image/png", _png),
    "gif": Kind("GIF", "image/gif", _gif),
    "webp": Kind("WebP", "image/webp", _webp),
    "heic": Kind("HEIC", "image/heic", _heic),
    "txt": Kind("TXT", "text/plain", _text, _text_throughout),
    "csv": Kind("CSV", "text/csv", _text, _text_throughout),
    "docx": Kind(
        "Word (.docx)",
        f"{_OOXML}.wordprocessingml.document",
        _zip,
        _zip_with("[Content_Types].xml", "word/document.xml"),
    ),
    "xlsx": Kind(
        "Excel (.xlsx)",
        f"{_OOXML}.spreadsheetml.sheet",
        _zip,
        _zip_with("[Content_Types].xml", "xl/workbook.xml"),
    ),
    "pptx": Kind(
        "PowerPoint (.pptx)",
        f"{_OOXML}.presentationml.presentation",
        _zip,
        _zip_with("[Content_Types].xml", "ppt/presentation.xml"),
    ),
    "odt": Kind("OpenDocument (.odt)", f"{_ODF}.text", _zip, _zip_with(mimetype=f"{_ODF}.text".encode())),
    "ods": Kind("OpenDocument (.ods)", f"{_ODF}.spreadsheet", _zip, _zip_with(mimetype=f"{_ODF}.spreadsheet".encode())),
}


def extension(filename: str) -> str:
    """The part after the last dot, in lower case ("" when there is none)."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def safe_filename(name: str) -> str:
    """The file's own name without any path, control characters or leading dots, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if not name:
        return "attachment"
    if len(name) > 255:
        ext = extension(name)
        name = name[: 254 - len(ext)] + "." + ext if ext and len(ext) < 20 else name[:255]
    return name


def content_type(ext: str) -> str:
    """The type to store for a file with this extension: the kind's, else the usual one for it."""
    kind = KINDS.get(ext)
    if kind is not None:
        return kind.content_type
    return mimetypes.guess_type(f"f.{ext}")[0] or "application/octet-stream"


def sniff(kind: Kind, f: IO[bytes], *, deep: bool = True) -> bool:
    """Whether the content of `f` is a file of `kind` (the position is left at the start).

    With deep=False only the first bytes are looked at (a ZIP is taken for any Office file).
    An empty file is never any kind.
    """
    f.seek(0)
    head = f.read(HEAD_BYTES)
    try:
        if not head or not kind.magic(head):
            return False
        return not deep or kind.structure is None or kind.structure(head, f)
    finally:
        f.seek(0)
