"""The contact form's allow-list of kinds, and limits applied while the upload streams.

Sniffing and safe names are shared with the portal: lofte/core/tests/test_uploads.py.
"""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from lofte.webform import files, tokens


def test_only_known_kinds_can_be_allowed():
    assert files.allowed_extensions(["PDF", ".png", "exe", "svg", "html"]) == ["pdf", "png"]


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
