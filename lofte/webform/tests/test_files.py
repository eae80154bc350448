"""Attachment kinds proved by content, file names made safe, and limits applied while the upload streams."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from lofte.webform import files, tokens

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
    assert files.sniff(files.KINDS[ext], io.BytesIO(content)) is ok


def test_sniff_leaves_the_file_at_its_start():
    f = io.BytesIO(DOCX)
    files.sniff(files.KINDS["docx"], f)
    assert f.read() == DOCX


def test_only_known_kinds_can_be_allowed():
    assert files.allowed_extensions(["PDF", ".png", "exe", "svg", "html"]) == ["pdf", "png"]


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
    assert files.safe_filename(name) == safe


def parse(body_files: dict[str, list[tuple[str, bytes]]], handler: files.LimitedUploadHandler):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {field: [SimpleUploadedFile(n, c) for n, c in items] for field, items in body_files.items()}
    body = encode_multipart(BOUNDARY, data)
    meta = {"CONTENT_TYPE": MULTIPART_CONTENT, "CONTENT_LENGTH": str(len(body))}
    parser = MultiPartParser(meta, io.BytesIO(body), [handler, MemoryFileUploadHandler()], "utf-8")
    _post, uploaded = parser.parse()
    return uploaded.getlist("attachments")


def test_limits_while_streaming():
    handler = files.LimitedUploadHandler(per_file=1000, total=1500, max_files=4)
    result = parse(
        {
            "attachments": [
                ("ok.pdf", b"a" * 900),
                ("huge.pdf", b"b" * 5000),
                ("over-total.pdf", b"c" * 700),
                ("small.pdf", b"d" * 500),
                ("fifth.pdf", b"e" * 10),
            ]
        },
        handler,
    )
    summary = [(f.name, f.size, getattr(f, "reason", "")) for f in result]
    assert summary == [
        ("ok.pdf", 900, ""),
        ("huge.pdf", 5000, files.REFUSED_TOO_LARGE),
        ("over-total.pdf", 700, files.REFUSED_TOTAL),
        ("small.pdf", 500, ""),
        ("fifth.pdf", 10, files.REFUSED_COUNT),
    ]
    assert result[0].read() == b"a" * 900
    assert result[1].read() == b""  # nothing of a refused file is kept


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("karin@example.se", "k•••@example.se"),
        ("a@b.se", "a•••@b.se"),
        ("+46701234567", "+46 ••• 67"),
        ("0701234567", "07 ••• 67"),
        ("123", "•••"),
        ("", "•••"),
    ],
)
def test_mask_address(address, masked):
    assert tokens.mask_address(address) == masked


def test_started_token_round_trip():
    token = tokens.started_token()
    age = tokens.started_age(token)
    assert age is not None and 0 <= age < 5
    assert tokens.started_age(token + "x") is None
    assert tokens.started_age("") is None
