"""Files a customer attaches in the portal: checked by size, by extension and by their first bytes.

The browser's content type is not trusted: a file is accepted when its
extension is on LOFTE_PORTAL_ALLOWED_TYPES and, for the formats we know, its
content starts the way that format starts (a .pdf that is really HTML is
refused). The stored content type is the one the extension implies.
A refusal names the file and says why.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Sequence
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lofte.cases.services import AttachmentInput
from lofte.core.errors import ValidationFailed

MAX_FILES = 10


class Upload(Protocol):
    """What the portal needs of an uploaded file (Django's UploadedFile has it)."""

    @property
    def name(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    def read(self, size: int = ..., /) -> bytes: ...


def _zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _text(head: bytes) -> bool:
    return b"\x00" not in head


def _heic(head: bytes) -> bool:
    return head[4:8] == b"ftyp"


SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "pdf": lambda h: h.startswith(b"%PDF-"),
    "png": lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"),
    "jpg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "jpeg": lambda h: h.startswith(b"\xff\xd8\xff"),
    "gif": lambda h: h.startswith((b"GIF87a", b"GIF89a")),
    "webp": lambda h: h.startswith(b"RIFF") and h[8:12] == b"WEBP",
    "heic": _heic,
    "txt": _text,
    "csv": _text,
    "docx": _zip,
    "xlsx": _zip,
    "pptx": _zip,
    "odt": _zip,
    "ods": _zip,
}

CONTENT_TYPES = {
    "txt": "text/plain",
    "csv": "text/csv",
    "heic": "image/heic",
    "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def allowed_types() -> list[str]:
    return [t.strip().lower().lstrip(".") for t in settings.LOFTE_PORTAL_ALLOWED_TYPES if t.strip()]


def accept_attribute() -> str:
    """For <input type=file accept=...>: a hint to the browser; the server checks again."""
    return ",".join(f".{t}" for t in allowed_types())


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def _content_type(extension: str) -> str:
    return CONTENT_TYPES.get(extension) or mimetypes.guess_type(f"f.{extension}")[0] or "application/octet-stream"


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:255] or "attachment"


def check_uploads(files: Sequence[Upload]) -> list[AttachmentInput]:
    """The files as AttachmentInput, or ValidationFailed (field "attachments") naming the first refused file."""
    if len(files) > MAX_FILES:
        raise ValidationFailed(
            ngettext("Attach at most %(n)d file.", "Attach at most %(n)d files.", MAX_FILES) % {"n": MAX_FILES},
            field="attachments",
        )
    limit = settings.LOFTE_MAX_ATTACHMENT_BYTES
    types = allowed_types()
    result = []
    for upload in files:
        name = _clean_name(upload.name or "")
        extension = _extension(name)
        if extension not in types:
            raise ValidationFailed(
                _("%(name)s was not sent: we accept only these file types: %(types)s.")
                % {"name": name, "types": ", ".join(types)},
                field="attachments",
            )
        size = upload.size or 0
        if size > limit:  # checked before reading: a huge file is never read into memory
            raise ValidationFailed(
                _("%(name)s was not sent: it is larger than the limit of %(mb)s MB.")
                % {"name": name, "mb": _megabytes(limit)},
                field="attachments",
            )
        content = upload.read()
        if len(content) > limit:
            raise ValidationFailed(
                _("%(name)s was not sent: it is larger than the limit of %(mb)s MB.")
                % {"name": name, "mb": _megabytes(limit)},
                field="attachments",
            )
        if not content:
            raise ValidationFailed(_("%(name)s was not sent: the file is empty.") % {"name": name}, field="attachments")
        signature = SIGNATURES.get(extension)
        if signature is not None and not signature(content[:4096]):
            raise ValidationFailed(
                _("%(name)s was not sent: its content is not a %(type)s file.")
                % {"name": name, "type": extension.upper()},
                field="attachments",
            )
        result.append(AttachmentInput(filename=name, content_type=_content_type(extension), content=content))
    return result


def _megabytes(limit: int) -> str:
    mb = limit / 2**20
    return f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}"
