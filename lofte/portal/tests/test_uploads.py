"""The portal's file checks: extension on the allow-list, size, content that matches the type."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lofte.core.errors import ValidationFailed
from lofte.portal.uploads import MAX_FILES, check_uploads


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_accepted_files_get_the_content_type_of_their_extension():
    files = check_uploads(
        [
            upload("Kvitto.PDF", b"%PDF-1.7 ..."),
            upload("notes.txt", "Hej då".encode()),
            upload("sheet.xlsx", b"PK\x03\x04rest"),
            upload("photo.jpg", b"\xff\xd8\xff\xe0rest"),
        ]
    )
    assert [(f.filename, f.content_type) for f in files] == [
        ("Kvitto.PDF", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("sheet.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("photo.jpg", "image/jpeg"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("page.html", b"<html>", "page.html was not sent: we accept only these file types:"),
        ("image.svg", b"<svg/>", "image.svg was not sent: we accept only these file types:"),
        ("noextension", b"data", "noextension was not sent: we accept only these file types:"),
        ("script.pdf", b"#!/bin/sh", "script.pdf was not sent: its content is not a PDF file."),
        ("binary.txt", b"abc\x00def", "binary.txt was not sent: its content is not a TXT file."),
        ("empty.pdf", b"", "empty.pdf was not sent: the file is empty."),
    ],
)
def test_refused_files_are_named_with_the_reason(name, content, reason):
    with pytest.raises(ValidationFailed) as caught:
        check_uploads([upload(name, content)])
    assert caught.value.message.startswith(reason)
    assert caught.value.field == "attachments"


def test_the_size_is_checked_before_the_file_is_read(settings):
    settings.LOFTE_MAX_ATTACHMENT_BYTES = 10

    class Huge:
        name = "huge.pdf"
        size = 11

        def read(self, size: int = -1) -> bytes:
            raise AssertionError("read a file over the limit")

    with pytest.raises(ValidationFailed, match=r"huge\.pdf was not sent: it is larger than the limit"):
        check_uploads([Huge()])


def test_the_allow_list_is_a_setting(settings):
    settings.LOFTE_PORTAL_ALLOWED_TYPES = ["txt"]
    with pytest.raises(ValidationFailed, match=r"we accept only these file types: txt\."):
        check_uploads([upload("a.pdf", b"%PDF-")])


def test_a_path_in_the_name_is_dropped():
    [file] = check_uploads([upload("..\\..\\evil\\a.txt", b"text")])
    assert file.filename == "a.txt"


def test_at_most_ten_files():
    with pytest.raises(ValidationFailed, match=rf"Attach at most {MAX_FILES} files\."):
        check_uploads([upload(f"{i}.txt", b"x") for i in range(MAX_FILES + 1)])
