"""The portal's file checks: extension on the allow-list, size, all of the content what the type says."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from lofte.core.errors import ValidationFailed
from lofte.core.tests import samples
from lofte.portal.uploads import MAX_FILES, check_uploads

TYPES = "pdf, png, jpg, jpeg, gif, webp, heic, txt, csv, docx, xlsx, odt, ods."


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_accepted_files_get_the_content_type_of_their_extension():
    files = check_uploads(
        [
            upload("Kvitto.PDF", samples.pdf()),
            upload("notes.txt", "Hej då".encode()),
            upload("sheet.xlsx", samples.xlsx()),
            upload("photo.jpg", samples.jpeg()),
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
        ("page.html", b"<html>", "page.html was not sent: we accept only these file types: " + TYPES),
        ("image.svg", b"<svg/>", "image.svg was not sent: we accept only these file types: " + TYPES),
        ("noextension", b"data", "noextension was not sent: we accept only these file types: " + TYPES),
        ("script.pdf", b"#!/bin/sh", "script.pdf was not sent: it is a script, not a PDF file."),
        (
            "binary.txt",
            b"abc\x00def",
            "binary.txt was not sent: its content is not a TXT file, although its name says so.",
        ),
        ("empty.pdf", b"", "empty.pdf was not sent: the file is empty."),
        (
            "faktura.pdf",
            samples.pdf() + samples.windows_exe(),
            "faktura.pdf was not sent: it has a Windows program appended after the end of the PDF file.",
        ),
        ("faktura.pdf", samples.windows_exe(), "faktura.pdf was not sent: it is a Windows program, not a PDF file."),
        (
            "photo.png",
            samples.png() + samples.zipped({"payload.txt": b"x"}),
            "photo.png was not sent: it has a ZIP archive appended after the end of the PNG file.",
        ),
        (
            "letter.docx",
            samples.docx(**{"word/embeddings/setup.exe": samples.windows_exe()}),
            "letter.docx was not sent: it contains a program (word/embeddings/setup.exe).",
        ),
    ],
)
def test_refused_files_are_named_with_the_reason(name, content, reason):
    with pytest.raises(ValidationFailed) as caught:
        check_uploads([upload(name, content)])
    assert caught.value.message == reason
    assert caught.value.field == "attachments"


def test_an_allowed_extension_without_a_kind_is_taken_unless_it_is_a_program(settings):
    settings.LOFTE_PORTAL_ALLOWED_TYPES = ["zip"]
    [archive] = check_uploads([upload("logs.zip", samples.jar())])
    assert (archive.filename, archive.content_type) == ("logs.zip", "application/zip")
    with pytest.raises(ValidationFailed) as caught:
        check_uploads([upload("logs.zip", samples.linux_elf())])
    assert caught.value.message == "logs.zip was not sent: it is a Linux program."


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
        check_uploads([upload("a.pdf", samples.pdf())])


def test_a_path_in_the_name_is_dropped():
    [file] = check_uploads([upload("..\\..\\evil\\a.txt", b"text")])
    assert file.filename == "a.txt"


def test_at_most_ten_files():
    with pytest.raises(ValidationFailed, match=rf"Attach at most {MAX_FILES} files\."):
        check_uploads([upload(f"{i}.txt", b"x") for i in range(MAX_FILES + 1)])
