"""File kinds proved by their whole content, content types, and file names made safe (shared by the contact
form and the portal). The samples are real small files (lofte/core/tests/samples.py); the attacks are built
from them here: programs under a document's name, documents with a program or an archive appended or hidden
inside, Office files carrying programs or macros."""

from __future__ import annotations

import io
import random
import struct
import time

import pytest

from lofte.core import uploads
from lofte.core.tests import samples
from lofte.core.uploads import KINDS, check, check_bytes, content_type, extension, safe_filename, sniff


def problem(ext: str, data: bytes) -> tuple[str, str] | None:
    found = check_bytes(KINDS.get(ext), data)
    return None if found is None else (found.code, found.reason)


def zip_with_comment_over(zip_bytes: bytes, length: int) -> bytes:
    """The ZIP with its comment stretched over the `length` bytes that will follow it: ZIP readers find it."""
    at = zip_bytes.rfind(b"PK\x05\x06")
    return zip_bytes[: at + 20] + struct.pack("<H", length) + zip_bytes[at + 22 :]


def pdf_and_jar() -> bytes:
    """A PDF with a JAR before its last lines, whose comment covers them: both a PDF and a JAR."""
    pdf = samples.pdf()
    end = pdf.rfind(b"startxref")
    return pdf[:end] + zip_with_comment_over(samples.jar(), len(pdf) - end) + pdf[end:]


def png_and_zip() -> bytes:
    """A PNG with a ZIP in a private chunk just before IEND, its comment covering the chunk's CRC and IEND."""
    png = samples.png()
    return png[:-12] + samples.png_chunk(b"prVt", zip_with_comment_over(samples.jar(), 4 + 12)) + png[-12:]


def mpo() -> bytes:
    return samples.jpeg() + samples.jpeg()


def pdf_updated() -> bytes:
    """A PDF with an incremental update appended (a second body, xref, startxref and %%EOF), as editors save."""
    original = samples.pdf()
    update = b"6 0 obj\n<< /Producer (Lofte) >>\nendobj\n"
    xref = len(original) + len(update)
    return (
        original
        + update
        + b"xref\n6 1\n%010d 00000 n \ntrailer\n<< /Size 7 /Root 1 0 R /Prev 9 >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(original), xref)
    )


ACCEPTED = [
    ("pdf", samples.pdf()),
    ("pdf", samples.pdf() + b"\r\n\x00\x00"),  # a little padding after %%EOF
    ("pdf", pdf_updated()),
    ("jpg", samples.jpeg()),
    ("jpeg", samples.jpeg(exif_thumbnail=True)),  # the thumbnail's own end marker is not the end
    ("jpg", mpo()),  # a camera's second image after the first
    ("jpg", samples.jpeg() + samples.mp4()),  # a motion photo
    ("jpg", samples.jpeg() + b"MotionPhoto_Data" + samples.mp4()),
    ("jpg", samples.jpeg() + b"\x00" * 1000),  # padded to a block
    ("png", samples.png()),
    ("png", samples.png(extra_chunks=samples.png_chunk(b"tEXt", b"Comment\x00MZ and PK\x05\x06 are just text"))),
    ("gif", samples.GIF),
    ("webp", samples.WEBP),
    ("heic", samples.heic()),
    ("txt", "Hej, här är min fråga.\r\n".encode()),
    ("txt", "Hej, här är min fråga.\n".encode("cp1252")),
    ("txt", b"MZ is how I sign my letters.\n"),  # text that starts like a DOS program's first two bytes
    ("csv", b"datum;belopp\n2026-03-01;129,00\n"),
    ("docx", samples.docx()),
    ("docx", samples.docx(**{"word/media/image1.png": samples.png()})),
    ("xlsx", samples.xlsx()),
    ("pptx", samples.pptx()),
    ("odt", samples.odf()),
    ("ods", samples.odf("application/vnd.oasis.opendocument.spreadsheet")),
]


@pytest.mark.parametrize(("ext", "content"), ACCEPTED)
def test_real_files_are_accepted(ext, content):
    assert problem(ext, content) is None


REFUSED = [
    # programs under any name
    ("pdf", samples.windows_exe(), "program", "it is a Windows program, not a PDF file"),
    ("png", samples.linux_elf(), "program", "it is a Linux program, not a PNG file"),
    ("jpg", samples.macos_macho(), "program", "it is a macOS program, not a JPEG file"),
    ("gif", samples.java_class(), "program", "it is a Java program, not a GIF file"),
    ("txt", samples.SCRIPT, "program", "it is a script, not a TXT file"),
    ("csv", samples.linux_elf(), "program", "it is a Linux program, not a CSV file"),
    # an EXE that carries a PDF header within its first kilobyte (once accepted as a PDF)
    (
        "pdf",
        samples.windows_exe().replace(b"This program cannot", b"%PDF-1.7 program c"),
        "program",
        "it is a Windows program, not a PDF file",
    ),
    # content that is not the kind at all
    (
        "pdf",
        b"<html><script>alert(1)</script></html>",
        "not_kind",
        "its content is not a PDF file, although its name says so",
    ),
    ("pdf", samples.jar(), "not_kind", "its content is not a PDF file, although its name says so"),
    ("png", samples.jar(), "not_kind", "its content is not a PNG file, although its name says so"),
    ("jpeg", samples.png(), "not_kind", "its content is not a JPEG file, although its name says so"),
    ("webp", b"RIFF\x00\x00\x00\x00WAVEfmt ", "not_kind", "its content is not a WebP file, although its name says so"),
    (
        "heic",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00",
        "not_kind",
        "its content is not a HEIC file, although its name says so",
    ),
    ("txt", b"abc\x00def", "not_kind", "its content is not a TXT file, although its name says so"),
    (
        "txt",
        b"abc" * 5000 + b"\x00",  # binary after the first 8 KiB
        "not_kind",
        "its content is not a TXT file, although its name says so: it has binary data in it",
    ),
    # a PDF with something appended
    (
        "pdf",
        samples.pdf() + samples.windows_exe(),
        "appended",
        "it has a Windows program appended after the end of the PDF file",
    ),
    ("pdf", samples.pdf() + samples.jar(), "appended", "it has a ZIP archive appended after the end of the PDF file"),
    (
        "pdf",
        samples.pdf() + b"<script>x</script>",
        "appended",
        "it has other data appended after the end of the PDF file",
    ),
    # a PDF header, then a program (no PDF end)
    (
        "pdf",
        b"%PDF-1.4\n" + samples.windows_exe(),
        "incomplete",
        "the PDF file is incomplete or damaged (%%EOF is missing)",
    ),
    ("pdf", samples.pdf()[:-30], "incomplete", "the PDF file is incomplete or damaged (%%EOF is missing)"),
    (
        "pdf",
        samples.pdf().replace(b"startxref", b"startxerf"),
        "incomplete",
        "the PDF file is incomplete or damaged (startxref is missing)",
    ),
    # a program inside a PDF's stream, with the PDF's end written again after it
    (
        "pdf",
        samples.pdf(text=samples.windows_exe()[:300].decode("latin-1")),
        "hidden",
        "it has a Windows program hidden inside it",
    ),
    (
        "pdf",
        samples.pdf() + samples.linux_elf() + b"\nstartxref\n9\n%%EOF\n",
        "hidden",
        "it has a Linux program hidden inside it",
    ),
    # PDF and JAR at once: the ZIP's comment covers the PDF's last lines, so a ZIP reader finds its directory
    (
        "pdf",
        pdf_and_jar(),
        "hidden",
        "it has a ZIP archive hidden inside it",
    ),
    # images with something appended or hidden
    (
        "png",
        samples.png() + samples.zipped({"a.txt": b"x"}),
        "appended",
        "it has a ZIP archive appended after the end of the PNG file",
    ),
    ("png", samples.png()[:-12], "incomplete", "the PNG file is incomplete or damaged (IEND is missing)"),
    (
        "png",
        samples.png(extra_chunks=samples.png_chunk(b"tEXt", b"x\x00" + samples.windows_exe())),
        "hidden",
        "it has a Windows program hidden inside it",
    ),
    (
        "png",
        png_and_zip(),
        "hidden",
        "it has a ZIP archive hidden inside it",
    ),
    (
        "jpg",
        samples.jpeg() + samples.zipped({"a.txt": b"x"}),
        "appended",
        "it has a ZIP archive appended after the end of the JPEG file",
    ),
    (
        "jpg",
        samples.jpeg() + samples.windows_exe(),
        "appended",
        "it has a Windows program appended after the end of the JPEG file",
    ),
    ("jpg", samples.jpeg() + b"\x00" * 5000, "appended", "it has other data appended after the end of the JPEG file"),
    ("jpg", samples.jpeg()[:-2], "incomplete", "the JPEG file is incomplete or damaged (its end marker is missing)"),
    ("gif", samples.GIF + samples.SCRIPT, "appended", "it has a script appended after the end of the GIF file"),
    ("gif", samples.GIF[:-1], "incomplete", "the GIF file is incomplete or damaged (its trailer is missing)"),
    ("webp", samples.WEBP + samples.jar(), "appended", "it has a ZIP archive appended after the end of the WebP file"),
    ("webp", samples.WEBP[:-6], "incomplete", "the WebP file is incomplete or damaged (it is shorter than it says)"),
    (
        "heic",
        samples.heic() + samples.windows_exe(),
        "appended",
        "it has a Windows program appended after the end of the HEIC file",
    ),
    ("heic", samples.heic()[:-4], "incomplete", "the HEIC file is incomplete or damaged (it is shorter than it says)"),
    # Office files
    (
        "docx",
        samples.docx(**{"word/embeddings/setup.exe": samples.windows_exe()}),
        "program_part",
        "it contains a program (word/embeddings/setup.exe)",
    ),
    (
        "docx",
        samples.docx(
            **{
                "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
                + b"\x00" * 500
                + samples.windows_exe()
            }
        ),
        "program_part",
        "it contains a program (word/embeddings/oleObject1.bin)",
    ),
    (
        "docx",
        samples.docx(**{"word/media/run": samples.SCRIPT}),
        "program_part",
        "it contains a program (word/media/run)",
    ),
    (
        "docx",
        samples.docx(**{"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}),
        "program_part",
        "it contains macros (word/vbaProject.bin)",
    ),
    (
        "odt",
        samples.odf(**{"Basic/Standard/Module1.xml": b"<script/>"}),
        "program_part",
        "it contains macros (Basic/Standard/Module1.xml)",
    ),
    (
        "docx",
        samples.docx() + samples.windows_exe(),
        "appended",
        "it has a Windows program appended after the end of the Word (.docx) file",
    ),
    (
        "docx",
        samples.zipped({"word/document.xml": b"<w:document/>"}),
        "missing_part",
        "it is not a complete Word (.docx) file: the part [Content_Types].xml is missing",
    ),
    (
        "docx",
        samples.xlsx(),
        "missing_part",
        "it is not a complete Word (.docx) file: the part word/document.xml is missing",
    ),
    (
        "docx",
        samples.jar(),
        "missing_part",
        "it is not a complete Word (.docx) file: the part [Content_Types].xml is missing",
    ),
    (
        "docx",
        b"PK\x03\x04 not really a zip",
        "incomplete",
        "the Word (.docx) file is incomplete or damaged (it cannot be opened as a ZIP archive)",
    ),
    (
        "odt",
        samples.zipped({"content.xml": b"<x/>", "mimetype": b"application/vnd.oasis.opendocument.text"}),
        "incomplete",
        "the OpenDocument (.odt) file is incomplete or damaged (the part mimetype must come first)",
    ),
    (
        "ods",
        samples.odf(),
        "not_kind",
        "its content is not a OpenDocument (.ods) file, although its name says so",
    ),
    (
        "odt",
        samples.docx(),
        "missing_part",
        "it is not a complete OpenDocument (.odt) file: the part mimetype is missing",
    ),
    ("pdf", b"", "empty", "the file is empty"),
]


@pytest.mark.parametrize(("ext", "content", "code", "reason"), REFUSED)
def test_what_is_wrong_is_said(ext, content, code, reason):
    assert problem(ext, content) == (code, reason)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (samples.windows_exe(), ("program", "it is a Windows program")),
        (samples.SCRIPT, ("program", "it is a script")),
        (samples.jar(), None),  # a kind Lofte does not know is taken as it is, unless it is a program
        (b"MZ and more text", None),
    ],
)
def test_an_extension_lofte_has_no_kind_for_is_only_checked_for_programs(content, expected):
    assert problem("zip", content) == expected


def test_compressed_noise_is_not_taken_for_a_program_or_an_archive():
    """Random bytes hold 'MZ', 'PK\\x05\\x06', ELF and Mach-O magics by chance; only valid headers count."""
    noise = random.Random(7).randbytes(2**20)
    noise += b"MZ" + b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18 + b"\x7fELF\x09" + b"\xfe\xed\xfa\xce" + b"\x00" * 8
    assert problem("png", samples.png(extra_chunks=samples.png_chunk(b"prVt", noise))) is None


def test_a_large_file_is_checked_quickly():
    """A 25 MB image (the default size limit) of random data is checked in well under a second."""
    noise = random.Random(3).randbytes(25 * 2**20)
    data = samples.png(extra_chunks=samples.png_chunk(b"prVt", noise))
    started = time.perf_counter()
    assert problem("png", data) is None
    assert time.perf_counter() - started < 2.0


def test_an_archive_bomb_is_read_only_up_to_the_budget(monkeypatch):
    monkeypatch.setattr(uploads, "MEMBER_SCAN_BYTES", 1000)
    monkeypatch.setattr(uploads, "ARCHIVE_SCAN_BYTES", 1500)
    bomb = samples.docx(
        **{"word/media/a.bin": b"\x00" * 10**7, "word/media/b.bin": b"\x00" * 10**7, "word/media/c.exe.txt": b"x"}
    )
    assert problem("docx", bomb) is None
    with_program_late = samples.docx(**{"word/media/a.bin": b"\x00" * 10**6 + samples.windows_exe()})
    assert problem("docx", with_program_late) is None  # beyond what is read (the default reads 8 MiB of each)
    monkeypatch.undo()
    assert problem("docx", with_program_late) == ("program_part", "it contains a program (word/media/a.bin)")


def test_check_reads_a_file_and_leaves_it_at_its_start():
    f = io.BytesIO(samples.docx())
    f.read(10)
    assert check("docx", f) is None
    assert f.tell() == 0
    assert check("pdf", io.BytesIO(samples.windows_exe())).code == "program"


def test_sniff_says_whether_all_of_it_is_the_kind():
    assert sniff(KINDS["pdf"], io.BytesIO(samples.pdf()))
    assert not sniff(KINDS["pdf"], io.BytesIO(samples.pdf() + samples.windows_exe()))
    f = io.BytesIO(samples.docx())
    sniff(KINDS["docx"], f)
    assert f.read() == samples.docx()


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
