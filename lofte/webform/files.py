"""Attachments from the public form: limits while the upload streams, and kinds checked by name and by content.

A file is accepted only when its extension is on the allow-list
(settings.LOFTE_CONTACT_FILE_TYPES) and its first bytes are what that kind
of file starts with: a ".pdf" that is not a PDF, or an executable renamed to
".jpg", is refused. The type stored with the attachment is the one the
content proved, never the browser's claim.

`LimitedUploadHandler` goes first in the request's upload handlers: bytes
of a file beyond the per-file limit, or beyond the total for all files,
are counted but not kept, and the file arrives as a `RefusedUpload` that
knows its real size, so the form can name it and say why.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

HEAD_BYTES = 8192
TEXT_BYTES = 65536


@dataclass(frozen=True)
class Kind:
    label: str  # what customers call it, in the list of accepted files
    content_type: str
    check: Callable[[bytes, IO[bytes]], bool]


def _pdf(head: bytes, _f: IO[bytes]) -> bool:
    # A PDF may have a little junk before the header; readers accept it within the first kilobyte.
    return b"%PDF-" in head[:1024]


def _jpeg(head: bytes, _f: IO[bytes]) -> bool:
    return head.startswith(b"\xff\xd8\xff")


def _png(head: bytes, _f: IO[bytes]) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _gif(head: bytes, _f: IO[bytes]) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _webp(head: bytes, _f: IO[bytes]) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def _heic(head: bytes, _f: IO[bytes]) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _text(head: bytes, f: IO[bytes]) -> bool:
    """Plain text in any common encoding: no NUL or other control bytes a text file would not have."""
    f.seek(0)
    sample = f.read(TEXT_BYTES)
    return not CONTROL.search(sample)


def _zip_with(*required: str, mimetype: bytes = b"") -> Callable[[bytes, IO[bytes]], bool]:
    """An Office Open XML or OpenDocument file: a ZIP with the named parts (only its directory is read)."""

    def check(head: bytes, f: IO[bytes]) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
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

    return check


KINDS: dict[str, Kind] = {
    "pdf": Kind("PDF", "application/pdf", _pdf),
    "jpg": Kind("JPEG", "image/jpeg", _jpeg),
    "jpeg": Kind("JPEG", "image/jpeg", _jpeg),
    "png": Kind("PNG", "image/png", _png),
    "gif": Kind("GIF", "image/gif", _gif),
    "webp": Kind("WebP", "image/webp", _webp),
    "heic": Kind("HEIC", "image/heic", _heic),
    "txt": Kind("TXT", "text/plain", _text),
    "csv": Kind("CSV", "text/csv", _text),
    "docx": Kind(
        "Word (.docx)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        _zip_with("[Content_Types].xml", "word/document.xml"),
    ),
    "xlsx": Kind(
        "Excel (.xlsx)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _zip_with("[Content_Types].xml", "xl/workbook.xml"),
    ),
    "odt": Kind(
        "OpenDocument (.odt)",
        "application/vnd.oasis.opendocument.text",
        _zip_with(mimetype=b"application/vnd.oasis.opendocument.text"),
    ),
    "ods": Kind(
        "OpenDocument (.ods)",
        "application/vnd.oasis.opendocument.spreadsheet",
        _zip_with(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
    ),
}


def allowed_extensions(configured: list[str]) -> list[str]:
    """The configured extensions Lofte knows how to check (an unknown one is never accepted)."""
    return [ext for ext in (e.lower().lstrip(".") for e in configured) if ext in KINDS]


def extension(filename: str) -> str:
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


def sniff(kind: Kind, f: IO[bytes]) -> bool:
    """Whether the content of `f` is a file of `kind` (the position is left at the start)."""
    f.seek(0)
    head = f.read(HEAD_BYTES)
    try:
        return bool(head) and kind.check(head, f)
    finally:
        f.seek(0)


# --- streaming limits ------------------------------------------------------

REFUSED_TOO_LARGE = "too_large"
REFUSED_TOTAL = "total"
REFUSED_COUNT = "count"


class RefusedUpload(UploadedFile):
    """A file whose bytes were not kept: `reason` says why, `size` is how big it really was."""

    def __init__(self, *, name: str, size: int, content_type: str, reason: str):
        super().__init__(file=io.BytesIO(), name=name, content_type=content_type, size=size)
        self.reason = reason


class LimitedUploadHandler(FileUploadHandler):
    """Keeps each file's bytes only while it is within the per-file limit, the total and the count."""

    def __init__(self, request: HttpRequest | None = None, *, per_file: int, total: int, max_files: int) -> None:
        super().__init__(request)
        self.per_file = per_file
        self.total = total
        self.max_files = max_files
        self.kept_bytes = 0
        self.files_seen = 0
        self.size = 0
        self.reason = ""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        self.size = 0
        self.reason = REFUSED_COUNT if self.files_seen > self.max_files else ""

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.size += len(raw_data)
        if self.reason:
            return None
        if self.size > self.per_file:
            self.reason = REFUSED_TOO_LARGE
        elif self.kept_bytes + self.size > self.total:
            self.reason = REFUSED_TOTAL
        if self.reason:
            return None  # the later handlers stop receiving this file; what they hold is thrown away
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.reason:
            return RefusedUpload(
                name=self.file_name or "", size=self.size, content_type=self.content_type or "", reason=self.reason
            )
        self.kept_bytes += self.size
        return None  # the next handler (memory or temporary file) hands over the file
