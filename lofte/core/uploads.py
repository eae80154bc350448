"""Uploaded files checked by name and by content: the kinds Lofte knows, safe names, content types.

The contact form (lofte.webform) and the portal (lofte.portal.uploads) both
use this; each keeps its own allow-list, limits and the frame of its messages.

A kind is known by its extension (KINDS). `check(ext, f)` reads the whole
file and answers the first `Problem` it finds, or None when the file is what
its name claims, all of it:

1. It does not start like a program, whatever its extension (known kind or
   not): a Windows (MZ/PE), Linux (ELF), macOS (Mach-O) or Java program,
   WebAssembly, or a script (#!).
2. It starts the way its kind starts (`magic`).
3. Its format holds from its start to its end (`structure`): a PDF ends in
   `startxref <offset>` and `%%EOF`; a PNG's chunks run to IEND, a JPEG's
   segments to its end marker (further MPO images or a motion-photo video may
   follow), a GIF's blocks to its trailer, a WebP's and a HEIC's boxes to the
   end of the file. After the end only a few bytes of padding may follow, not
   an appended archive or program. Office files are readable ZIP archives with
   the parts their type needs, no program or macro parts, ending at their
   directory.
4. PDFs and images hide no second file: no program header anywhere in them
   (a PE header that its MZ header points to, an ELF or Mach-O header with
   valid fields) and no ZIP directory that a ZIP reader would find from the
   end (the .jar/.zip polyglot).

Messages are translated in the active language and name no file: the caller
says which file ("“x.pdf” was not accepted: <reason>."). The browser's
claimed type is never used; `content_type` is the one the kind implies.
"""

from __future__ import annotations

import io
import mimetypes
import re
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

from django.utils.translation import gettext as _

# After a format's end, at most this many bytes of padding are allowed, and only fill (NUL, 0xFF, white space):
# cameras and scanners pad files to a block size, and nothing can be hidden in fill.
PADDING_BYTES = 4096
_FILL = b"\x00\t\n\r\x0c \xff"
# Office files: the parts read to look for programs (each member up to MEMBER_SCAN_BYTES, all together up to
# ARCHIVE_SCAN_BYTES decompressed, so that a ZIP bomb cannot make us decompress gigabytes), and how many parts.
MEMBER_SCAN_BYTES = 8 * 2**20
ARCHIVE_SCAN_BYTES = 64 * 2**20
MAX_MEMBERS = 10_000


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file: a stable code and a reason in the user's language (it does not name the file)."""

    code: str
    reason: str


# Problem codes
EMPTY = "empty"
PROGRAM = "program"  # the file is a program
NOT_KIND = "not_kind"  # the content is not the kind its name says
APPENDED = "appended"  # something follows the end of the format
INCOMPLETE = "incomplete"  # the format's end or a required structure is missing
HIDDEN = "hidden"  # a program or archive is hidden inside
MISSING_PART = "missing_part"  # an Office file lacks a part its type needs
PROGRAM_PART = "program_part"  # an Office file holds a program or macros


@dataclass(frozen=True)
class Kind:
    label: str  # what customers call it, in the list of accepted files and in messages
    content_type: str
    magic: Callable[[bytes], bool]  # what the file must start with
    structure: Callable[[Kind, bytes], Problem | None] | None = None  # its whole structure
    may_hide: bool = True  # look for programs and ZIP archives hidden inside (PDFs and images)


# --- programs ------------------------------------------------------------------


def _u16(data: bytes, at: int, order: str = "<") -> int:
    return int(struct.unpack_from(order + "H", data, at)[0])


def _u32(data: bytes, at: int, order: str = "<") -> int:
    return int(struct.unpack_from(order + "I", data, at)[0])


def _windows(data: bytes, at: int, *, at_start: bool) -> bool:
    if data[at : at + 2] != b"MZ" or len(data) < at + 64:
        return False
    pe = _u32(data, at + 0x3C)
    if 0x40 <= pe <= 0x10000 and data[at + pe : at + pe + 4] == b"PE\x00\x00":
        return True
    # At the very start, a DOS program (MZ without PE) counts too: a binary header, not text that begins "MZ".
    return at_start and b"\x00" in data[at + 2 : at + 64]


def _elf(data: bytes, at: int) -> bool:
    head = data[at : at + 7]
    return len(head) == 7 and head[:4] == b"\x7fELF" and head[4] in (1, 2) and head[5] in (1, 2) and head[6] == 1


_MACHO = {b"\xfe\xed\xfa\xce": ">", b"\xfe\xed\xfa\xcf": ">", b"\xce\xfa\xed\xfe": "<", b"\xcf\xfa\xed\xfe": "<"}
_MACHO_CPUS = {7, 12, 18}  # x86, ARM, PowerPC (the 64-bit variants have 0x01000000 set)


def _macho(data: bytes, at: int) -> bool:
    order = _MACHO.get(data[at : at + 4])
    if order is None or len(data) < at + 16:
        return False
    cpu, filetype = _u32(data, at + 4, order), _u32(data, at + 12, order)
    return (cpu & ~0x01000000) in _MACHO_CPUS and 1 <= filetype <= 12


def _cafebabe(data: bytes, at: int) -> str:
    """A universal (fat) macOS program or a Java class file, which share their first four bytes."""
    if data[at : at + 4] != b"\xca\xfe\xba\xbe" or len(data) < at + 8:
        return ""
    if 1 <= _u32(data, at + 4, ">") <= 20:
        return "macos"
    if 45 <= _u16(data, at + 6, ">") <= 80:
        return "java"
    return ""


def _program_label(name: str) -> str:
    return {
        "windows": _("a Windows program"),
        "linux": _("a Linux program"),
        "macos": _("a macOS program"),
        "java": _("a Java program"),
        "wasm": _("a WebAssembly program"),
        "script": _("a script"),
    }[name]


def _program_at(data: bytes, at: int, *, at_start: bool) -> str:
    """Which program starts at `at` ("" when none)."""
    if _windows(data, at, at_start=at_start):
        return "windows"
    if _elf(data, at):
        return "linux"
    if _macho(data, at):
        return "macos"
    if kind := _cafebabe(data, at):
        return kind
    if data[at : at + 8] == b"\x00asm\x01\x00\x00\x00":
        return "wasm"
    if at_start and re.match(rb"#![ \t]*/", data[at : at + 16]):
        return "script"
    return ""


_PROGRAM_SIGNATURES = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"\x00asm",
)


def _hidden_program(data: bytes) -> str:
    """A program header anywhere after the start: each signature is searched for, then its header checked."""
    for signature in _PROGRAM_SIGNATURES:
        at = data.find(signature, 1)
        while at >= 0:
            if found := _program_at(data, at, at_start=False):
                return found
            at = data.find(signature, at + 1)
    return ""


def _hidden_zip(data: bytes) -> bool:
    """A ZIP directory a ZIP reader would find: its end record in the last 64 KiB, with a directory entry
    where the record says the directory starts (or right before the record, as readers also accept)."""
    start = max(0, len(data) - 65_557)
    at = data.rfind(b"PK\x05\x06", start)
    while at >= 0:
        if at + 22 <= len(data):
            size, offset = _u32(data, at + 12), _u32(data, at + 16)
            if size and (
                data[offset : offset + 4] == b"PK\x01\x02"
                or (size <= at and data[at - size : at - size + 4] == b"PK\x01\x02")
            ):
                return True
        at = data.rfind(b"PK\x05\x06", start, at)
    return False


def _what(data: bytes) -> str:
    """What some bytes (appended after a format's end) are, for the message."""
    if program := _program_at(data, 0, at_start=True):
        return _program_label(program)
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _("a ZIP archive")
    if data.startswith((b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c", b"\x1f\x8b")):
        return _("an archive")
    return _("other data")


def _padding(tail: bytes) -> bool:
    return len(tail) <= PADDING_BYTES and not tail.strip(_FILL)


def _ends_at(kind: Kind, data: bytes, end: int) -> Problem | None:
    """The format ended at `end`: only padding may follow."""
    tail = data[end:]
    if _padding(tail):
        return None
    return Problem(
        APPENDED,
        _("it has %(what)s appended after the end of the %(kind)s file")
        % {"what": _what(tail.lstrip(_FILL)), "kind": kind.label},
    )


def _not_kind(kind: Kind) -> Problem:
    return Problem(NOT_KIND, _("its content is not a %(kind)s file, although its name says so") % {"kind": kind.label})


def _incomplete(kind: Kind, detail: str) -> Problem:
    return Problem(
        INCOMPLETE,
        _("the %(kind)s file is incomplete or damaged (%(detail)s)") % {"kind": kind.label, "detail": detail},
    )


# --- PDF -----------------------------------------------------------------------

_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s*$")


def _pdf(head: bytes) -> bool:
    return head.startswith(b"%PDF-")


def _pdf_structure(kind: Kind, data: bytes) -> Problem | None:
    eof = data.rfind(b"%%EOF")
    if eof < 0:
        return _incomplete(kind, _("%%EOF is missing"))
    match = _STARTXREF.search(data, max(0, eof - 1024), eof)
    if match is None or int(match.group(1)) >= eof:
        return _incomplete(kind, _("startxref is missing"))
    return _ends_at(kind, data, eof + 5)


# --- images --------------------------------------------------------------------


def _jpeg(head: bytes) -> bool:
    return head.startswith(b"\xff\xd8\xff")


# In a JPEG's entropy-coded data 0xFF is followed by 0x00 (a stuffed byte), a restart marker or more 0xFF fill.
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def _jpeg_end(data: bytes, start: int) -> int:
    """Where the JPEG image that starts at `start` ends (after its EOI marker), or -1 when it does not."""
    pos, n = start + 2, len(data)
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return -1
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        if pos + 4 > n:
            return -1
        length = _u16(data, pos + 2, ">")
        if length < 2:
            return -1
        pos += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next real marker
            found = _JPEG_MARKER.search(data, pos)
            if found is None:
                return -1
            pos = found.start()
    return -1


_BOX_TYPE = re.compile(rb"[\x20-\x7e]{4}")


def _iso_boxes(data: bytes, start: int) -> tuple[int, bool]:
    """Walk the ISO base media boxes (HEIC, MP4) from `start`: where the walk stopped, and whether it stopped
    inside a box that runs past the end of the file (incomplete) rather than at something that is no box."""
    pos, n = start, len(data)
    while pos + 8 <= n:
        size = _u32(data, pos, ">")
        if not _BOX_TYPE.fullmatch(data, pos + 4, pos + 8):
            return pos, False
        if size == 1:
            if pos + 16 > n:
                return pos, True
            size = int(struct.unpack_from(">Q", data, pos + 8)[0])
        elif size == 0:  # the last box runs to the end of the file
            size = n - pos
        if size < 8:
            return pos, False
        if pos + size > n:
            return pos, True
        pos += size
    return pos, pos < n


def _jpeg_structure(kind: Kind, data: bytes) -> Problem | None:
    end = _jpeg_end(data, 0)
    if end < 0:
        return _incomplete(kind, _("its end marker is missing"))
    # A camera may store more images after the first (MPO) or a short video (a motion photo).
    while data.startswith(b"\xff\xd8\xff", end):
        following = _jpeg_end(data, end)
        if following < 0:
            break
        end = following
    video = end + 16 if data.startswith(b"MotionPhoto_Data", end) else end
    if data[video + 4 : video + 8] == b"ftyp" and _iso_boxes(data, video)[0] == len(data):
        return None
    return _ends_at(kind, data, end)


def _png(head: bytes) -> bool:
    return head.startswith(b"\x89PNG\r\n\x1a\n")


def _png_structure(kind: Kind, data: bytes) -> Problem | None:
    pos, n = 8, len(data)
    while pos + 12 <= n:
        length, chunk = _u32(data, pos, ">"), data[pos + 4 : pos + 8]
        if length > 2**31 - 1 or not chunk.isalpha():
            break
        pos += 12 + length
        if chunk == b"IEND" and pos <= n:
            return _ends_at(kind, data, pos)
    return _incomplete(kind, _("IEND is missing"))


def _gif(head: bytes) -> bool:
    return head[:6] in (b"GIF87a", b"GIF89a")


def _gif_sub_blocks(data: bytes, pos: int) -> int:
    """Skip data sub-blocks (a length byte, then that many bytes) up to the terminating zero length."""
    n = len(data)
    while pos < n:
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return -1


def _gif_structure(kind: Kind, data: bytes) -> Problem | None:
    n = len(data)
    if n < 13:
        return _incomplete(kind, _("its trailer is missing"))
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    while 0 <= pos < n:
        block = data[pos]
        if block == 0x3B:  # trailer
            return _ends_at(kind, data, pos + 1)
        if block == 0x21:  # extension: label, then sub-blocks
            pos = _gif_sub_blocks(data, pos + 2)
        elif block == 0x2C and pos + 10 <= n:  # image: descriptor, local colours, LZW code size, sub-blocks
            local = data[pos + 9]
            pos += 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0)
            pos = _gif_sub_blocks(data, pos + 1)
        else:
            break
    return _incomplete(kind, _("its trailer is missing"))


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _webp_structure(kind: Kind, data: bytes) -> Problem | None:
    end = 8 + _u32(data, 4)
    if end > len(data):
        return _incomplete(kind, _("it is shorter than it says"))
    return _ends_at(kind, data, end + (end % 2))


HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"}


def _heic(head: bytes) -> bool:
    return head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS


def _heic_structure(kind: Kind, data: bytes) -> Problem | None:
    end, truncated = _iso_boxes(data, 0)
    if truncated:
        return _incomplete(kind, _("it is shorter than it says"))
    return _ends_at(kind, data, end)


# --- text ----------------------------------------------------------------------

CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")


def _text(head: bytes) -> bool:
    """Plain text in any common encoding: no NUL or other control bytes a text file would not have."""
    return not CONTROL.search(head, 0, 8192)


def _text_structure(kind: Kind, data: bytes) -> Problem | None:
    if CONTROL.search(data):
        return Problem(
            NOT_KIND,
            _("its content is not a %(kind)s file, although its name says so: it has binary data in it")
            % {"kind": kind.label},
        )
    return None


# --- Office files (ZIP) --------------------------------------------------------

# Parts of an Office file named like programs: Windows, macOS, Linux and Android programs, libraries,
# installers, scripts and shortcuts.
PROGRAM_EXTENSIONS = frozenset(
    {
        *("exe", "dll", "scr", "com", "pif", "cpl", "msi", "msp", "sys", "drv", "ocx", "lnk", "reg", "scf", "msc"),
        *("bat", "cmd", "ps1", "psm1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta"),
        *("jar", "class", "sh", "bash", "zsh", "command", "app", "apk", "elf", "so", "dylib"),
    }
)


def _zip(head: bytes) -> bool:
    return head.startswith(b"PK\x03\x04")


def _zip_end(data: bytes) -> int:
    """Where the ZIP's end record (with its comment) ends, or -1 when there is none."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    while at >= 0:
        if at + 22 <= len(data):
            end = at + 22 + _u16(data, at + 20)
            if end <= len(data):
                return end
        at = data.rfind(b"PK\x05\x06", 0, at)
    return -1


def _macros(name: str) -> bool:
    lower = name.lower()
    return (
        lower.endswith("vbaproject.bin")
        or "/activex/" in lower
        or lower.startswith(("basic/", "scripts/"))  # OpenDocument macros and scripts
    )


def _office(*required: str, mimetype: str = "") -> Callable[[Kind, bytes], Problem | None]:
    """An Office Open XML or OpenDocument file: a ZIP with the named parts, and no programs or macros."""

    def structure(kind: Kind, data: bytes) -> Problem | None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
            return _incomplete(kind, _("it cannot be opened as a ZIP archive"))
        end = _zip_end(data)
        if end < 0:
            return _incomplete(kind, _("it cannot be opened as a ZIP archive"))
        if problem := _ends_at(kind, data, end):
            return problem
        if len(infos) > MAX_MEMBERS:
            return _incomplete(kind, _("it has too many parts"))
        names = {info.filename for info in infos}
        parts = ["mimetype"] if mimetype else list(required)
        for part in parts:
            if part not in names:
                return Problem(
                    MISSING_PART,
                    _("it is not a complete %(kind)s file: the part %(part)s is missing")
                    % {"kind": kind.label, "part": part},
                )
        if mimetype:
            first = infos[0]
            if first.filename != "mimetype" or first.compress_type != zipfile.ZIP_STORED:
                return _incomplete(kind, _("the part mimetype must come first"))
            if archive.read(first).strip() != mimetype.encode():
                return _not_kind(kind)
        return _office_members(kind, archive, infos)

    return structure


def _office_members(kind: Kind, archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Problem | None:
    budget = ARCHIVE_SCAN_BYTES
    for info in infos:
        name = info.filename
        if _macros(name):
            return Problem(PROGRAM_PART, _("it contains macros (%(part)s)") % {"part": name})
        if name.rsplit(".", 1)[-1].lower() in PROGRAM_EXTENSIONS and "." in name:
            return Problem(PROGRAM_PART, _("it contains a program (%(part)s)") % {"part": name})
        if budget <= 0 or info.is_dir():
            continue
        try:
            with archive.open(info) as member:
                content = member.read(min(MEMBER_SCAN_BYTES, budget))
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            return _incomplete(kind, _("its part %(part)s cannot be read") % {"part": name})
        budget -= len(content)
        if _program_at(content, 0, at_start=True) or _hidden_program(content):
            return Problem(PROGRAM_PART, _("it contains a program (%(part)s)") % {"part": name})
    return None


_OOXML = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

KINDS: dict[str, Kind] = {
    "pdf": Kind("PDF", "application/pdf", _pdf, _pdf_structure),
    "jpg": Kind("JPEG", "image/jpeg", _jpeg, _jpeg_structure),
    "jpeg": Kind("JPEG", "image/jpeg", _jpeg, _jpeg_structure),
    "png": Kind("PNG", "image/png", _png, _png_structure),
    "gif": Kind("GIF", "image/gif", _gif, _gif_structure),
    "webp": Kind("WebP", "image/webp", _webp, _webp_structure),
    "heic": Kind("HEIC", "image/heic", _heic, _heic_structure),
    "txt": Kind("TXT", "text/plain", _text, _text_structure, may_hide=False),
    "csv": Kind("CSV", "text/csv", _text, _text_structure, may_hide=False),
    "docx": Kind(
        "Word (.docx)",
        f"{_OOXML}.wordprocessingml.document",
        _zip,
        _office("[Content_Types].xml", "word/document.xml"),
        may_hide=False,
    ),
    "xlsx": Kind(
        "Excel (.xlsx)",
        f"{_OOXML}.spreadsheetml.sheet",
        _zip,
        _office("[Content_Types].xml", "xl/workbook.xml"),
        may_hide=False,
    ),
    "pptx": Kind(
        "PowerPoint (.pptx)",
        f"{_OOXML}.presentationml.presentation",
        _zip,
        _office("[Content_Types].xml", "ppt/presentation.xml"),
        may_hide=False,
    ),
    "odt": Kind("OpenDocument (.odt)", f"{_ODF}.text", _zip, _office(mimetype=f"{_ODF}.text"), may_hide=False),
    "ods": Kind(
        "OpenDocument (.ods)", f"{_ODF}.spreadsheet", _zip, _office(mimetype=f"{_ODF}.spreadsheet"), may_hide=False
    ),
}


# --- the check -----------------------------------------------------------------


def check_bytes(kind: Kind | None, data: bytes) -> Problem | None:
    """The first problem with `data` as a file of `kind` (None: a kind Lofte does not know, which is
    only checked for not being a program), or None when there is none."""
    if not data:
        return Problem(EMPTY, _("the file is empty"))
    if program := _program_at(data, 0, at_start=True):
        what = _program_label(program)
        if kind is None:
            return Problem(PROGRAM, _("it is %(program)s") % {"program": what})
        return Problem(PROGRAM, _("it is %(program)s, not a %(kind)s file") % {"program": what, "kind": kind.label})
    if kind is None:
        return None
    if not kind.magic(data):
        return _not_kind(kind)
    if kind.structure is not None and (problem := kind.structure(kind, data)):
        return problem
    if kind.may_hide:
        if program := _hidden_program(data):
            return Problem(HIDDEN, _("it has %(what)s hidden inside it") % {"what": _program_label(program)})
        if _hidden_zip(data):
            return Problem(HIDDEN, _("it has %(what)s hidden inside it") % {"what": _("a ZIP archive")})
    return None


def check(ext: str, f: IO[bytes]) -> Problem | None:
    """The first problem with the file `f` named with extension `ext` (its position is left at the start)."""
    f.seek(0)
    try:
        return check_bytes(KINDS.get(ext), f.read())
    finally:
        f.seek(0)


def sniff(kind: Kind, f: IO[bytes]) -> bool:
    """Whether the content of `f` is, all of it, a file of `kind` (see `check`)."""
    f.seek(0)
    try:
        return check_bytes(kind, f.read()) is None
    finally:
        f.seek(0)


# --- names and types -----------------------------------------------------------


def extension(filename: str) -> str:
    """The part after the last dot, in lower case ("" when there is none)."""
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def safe_filename(name: str) -> str:
    """The file's own name without any path, control characters or leading dots, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    if not name:
        return "attachment"
    if len(name) > 255:
        ext = extension(name)
        name = name[: 254 - len(ext)] + "." + ext if ext and len(ext) < 20 else name[:255]
    return name


def content_type(ext: str) -> str:
    """The type to store for a file with this extension: the kind's, else the usual one for it."""
    kind = KINDS.get(ext)
    if kind is not None:
        return kind.content_type
    return mimetypes.guess_type(f"f.{ext}")[0] or "application/octet-stream"
