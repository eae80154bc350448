"""Inbound email parsing: raw RFC 5322 bytes -> a ParsedEmail the rest of Lofte can trust.

The tree is parsed once with the standard library (``BytesParser``, compat32 policy; see
``message.parse_email``). Header values are then read raw (``raw_items()``) and decoded here rather
than through the default policy's header objects: those cost 20-100 microseconds each, raise or
answer with replacement characters on broken input (unknown charsets, raw 8-bit bytes, split
multibyte encoded words), and the helpdesk must read whatever real mail clients send. The raw value
is exactly what the compat32 policy gives, so this is the per-header fallback made the only path.

Repairs are written to ``ParsedEmail.defects`` as short readable notes.

The modules, each using only those above it:

- ``parsed``: ParsedEmail, ParsedAttachment, EmailParseError
- ``charsets``: bytes in a declared, wrong or missing charset to text; mojibake repair
- ``headers``: encoded words, MIME parameters, Message-ID lists, dates; tolerant base64
- ``addresses``: address headers to (display name, address) pairs
- ``html_text``: HTML bodies to readable plain text
- ``payloads``: a part's content bytes with the transfer encoding undone
- ``body``: the MIME tree walk (body text and HTML, attachments)
- ``message``: ``parse_email``, which puts it together
"""

from lofte.channels.email.parsing.html_text import html_to_text
from lofte.channels.email.parsing.message import parse_email
from lofte.channels.email.parsing.parsed import EmailParseError, ParsedAttachment, ParsedEmail

__all__ = [
    "EmailParseError",
    "ParsedAttachment",
    "ParsedEmail",
    "html_to_text",
    "parse_email",
]
