"""Attachments from the public form: limits while the upload streams, and kinds checked by name and by content.

A file is accepted only when its extension is on the allow-list
(settings.LOFTE_CONTACT_FILE_TYPES) and all of its content is that kind of
file (`check`, lofte.core.uploads): a ".pdf" that is not a PDF, a program
renamed to ".jpg", a PDF with a program appended or an image that is also a
ZIP archive is refused, and the refusal says which of these it is. The type
stored with the attachment is the one the content proved, never the
browser's claim. The kinds, their checks and safe names are shared with the
portal; what is this form's own is which configured kinds it takes and the
limits below.

`LimitedUploadHandler` goes first in the request's upload handlers: bytes
of a file beyond the per-file limit, or beyond the total for all files,
are counted but not kept, and the file arrives as a `RefusedUpload` that
knows its real size, so the form can name it and say why.
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest

from lofte.core.uploads import KINDS, Kind, Problem, check, extension, safe_filename, sniff

__all__ = [
    "KINDS",
    "REFUSED_COUNT",
    "REFUSED_TOO_LARGE",
    "REFUSED_TOTAL",
    "Kind",
    "LimitedUploadHandler",
    "Problem",
    "RefusedUpload",
    "allowed_extensions",
    "check",
    "extension",
    "safe_filename",
    "sniff",
]


def allowed_extensions(configured: list[str]) -> list[str]:
    """The configured extensions Lofte knows how to check (an unknown one is never accepted)."""
    return [ext for ext in (e.lower().lstrip(".") for e in configured) if ext in KINDS]


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
