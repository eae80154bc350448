"""What a parse gives the rest of Lofte: a ParsedEmail with its ParsedAttachments, or an EmailParseError."""

from __future__ import annotations

import email.message
from dataclasses import dataclass, field
from datetime import datetime


class EmailParseError(Exception):
    """The bytes hold nothing usable as an email (empty, or neither headers nor body)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message: email.message.EmailMessage
    message_id: str
    in_reply_to: list[str]
    references: list[str]
    subject: str
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: str
    date: datetime | None
    text: str
    html: str
    attachments: list[ParsedAttachment]
    headers: dict[str, str]
    defects: list[str] = field(default_factory=list)
