"""The MIME tree walk: a message's body as text and HTML, and every other part as an attachment."""

from __future__ import annotations

import email.message
import html as html_lib
import mimetypes
import re
from email import policy
from email.parser import BytesParser

from lofte.channels.email.parsing.charsets import decode_bytes
from lofte.channels.email.parsing.headers import _WS_RE, _raw_to_str, decode_header_value, parse_params
from lofte.channels.email.parsing.html_text import _normalise_newlines, html_to_text
from lofte.channels.email.parsing.parsed import ParsedAttachment
from lofte.channels.email.parsing.payloads import _decode_payload, _message_part_bytes, raw_payload

# An attached message sent with a transfer encoding is parsed again from its decoded bytes, for its subject.
_PARSER = BytesParser(policy=policy.default)

_DEFECT_NOTES = {
    "StartBoundaryNotFoundDefect": "multipart boundary never found; body treated as text",
    "NoBoundaryInMultipartDefect": "multipart without a boundary; body treated as text",
    "CloseBoundaryNotFoundDefect": "multipart closing boundary missing",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation line",
    "MissingHeaderBodySeparatorDefect": "no blank line between headers and body",
    "MisplacedEnvelopeHeaderDefect": "envelope From line inside the headers",
    "InvalidMultipartContentTransferEncodingDefect": "invalid content-transfer-encoding on a multipart",
    "MultipartInvariantViolationDefect": "",  # always comes with one of the boundary notes
}

_EXTENSIONS = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/octet-stream": ".bin",
    "application/ms-tnef": ".dat",
    "application/vnd.ms-tnef": ".dat",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/pkcs7-signature": ".p7s",
    "application/x-pkcs7-signature": ".p7s",
    "application/pgp-signature": ".asc",
    "application/json": ".json",
    "application/xml": ".xml",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "image/tiff": ".tif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
    "text/html": ".html",
    "text/calendar": ".ics",
    "text/csv": ".csv",
    "text/x-vcard": ".vcf",
    "text/vcard": ".vcf",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/global": ".eml",
    "message/delivery-status": ".txt",
    "message/disposition-notification": ".txt",
    "message/feedback-report": ".txt",
    "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
}

_FILENAME_BAD_RE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_CID_RE = re.compile(r"""cid:([^"'\s)>]+)""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_MAX_DEPTH = 40


def _extension(content_type: str) -> str:
    ext = _EXTENSIONS.get(content_type)
    if ext is None:
        ext = mimetypes.guess_extension(content_type, strict=False) or ".bin"
    return ext


def _safe_filename(name: str) -> str:
    """The last path component of a decoded name, without control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _WS_RE.sub(" ", "".join(ch for ch in name if ch >= " " and ch != "\x7f")).strip()
    return "" if name in (".", "..") else name[:255]


def unflow(text: str, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, undo space-stuffing, keep quote depth."""
    out: list[str] = []
    buf: str | None = None
    buf_depth = 0

    def emit(depth: int, line: str) -> None:
        if depth:
            out.append(">" * depth + (" " + line if line else ""))
        else:
            out.append(line)

    for line in text.split("\n"):
        content = line.lstrip(">")
        depth = len(line) - len(content)
        if content.startswith(" "):
            content = content[1:]
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if buf is not None and buf_depth != depth:
            emit(buf_depth, buf)
            buf = None
        buf = content if buf is None else buf + content
        buf_depth = depth
        if not flowed:
            emit(depth, buf)
            buf = None
    if buf is not None:
        emit(buf_depth, buf)
    return "\n".join(out)


def _text_to_html(text: str) -> str:
    return '<div style="white-space: pre-wrap">' + html_lib.escape(text) + "</div>"


def _join_text(pieces: list[str]) -> str:
    kept = [p.strip("\n") for p in pieces if p.strip()]
    return "\n\n".join(kept) + ("\n" if kept else "")


def _content_id(msg: email.message.Message) -> str:
    """The Content-ID of a part without angle brackets or whitespace, "" if none."""
    for key, value in msg.raw_items():
        if key.lower() == "content-id":
            return "".join(_raw_to_str(value, [], "content-id").split()).strip("<>")
    return ""


class _Part:
    """What the walker needs from one MIME part, read once from its raw headers."""

    __slots__ = ("content_type", "cte", "disposition", "filename", "msg", "params")

    def __init__(self, msg: email.message.Message, defects: list[str]) -> None:
        self.msg = msg
        hdrs: dict[str, str] = {}
        for name, value in msg.raw_items():
            key = name.lower()
            if key in ("content-type", "content-disposition", "content-transfer-encoding") and key not in hdrs:
                hdrs[key] = value
        ctype, params = parse_params(hdrs.get("content-type"), defects)
        if "/" not in ctype:
            ctype = msg.get_default_type()
        self.content_type = ctype
        self.params = params
        self.cte = _WS_RE.sub("", hdrs.get("content-transfer-encoding", "")).lower()
        disposition, dparams = parse_params(hdrs.get("content-disposition"), defects)
        self.disposition = disposition
        self.filename = _safe_filename(dparams.get("filename") or params.get("name") or "")


class _Walker:
    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.attachments: list[ParsedAttachment] = []
        self.inline_disposition: list[bool] = []

    # -- leaves ---------------------------------------------------------------------------

    def payload_bytes(self, part: _Part) -> bytes:
        return _decode_payload(part.msg, part.cte, self.defects, f"{part.content_type} part")

    def text_of(self, part: _Part) -> str:
        data = self.payload_bytes(part)
        charset = part.params.get("charset")
        if not charset and part.content_type == "text/html" and not data.isascii():
            m = _META_CHARSET_RE.search(data[:4096])
            if m:
                charset = m.group(1).decode("ascii")
        text = _normalise_newlines(decode_bytes(data, charset, self.defects, part.content_type + " part"))
        if part.content_type == "text/plain" and part.params.get("format", "").lower() == "flowed":
            text = unflow(text, part.params.get("delsp", "").lower() == "yes")
        return text

    def attach(self, part: _Part) -> None:
        ctype = part.content_type
        name = part.filename
        content: bytes
        if ctype.startswith("message/") and isinstance(raw_payload(part.msg), list):
            content, subject = self._message_bytes(part)
            if not name and ctype in ("message/rfc822", "message/global"):
                base = _safe_filename(_FILENAME_BAD_RE.sub(" ", subject))[:150].strip()
                if base:
                    name = base + ".eml"
        else:
            content = self.payload_bytes(part)
        if not name:
            name = f"attachment-{len(self.attachments) + 1}{_extension(ctype)}"
        cid = _content_id(part.msg)
        self.attachments.append(ParsedAttachment(filename=name, content_type=ctype, content=content, content_id=cid))
        self.inline_disposition.append(part.disposition == "inline")

    def _message_bytes(self, part: _Part) -> tuple[bytes, str]:
        """The bytes of an attached message and its subject."""
        data = _message_part_bytes(part.msg, part.cte, self.defects)
        if part.content_type not in ("message/rfc822", "message/global") or not data:
            return data, ""
        payload = raw_payload(part.msg)
        inner = payload[0] if isinstance(payload, list) and payload else None
        if "base64" in part.cte or "quoted" in part.cte or not isinstance(inner, email.message.Message):
            inner = _PARSER.parsebytes(data)
        subject = ""
        for key, value in inner.raw_items():
            if key.lower() == "subject":
                subject = _WS_RE.sub(" ", decode_header_value(value, self.defects, "attached subject"))
                break
        return data, subject

    # -- tree -----------------------------------------------------------------------------

    def collect_defects(self, msg: email.message.Message) -> None:
        for defect in getattr(msg, "defects", ()):
            note = _DEFECT_NOTES.get(type(defect).__name__)
            if note is None:
                words = re.sub(r"(?<!^)(?=[A-Z])", " ", type(defect).__name__.removesuffix("Defect")).lower()
                note = words
            if note:
                self.defects.append(note)

    def walk(self, msg: email.message.Message, depth: int = 0, top: bool = False) -> tuple[str | None, str | None]:
        """Return (text, html) of the body found under msg; everything else goes to the attachments."""
        self.collect_defects(msg)
        part = _Part(msg, self.defects)
        payload = raw_payload(msg)
        ctype = part.content_type
        if isinstance(payload, list) and not ctype.startswith("message/"):
            if depth >= _MAX_DEPTH:
                self.defects.append("MIME nesting too deep; rest ignored")
                return None, None
            children = [c for c in payload if isinstance(c, email.message.Message)]
            if not ctype.startswith("multipart/"):
                ctype = "multipart/mixed"
            subtype = ctype[10:]
            if subtype == "alternative":
                return self._alternative(children, depth)
            if subtype == "related":
                return self._related(part, children, depth)
            return self._mixed(children, depth)
        if ctype.startswith("multipart/"):
            # The boundary never appears: the body is all there is. Read it as text.
            part.content_type = "text/plain"
            text = self.text_of(part)
            head = text.lstrip()[:15].lower()
            if head.startswith(("<!doctype html", "<html")):
                return None, text
            return text, None
        if ctype in ("text/plain", "text/html") and self._is_body(part, top):
            text = self.text_of(part)
            return (text, None) if ctype == "text/plain" else (None, text)
        self.attach(part)
        return None, None

    @staticmethod
    def _is_body(part: _Part, top: bool) -> bool:
        if part.disposition == "attachment":
            return False
        return top or not part.filename

    def _alternative(self, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        text: str | None = None
        html: str | None = None
        for child in children:
            t, h = self.walk(child, depth + 1, top=True)
            if t is not None and (text is None or t.strip()):
                text = t
            if h is not None and (html is None or h.strip()):
                html = h
        return text, html

    def _related(self, part: _Part, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        if not children:
            return None, None
        root_index = 0
        start = "".join(part.params.get("start", "").split()).strip("<>")
        if start:
            ids = [_content_id(child) for child in children]
            root_index = ids.index(start) if start in ids else 0
        result = self.walk(children[root_index], depth + 1, top=True)
        for i, child in enumerate(children):
            if i != root_index:
                self._attach_all(child, depth + 1)
        return result

    def _attach_all(self, msg: email.message.Message, depth: int) -> None:
        """Every leaf under msg as an attachment (non-root parts of multipart/related)."""
        self.collect_defects(msg)
        part = _Part(msg, self.defects)
        payload = raw_payload(msg)
        if isinstance(payload, list) and not part.content_type.startswith("message/") and depth < _MAX_DEPTH:
            for child in payload:
                if isinstance(child, email.message.Message):
                    self._attach_all(child, depth + 1)
            return
        self.attach(part)

    def _mixed(self, children: list[email.message.Message], depth: int) -> tuple[str | None, str | None]:
        results: list[tuple[str | None, str | None]] = []
        for i, child in enumerate(children):
            t, h = self.walk(child, depth + 1, top=i == 0)
            if t is not None or h is not None:
                results.append((t, h))
        if not results:
            return None, None
        if len(results) == 1:
            return results[0]
        text: str | None = None
        html: str | None = None
        if any(t is not None for t, _h in results):
            text = _join_text([t if t is not None else html_to_text(h or "") for t, h in results])
        if any(h is not None for _t, h in results):
            html = "\n".join(h if h is not None else _text_to_html(t or "") for t, h in results)
        return text, html
