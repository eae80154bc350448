"""File kinds proved by content, content types, and file names made safe (shared by the contact form and portal)."""

from __future__ import annotations

import io
import zipfile

import pytest

from lofte.core.uploads import KINDS, content_type, extension, safe_filename, sniff

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def zipped(entries: dict[str, bytes], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            compress = zipfile.ZIP_STORED if stored_first and name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


DOCX = zipped({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"})
ODT = zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, stored_first=True)


@pytest.mark.parametrize(
    ("ext", "content", "ok"),
    [
        ("pdf", PDF, True),
        ("pdf", b"\n\n" + PDF, True),
        ("pdf", b"MZ\x90\x00", False),
        ("pdf", b"<html><script>", False),
        ("jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF", True),
        ("jpeg", b"\x89PNG\r\n\x1a\n", False),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00", True),
        ("png", b"\xff\xd8\xff\xe0", False),
        ("gif", b"GIF89a\x01\x00", True),
        ("webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", True),
        ("webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", False),
        ("heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", True),
        ("heic", b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00", False),
        ("txt", "Hej, här är min fråga.\r\n".encode(), True),
        ("txt", "Hej, här är min fråga.\n".encode("cp1252"), True),
        ("txt", b"\x7fELF\x02\x01\x01\x00\x00", False),
        ("csv", b"datum;belopp\n2026-03-01;129,00\n", True),
        ("docx", DOCX, True),
        ("docx", XLSX, False),
        ("docx", b"PK\x03\x04 not really a zip", False),
        ("xlsx", XLSX, True),
        ("odt", ODT, True),
        ("ods", ODT, False),
    ],
)
def test_sniff(ext, content, ok):
    assert sniff(KINDS[ext], io.BytesIO(content)) is ok


def test_sniff_leaves_the_file_at_its_start():
    f = io.BytesIO(DOCX)
    sniff(KINDS["docx"], f)
    assert f.read() == DOCX


@pytest.mark.parametrize(
    ("ext", "content", "ok"),
    [
        ("xlsx", b"PK\x03\x04 not really a zip", True),  # only the first bytes: any ZIP will do
        ("odt", DOCX, True),
        ("txt", b"abc" * 5000 + b"\x00", True),  # beyond the first 8 KiB
        ("txt", b"abc\x00def", False),
        ("pdf", b"", False),
    ],
)
def test_sniff_only_the_first_bytes(ext, content, ok):
    assert sniff(KINDS[ext], io.BytesIO(content), deep=False) is ok


def test_pptx_is_a_kind():
    pptx = zipped({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"})
    assert sniff(KINDS["pptx"], io.BytesIO(pptx))
    assert not sniff(KINDS["pptx"], io.BytesIO(DOCX))


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        ("pdf", "application/pdf"),
        ("jpeg", "image/jpeg"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("zip", "application/zip"),  # no kind of ours: the usual type for the extension
        ("nosuchext", "application/octet-stream"),
    ],
)
def test_content_type(ext, expected):
    assert content_type(ext) == expected


@pytest.mark.parametrize(
    ("name", "ext"),
    [("Kvitto.PDF", "pdf"), ("archive.tar.gz", "gz"), ("noextension", ""), ("trailing.", "")],
)
def test_extension(name, ext):
    assert extension(name) == ext


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("faktura.pdf", "faktura.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\karin\\kvitto.png", "kvitto.png"),
        ("bad\x00name\u202egnp.exe", "badnamegnp.exe"),
        (".htaccess", "htaccess"),
        ("", "attachment"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_safe_filename(name, safe):
    assert safe_filename(name) == safe
