"""Files a customer attaches in the portal: checked by size, by extension and by all of their content.

The browser's content type is not trusted: a file is accepted when its
extension is on LOFTE_PORTAL_ALLOWED_TYPES, it is no program, and, for the
formats we know (lofte.core.uploads, shared with the contact form), all of
its content is that format (a .pdf that is really HTML, or a PDF with a
program appended, is refused). The stored content type is the one the
extension implies. A refusal names the file and says why.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Protocol

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lofte.cases.services import AttachmentInput
from lofte.core.errors import ValidationFailed
from lofte.core.uploads import check, content_type, extension, safe_filename

MAX_FILES = 10


class Upload(Protocol):
    """What the portal needs of an uploaded file (Django's UploadedFile has it)."""

    @property
    def name(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...

    def read(self, size: int = ..., /) -> bytes: ...


def allowed_types() -> list[str]:
    return [t.strip().lower().lstrip(".") for t in settings.LOFTE_PORTAL_ALLOWED_TYPES if t.strip()]


def accept_attribute() -> str:
    """For <input type=file accept=...>: a hint to the browser; the server checks again."""
    return ",".join(f".{t}" for t in allowed_types())


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
        name = safe_filename(upload.name or "")
        ext = extension(name)
        if ext not in types:
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
        # An allowed extension Lofte has no kind for is taken as it is, unless it is a program.
        if problem := check(ext, io.BytesIO(content)):
            raise ValidationFailed(
                _("%(name)s was not sent: %(reason)s.") % {"name": name, "reason": problem.reason},
                field="attachments",
            )
        result.append(AttachmentInput(filename=name, content_type=content_type(ext), content=content))
    return result


def _megabytes(limit: int) -> str:
    mb = limit / 2**20
    return f"{mb:.0f}" if mb >= 1 else f"{mb:.2f}"
