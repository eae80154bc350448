"""The email ingestion benchmark behind `lofte bench_email`, in a database of its own.

`run_benchmark` generates, deterministically from the seed and before any
timing, a realistic mix of raw messages as mail clients and mail systems send
them (headers of Gmail, Outlook/Exchange, Apple Mail, Thunderbird and an old
Windows client with their DKIM/ARC/Received blocks; plain text, format=flowed,
multipart/alternative with HTML, Windows-1252 quoted-printable, RFC 2047
subjects and names with åäö, 20-60 KB PDF-ish attachments):

* ~45 % new messages from ~N/3 distinct senders;
* ~35 % replies threaded by In-Reply-To/References to earlier messages of the
  mix, quoting them ("Den ... skrev ...:" with "> " lines, Gmail "On ... wrote:",
  Outlook header blocks, "-----Original Message-----");
* ~10 % replies without threading headers whose subject carries the reference
  of the case an earlier message of the same run went to;
* ~5 % auto-replies (Auto-Submitted), ~5 % bounces (multipart/report
  delivery-status about the Message-ID of an earlier message).

In a fresh database (`bench_database`) and with MEDIA_ROOT pointed at a
temporary directory in DATA_DIR (the raw files and attachments never land
among the user's files; removed afterwards), it then measures:

A. `email_ingest` of all N messages in order (wall clock) -> ingest_per_s;
B. `BytesParser(policy=default).parsebytes` of the same bytes, twice, the
   faster run -> parse_only_per_s; and ratio = A / B.

The query count per message comes from a further sample of messages of the
same mix, ingested one by one under CaptureQueriesContext after the timed run.
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import html
import quopri
import random
import shutil
import statistics
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django_tasks_db.models import DBTaskResult

from benchmarks.database import bench_database
from lofte.cases.arrived import Arrival
from lofte.cases.models import CaseEvent, Message
from lofte.channels.email.ingest import IngestResult, email_ingest, own_addresses_clear
from lofte.channels.models import Outcome
from lofte.core.language import language_detect
from lofte.demo.data import FIRST, LAST, SUBJECTS
from lofte.promises.services import policy_cache_clear
from lofte.triage import predict
from lofte.triage.seams import message_arrived
from lofte.triage.services import starting_models_train
from lofte.triage.suggest import message_triage

Progress = Callable[[str], None]

DEFAULT_MESSAGES = 2000
SAMPLE = 100  # messages ingested under CaptureQueriesContext, after the timed run
TARGET_RATIO = 0.25  # ingest at least a quarter as fast as the standard library parses
TRIAGE_SAMPLE = 300  # messages whose suggestions are timed (each reads its meaning: tens of milliseconds)
MAX_PER_SENDER = 20  # filed messages per sender; the flood limit (30 an hour) is never reached
RECENT_THREADS = 300  # replies answer one of the last this many messages

NEW, REPLY, REFERENCE, AUTO_REPLY, BOUNCE = "new", "reply", "reference", "auto_reply", "bounce"
SHARES = {REPLY: 0.35, REFERENCE: 0.10, AUTO_REPLY: 0.05, BOUNCE: 0.05}  # the rest is new
EXPECTED = {
    NEW: Outcome.CREATED,
    REPLY: Outcome.APPENDED,
    REFERENCE: Outcome.APPENDED,
    AUTO_REPLY: Outcome.AUTO_REPLY,
    BOUNCE: Outcome.BOUNCE,
}
# The reference of a case is only known once its first message is ingested. A REFERENCE message is
# generated with this placeholder in its subject, and the timed loop puts in the reference its
# parent's ingest returned with one bytes.replace (cheap, so generation stays outside the timing).
PLACEHOLDER = b"[@@LOFTE-REFERENCE@@]"

SUPPORT = "support@lofte.localhost"
SUPPORT_NAME = "Lofte Support"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=1)))

CLIENTS = {"gmail": 35, "outlook": 30, "apple": 15, "thunderbird": 10, "legacy": 10}
CLIENT_DOMAINS = {
    "gmail": ["gmail.com"],
    "outlook": ["outlook.com", "hotmail.se", "bergstrombygg.se", "vasafastigheter.se", "nordicparts.co.uk"],
    "apple": ["icloud.com", "me.com", "telia.com"],
    "thunderbird": ["bredband.net", "spray.se", "fjallvind.se"],
    "legacy": ["norrskenmedia.se", "kommunen.se", "bahnhof.se"],
}
ASCII = str.maketrans({"å": "a", "ä": "a", "ö": "o", "é": "e", "Å": "A", "Ä": "A", "Ö": "O"})
WEEKDAYS_SV = ["mån", "tis", "ons", "tors", "fre", "lör", "sön"]
MONTHS_SV = ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."]
MONTHS_SV_LONG = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september"]
MONTHS_SV_LONG += ["oktober", "november", "december"]

DETAILS = {
    "sv": [
        "Ordernumret är {n} och jag beställde via er webbshop den {d} {month}.",
        "Jag har kundnummer {n} om det underlättar för er att hitta mig i systemet.",
        "Jag har försökt ringa er kundtjänst två gånger men det är väldigt långa köer, så jag skriver hellre här.",
        "Fakturan har förfallodag den {d} {month}, så jag vill gärna ha besked innan dess så att jag inte får en "
        "påminnelseavgift för något som inte är mitt fel.",
        "Det är tredje gången det här händer i år och jag börjar ärligt talat tröttna. Kan ni se till att det inte "
        "upprepas?",
        "Jag bor på Storgatan {d}, 411 38 Göteborg, och leveransen skulle ha kommit till ombudet på hörnet.",
        "Bifogar en bild/kvitto om det behövs. Hör av er om ni behöver något mer från mig.",
        "Kan ni också skicka en bekräftelse på e-post när ärendet är löst? Tack på förhand.",
    ],
    "en": [
        "My order number is {n} and I placed the order through your web shop on {d} March.",
        "My customer number is {n}, in case that helps you find my account.",
        "I tried calling your support line twice but the queue was very long, so I am writing instead.",
        "The invoice is due on {d} March, so I would appreciate an answer before then to avoid a late fee for "
        "something that is not my fault.",
        "This is the third time this has happened this year. Could you make sure it does not happen again?",
        "I live at {d} High Street and the delivery should have gone to the pick-up point around the corner.",
        "I can send a photo or the receipt if needed. Let me know if you need anything else from me.",
        "Could you also confirm by email once this is sorted? Thanks in advance.",
    ],
}
REPLY_TEXTS = {
    "sv": [
        "Hej igen!\n\nJag har fortfarande inte fått något svar på detta. Kan ni titta på det så snart som möjligt?",
        "Tack för snabbt svar. Ordernumret är {n}, som jag skrev tidigare.",
        "Hej,\n\nDet fungerar tyvärr fortfarande inte. Jag har provat att starta om och logga ut och in igen "
        "som ni föreslog, men får samma fel.",
        "Perfekt, tack så mycket för hjälpen! Då är jag nöjd.",
        "Tack! Då väntar jag på besked.",
        "Hej,\n\nJag bifogar kvittot som ni bad om. Säg till om ni behöver något mer.",
        "Ursäkta att jag tjatar, men när kan jag räkna med att få pengarna tillbaka? Det har gått över en vecka.",
    ],
    "en": [
        "Hi again,\n\nI still have not heard back about this. Could you please look into it as soon as possible?",
        "Thanks for the quick reply. The order number is {n}, as I wrote earlier.",
        "Hi,\n\nUnfortunately it still does not work. I restarted and logged out and in again as you suggested, "
        "but I get the same error.",
        "Perfect, thank you so much for your help!",
        "Thanks, I'll wait to hear from you.",
        "Hi,\n\nPlease find the receipt attached, as you asked. Let me know if you need anything else.",
        "Sorry to chase, but when can I expect the refund? It has been more than a week.",
    ],
}
REFERENCE_SUBJECTS = {
    "sv": ["Ang. ärende {ref}", "SV: {topic} {ref}", "Ärende {ref} - {topic}", "Fråga om ärende {ref}"],
    "en": ["Re: case {ref}", "RE: {topic} {ref}", "Case {ref}: {topic}", "Following up on {ref}"],
}
OUT_OF_OFFICE = {
    "sv": (
        ["Automatiskt svar: {topic}", "Frånvaro: {topic}", "Autosvar: {topic}"],
        "Hej!\n\nJag är på semester till och med den {d} mars och har begränsad tillgång till e-post. "
        "Ditt meddelande läses när jag är tillbaka.\n\nVid brådskande ärenden, kontakta växeln på 08-123 456 78."
        "\n\nMed vänliga hälsningar\n{name}",
    ),
    "en": (
        ["Automatic reply: {topic}", "Out of Office: {topic}", "Auto: {topic}"],
        "Hello,\n\nI am out of the office until {d} March with limited access to email. I will read your "
        "message when I am back.\n\nFor urgent matters, please call our switchboard on +44 20 7946 0000."
        "\n\nKind regards,\n{name}",
    ),
}
SIGN_OFFS = {
    "sv": ["Mvh\n{first}", "Med vänliga hälsningar\n{name}", "Hälsningar\n{first}", "Tack på förhand!\n{name}"],
    "en": ["Thanks,\n{first}", "Kind regards,\n{name}", "Best,\n{first}", "Many thanks\n{name}"],
}
MOBILE = {
    "apple": {"sv": "Skickat från min iPhone", "en": "Sent from my iPhone"},
    "outlook": {"sv": "Hämta Outlook för iOS", "en": "Get Outlook for iOS"},
}
OUTLOOK_STYLE = (
    '<!--\n/* Font Definitions */\n@font-face\n\t{font-family:"Cambria Math";\n\tpanose-1:2 4 5 3 5 4 6 3 2 4;}\n'
    "@font-face\n\t{font-family:Calibri;\n\tpanose-1:2 15 5 2 2 2 4 3 2 4;}\n/* Style Definitions */\n"
    'p.MsoNormal, li.MsoNormal, div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n\tfont-family:"Calibri",'
    "sans-serif;\n\tmso-fareast-language:EN-US;}\na:link, span.MsoHyperlink\n\t{mso-style-priority:99;\n\t"
    "color:#0563C1;\n\ttext-decoration:underline;}\nspan.E-postmall17\n\t{mso-style-type:personal-compose;\n\t"
    'font-family:"Calibri",sans-serif;\n\tcolor:windowtext;}\n.MsoChpDefault\n\t{mso-style-type:export-only;\n\t'
    "font-size:10.0pt;\n\tmso-fareast-language:EN-US;}\n@page WordSection1\n\t{size:612.0pt 792.0pt;\n\t"
    "margin:72.0pt 72.0pt 72.0pt 72.0pt;}\ndiv.WordSection1\n\t{page:WordSection1;}\n-->"
)


# --- the mix -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    name: str
    address: str
    lang: str
    client: str


@dataclass
class Filed:
    """A message of the mix that files into a case: what a later message needs to answer or quote it."""

    index: int
    sender: Sender
    topic: str
    message_id: str
    references: list[str]
    text: str
    date: datetime


@dataclass
class Mail:
    kind: str
    raw: bytes
    sender: str = ""
    parent: int | None = None  # REFERENCE: the message whose case reference goes into the subject


@dataclass
class Mix:
    mails: list[Mail]
    timed: int  # the first `timed` mails are timed, the rest are the query sample
    senders: int = 0
    kinds: Counter[str] = field(default_factory=Counter)


def _kinds(rng: random.Random, count: int) -> list[str]:
    """Exactly the shares of each kind (at least one of each when count allows), the first ones new."""
    numbers = {kind: round(share * count) for kind, share in SHARES.items()}
    if count >= 20:
        numbers = {kind: max(1, n) for kind, n in numbers.items()}
    new = count - sum(numbers.values())
    head = min(3, new)
    rest = [NEW] * (new - head) + [kind for kind, n in numbers.items() for _ in range(n)]
    rng.shuffle(rest)
    return [NEW] * head + rest


def _hex(rng: random.Random, n: int) -> str:
    return rng.randbytes((n + 1) // 2).hex()[:n]


def _b64(rng: random.Random, n: int) -> str:
    return base64.b64encode(rng.randbytes(n * 3 // 4)).decode("ascii")[:n]


def _fold(value: str, width: int = 72) -> str:
    """A long opaque header value (a signature) folded onto continuation lines."""
    return "\n\t".join(value[i : i + width] for i in range(0, len(value), width))


def _encoded_words(text: str, *, charset: str = "utf-8", b: bool = False) -> str:
    """RFC 2047: `text` as encoded words (split so each stays under 75 characters), ASCII as is."""
    if text.isascii():
        return text
    words = []
    for chunk in textwrap.wrap(text, 18, drop_whitespace=False) or [text]:
        data = chunk.encode(charset)
        if b:
            words.append(f"=?{charset}?B?{base64.b64encode(data).decode('ascii')}?=")
        else:
            encoded = "".join(
                "_" if byte == 0x20 else chr(byte) if chr(byte).isalnum() and byte < 0x80 else f"={byte:02X}"
                for byte in data
            )
            words.append(f"=?{charset}?Q?{encoded}?=")
    return "\n ".join(words)


def _mailbox(name: str, address: str, *, charset: str = "utf-8", b: bool = False) -> str:
    if name.isascii():
        return f'"{name}" <{address}>' if "," in name else f"{name} <{address}>"
    return f"{_encoded_words(name, charset=charset, b=b)} <{address}>"


def _qp(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def _b64_body(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def _entity(content_type: str, body: str, *, cte: str, extra: Sequence[str] = ()) -> tuple[list[str], str]:
    return [f"Content-Type: {content_type}", f"Content-Transfer-Encoding: {cte}", *extra], body


def _multipart(subtype: str, boundary: str, parts: Sequence[tuple[list[str], str]]) -> tuple[list[str], str]:
    body = "".join(
        f"--{boundary}\n" + "\n".join(headers) + "\n\n" + text.rstrip("\n") + "\n" for headers, text in parts
    )
    return [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'], body + f"--{boundary}--\n"


def _flowed(text: str) -> str:
    """format=flowed: long lines wrapped with a trailing space (a soft break), quoted lines kept."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= 76 or line.startswith(">"):
            lines.append(line)
            continue
        wrapped = textwrap.wrap(line, 72)
        lines += [w + " " for w in wrapped[:-1]] + wrapped[-1:]
    return "\n".join(lines)


def _html_paragraphs(text: str, tag: str = "div") -> str:
    blocks = []
    for paragraph in text.split("\n\n"):
        inner = "<br>\n".join(html.escape(line) for line in paragraph.split("\n"))
        blocks.append(f'<p class="MsoNormal">{inner}<o:p></o:p></p>' if tag == "p" else f"<div>{inner}</div>")
    return (
        "\n<div><br></div>\n".join(blocks)
        if tag == "div"
        else '\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'.join(blocks)
    )


class _Generator:
    def __init__(self, *, rng: random.Random, senders: int) -> None:
        self.rng = rng
        clients, weights = list(CLIENTS), list(CLIENTS.values())
        self.senders: list[Sender] = []
        for i in range(senders):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            client = rng.choices(clients, weights)[0]
            domain = rng.choice(CLIENT_DOMAINS[client])
            local = f"{first}.{last}{i}".lower().translate(ASCII)
            lang = "en" if first in ("Olivia", "Liam", "Noah", "Grace", "Henry", "Amelia") else "sv"
            self.senders.append(Sender(name=f"{first} {last}", address=f"{local}@{domain}", lang=lang, client=client))
        self.unused = list(range(senders))
        rng.shuffle(self.unused)
        self.filed: list[Filed] = []
        self.per_sender: Counter[str] = Counter()
        self.bounced: set[str] = set()

    # -- one message of each kind --

    def new(self, index: int, date: datetime) -> Mail:
        rng = self.rng
        sender = self.senders[self.unused.pop()] if self.unused else rng.choice(self.senders)
        topic, opening = rng.choice(SUBJECTS[sender.lang])
        details = rng.sample(DETAILS[sender.lang], rng.randint(1, 4))
        paragraphs = [
            opening,
            *(d.format(n=rng.randint(10000, 99999), d=rng.randint(1, 28), month="mars") for d in details),
        ]
        greeting = [] if opening.startswith(("Hej", "Hi")) else ["Hej!" if sender.lang == "sv" else "Hello,"]
        text = "\n\n".join([*greeting, *paragraphs, self._sign_off(sender)])
        attach = rng.random() < 0.15
        html_only = not attach and sender.client == "gmail" and rng.random() < 0.1
        return self._compose(
            index,
            NEW,
            sender,
            topic=topic,
            subject=topic,
            new_text=text,
            date=date,
            attach=attach,
            html_only=html_only,
        )

    def reply(self, index: int, date: datetime, *, reference: bool) -> Mail:
        rng = self.rng
        parent = self._parent()
        sender = parent.sender
        new_text = rng.choice(REPLY_TEXTS[sender.lang]).format(n=rng.randint(10000, 99999))
        new_text += "\n\n" + self._sign_off(sender)
        attach = "bifogar" in new_text or "attached" in new_text
        if reference:
            subject = rng.choice(REFERENCE_SUBJECTS[sender.lang]).format(ref="{ref}", topic=parent.topic)
            mail = self._compose(
                index,
                REFERENCE,
                sender,
                topic=parent.topic,
                subject=subject,
                new_text=new_text,
                date=date,
                attach=attach,
                quote=parent,
                threaded=False,
            )
            mail.parent = parent.index
            return mail
        prefix = {"outlook": "SV: ", "legacy": "SV: "}.get(sender.client, "Sv: ") if sender.lang == "sv" else "Re: "
        return self._compose(
            index,
            REPLY,
            sender,
            topic=parent.topic,
            subject=prefix + parent.topic,
            new_text=new_text,
            date=date,
            attach=attach,
            quote=parent,
        )

    def auto_reply(self, index: int, date: datetime) -> Mail:
        rng = self.rng
        parent = rng.choice(self.filed[-RECENT_THREADS:])
        sender = parent.sender
        subjects, body = OUT_OF_OFFICE[sender.lang]
        subject = rng.choice(subjects).format(topic=parent.topic)
        text = body.format(d=rng.randint(10, 28), name=sender.name)
        # most answer a message of the mix; some answer one Lofte no longer knows (no case, still an auto-reply)
        in_reply_to = parent.message_id if rng.random() < 0.7 else f"<{_hex(rng, 24)}@lofte.localhost>"
        auto = "auto-generated" if sender.client in ("outlook", "legacy") else "auto-replied"
        extra = [f"Auto-Submitted: {auto}", "X-Auto-Response-Suppress: All", f"In-Reply-To: {in_reply_to}"]
        if sender.client == "gmail":
            extra.append("Precedence: bulk")
        return self._compose(
            index,
            AUTO_REPLY,
            sender,
            topic=parent.topic,
            subject=subject,
            new_text=text,
            date=date,
            attach=False,
            extra=extra,
            threaded=False,
        )

    def bounce(self, index: int, date: datetime) -> Mail:
        rng = self.rng
        about = rng.choice(self.filed)
        host = "mx.lofte.localhost"
        recipient = about.sender.address
        diagnostic = f"550 5.1.1 <{recipient}>: Recipient address rejected: User unknown in virtual mailbox table"
        subject = rng.choice(
            [
                "Undelivered Mail Returned to Sender",
                "Delivery Status Notification (Failure)",
                f"Olevererbart: SV: {about.topic}",
                f"Undeliverable: RE: {about.topic}",
            ]
        )
        queue_id = _hex(rng, 11).upper()
        human = (
            f"This is the mail system at host {host}.\n\nI'm sorry to have to inform you that your message could not\n"
            "be delivered to one or more recipients. It's attached below.\n\nFor further assistance, please send "
            "mail to postmaster.\n\nIf you do so, please include this problem report. You can\ndelete your own text "
            "from the attached returned message.\n\n                   The mail system\n\n"
            f"<{recipient}>: host mx.{recipient.split('@')[1]}[192.0.2.{rng.randint(2, 250)}] said: {diagnostic} "
            "(in reply to RCPT TO command)\n"
        )
        status = (
            f"Reporting-MTA: dns; {host}\nX-Postfix-Queue-ID: {queue_id}\nX-Postfix-Sender: rfc822; {SUPPORT}\n"
            f"Arrival-Date: {format_datetime(date - timedelta(seconds=3))}\n\n"
            f"Final-Recipient: rfc822; {recipient}\nOriginal-Recipient: rfc822;{recipient}\nAction: failed\n"
            f"Status: 5.1.1\nRemote-MTA: dns; mx.{recipient.split('@')[1]}\nDiagnostic-Code: smtp; {diagnostic}\n"
        )
        original = (
            f"Return-Path: <{SUPPORT}>\nReceived: by {host} (Postfix, from userid 1000)\n\tid {queue_id}; "
            f"{format_datetime(date - timedelta(seconds=4))}\nFrom: {SUPPORT_NAME} <{SUPPORT}>\n"
            f"To: {_mailbox(about.sender.name, recipient)}\nSubject: {_encoded_words('SV: ' + about.topic)}\n"
            f"Message-ID: {about.message_id}\nDate: {format_datetime(about.date)}\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\nAuto-Submitted: auto-replied\n"
        )
        boundary = f"{queue_id}.{int(date.timestamp())}/{host}"
        content, body = _multipart(
            "report",
            boundary,
            [
                (["Content-Description: Notification", "Content-Type: text/plain; charset=us-ascii"], human),
                (["Content-Description: Delivery report", "Content-Type: message/delivery-status"], status),
                (["Content-Description: Undelivered Message Headers", "Content-Type: text/rfc822-headers"], original),
            ],
        )
        content = [content[0].replace("multipart/report;", "multipart/report; report-type=delivery-status;")]
        headers = [
            "Return-Path: <>",
            f"Delivered-To: {SUPPORT}",
            f"Received: by {host} (Postfix)\n\tid {_hex(rng, 11).upper()}; {format_datetime(date)}",
            f"Date: {format_datetime(date)}",
            f"From: Mail Delivery System <MAILER-DAEMON@{host}>",
            f"Subject: {_encoded_words(subject)}",
            f"To: {SUPPORT}",
            "Auto-Submitted: auto-replied",
            f"Message-ID: <{date.strftime('%Y%m%d%H%M%S')}.{queue_id}@{host}>",
            "MIME-Version: 1.0",
            *content,
        ]
        return Mail(kind=BOUNCE, raw=_bytes(headers, body))

    # -- the parts --

    def _parent(self) -> Filed:
        recent = self.filed[-RECENT_THREADS:]
        for _attempt in range(20):
            parent = self.rng.choice(recent)
            if self.per_sender[parent.sender.address] < MAX_PER_SENDER:
                return parent
        return min(recent, key=lambda f: self.per_sender[f.sender.address])

    def _sign_off(self, sender: Sender) -> str:
        rng = self.rng
        first = sender.name.split()[0]
        text = rng.choice(SIGN_OFFS[sender.lang]).format(first=first, name=sender.name)
        if sender.client in MOBILE and rng.random() < 0.4:
            text += "\n\n" + MOBILE[sender.client][sender.lang]
        elif rng.random() < 0.25:
            text = (
                text
                + f"\n\n-- \n{sender.name}\n070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
            )
        return text

    def _quote_header(self, sender: Sender, quoted: Filed) -> str:
        d, who = quoted.date, f"{quoted.sender.name} <{quoted.sender.address}>"
        hhmm = d.strftime("%H:%M")
        sv = sender.lang == "sv"
        match sender.client:
            case "gmail":
                if sv:
                    day = f"{WEEKDAYS_SV[d.weekday()]} {d.day} {MONTHS_SV[d.month - 1]} {d.year}"
                    return f"Den {day} kl {hhmm} skrev {who}:"
                return f"On {d.strftime('%a')}, {d.day} {d.strftime('%b')} {d.year} at {hhmm}, {who} wrote:"
            case "apple":
                if sv:
                    return f"{d.day} {MONTHS_SV_LONG[d.month - 1]} {d.year} kl. {hhmm} skrev {who}:"
                return f"On {d.day} {d.strftime('%b')} {d.year}, at {hhmm}, {who} wrote:"
            case "thunderbird":
                return (
                    f"Den {d:%Y-%m-%d} kl. {hhmm}, skrev {quoted.sender.name}:"
                    if sv
                    else (f"On {d:%d/%m/%Y} {hhmm}, {quoted.sender.name} wrote:")
                )
        if sv:
            return (
                f"Från: {who}\nSkickat: den {d.day} {MONTHS_SV_LONG[d.month - 1]} {d.year} {hhmm}\n"
                f"Till: {SUPPORT_NAME} <{SUPPORT}>\nÄmne: {quoted.topic}"
            )
        return (
            f"From: {who}\nSent: {d.strftime('%A, %B')} {d.day}, {d.year} {d.strftime('%I:%M %p')}\n"
            f"To: {SUPPORT_NAME} <{SUPPORT}>\nSubject: {quoted.topic}"
        )

    def _with_quote(self, sender: Sender, new_text: str, quoted: Filed) -> str:
        history = quoted.text.split("\n")[:60]
        head = self._quote_header(sender, quoted)
        if sender.client == "outlook":
            return f"{new_text}\n\n________________________________\n{head}\n\n" + "\n".join(history)
        if sender.client == "legacy":
            sep = "-----Ursprungligt meddelande-----" if sender.lang == "sv" else "-----Original Message-----"
            return f"{new_text}\n\n{sep}\n{head}\n\n" + "\n".join(history)
        prefixed = "\n".join(">" + line if line.startswith(">") else ("> " + line).rstrip() for line in history)
        if sender.client == "apple":
            return f"{new_text}\n\n> {head}\n> \n{prefixed}"
        return f"{new_text}\n\n{head}\n\n{prefixed}"

    def _html(self, sender: Sender, new_text: str, quoted: Filed | None) -> str:
        if sender.client == "outlook":
            quote = ""
            if quoted is not None:
                head = "<br>\n".join(
                    f"<b>{html.escape(k)}:</b> {html.escape(v)}"
                    for k, _, v in (line.partition(": ") for line in self._quote_header(sender, quoted).split("\n"))
                )
                quote = (
                    '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
                    f'<p class="MsoNormal">{head}<o:p></o:p></p>\n</div>\n'
                    + _html_paragraphs("\n".join(quoted.text.split("\n")[:60]), "p")
                )
            return (
                '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/'
                'omml" xmlns="http://www.w3.org/TR/REC-html40">\n<head>\n<meta http-equiv="Content-Type" '
                'content="text/html; charset=utf-8">\n<meta name="Generator" content="Microsoft Word 15 (filtered '
                f'medium)">\n<style>{OUTLOOK_STYLE}</style>\n</head>\n<body lang="SV" link="#0563C1" vlink="#954F72" '
                'style="word-wrap:break-word">\n<div class="WordSection1">\n'
                f"{_html_paragraphs(new_text, 'p')}\n{quote}\n</div>\n</body>\n</html>\n"
            )
        quote = ""
        if quoted is not None:
            inner = _html_paragraphs("\n".join(quoted.text.split("\n")[:60]))
            head = html.escape(self._quote_header(sender, quoted))
            if sender.client == "gmail":
                quote = (
                    f'<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">{head}<br></div>'
                    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid '
                    f'rgb(204,204,204);padding-left:1ex">{inner}</blockquote></div>'
                )
            else:
                quote = f'<div dir="ltr"><br><blockquote type="cite">{head}<br><br>{inner}</blockquote></div>'
        if sender.client == "gmail":
            return f'<div dir="ltr">{_html_paragraphs(new_text)}</div>{quote}\n'
        return (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
            f'<body dir="auto"><div dir="ltr">{_html_paragraphs(new_text)}</div>{quote}</body></html>\n'
        )

    def _attachment(self, sender: Sender) -> tuple[list[str], str]:
        rng = self.rng
        name = rng.choice(
            ["Faktura {n}.pdf", "Kvitto_{n}.pdf", "Skärmbild {n}.pdf", "Receipt-{n}.pdf", "Följesedel.pdf"]
        )
        name = name.format(n=rng.randint(1000, 9999))
        size = rng.randint(20_000, 60_000)
        data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        data += rng.randbytes(size) + b"\n%%EOF\n"
        if name.isascii():
            params = f'name="{name}"', f'filename="{name}"'
        elif sender.client == "thunderbird":
            encoded = "".join(
                chr(b) if (b < 0x80 and chr(b).isalnum()) or chr(b) in ".-_" else f"%{b:02X}" for b in name.encode()
            )
            params = f"name*=utf-8''{encoded}", f"filename*=utf-8''{encoded}"
        else:
            words = _encoded_words(name, b=True).replace("\n ", "")
            params = f'name="{words}"', f'filename="{words}"'
        return _entity(
            f"application/pdf; {params[0]}",
            _b64_body(data),
            cte="base64",
            extra=[f"Content-Disposition: attachment; {params[1]}; size={len(data)}"],
        )

    def _compose(
        self,
        index: int,
        kind: str,
        sender: Sender,
        *,
        topic: str,
        subject: str,
        new_text: str,
        date: datetime,
        attach: bool,
        html_only: bool = False,
        quote: Filed | None = None,
        threaded: bool = True,
        extra: Sequence[str] = (),
    ) -> Mail:
        rng = self.rng
        client = sender.client
        text = self._with_quote(sender, new_text, quote) if quote is not None else new_text
        domain = sender.address.split("@")[1]
        message_id = {
            "gmail": lambda: f"<CA{_b64(rng, 40).replace('/', '_')}@mail.gmail.com>",
            "outlook": lambda: (
                f"<AM{_hex(rng, 4).upper()}PR08MB{_hex(rng, 4).upper()}"
                f"{_hex(rng, 28).upper()}@AM0PR08MB1234.eurprd08.prod.outlook.com>"
            ),
            "apple": lambda: (
                f"<{_hex(rng, 8).upper()}-{_hex(rng, 4).upper()}-{_hex(rng, 4).upper()}-"
                f"{_hex(rng, 12).upper()}@{domain}>"
            ),
        }.get(client, lambda: f"<{_hex(rng, 16)}.{index}@{domain}>")()
        references: list[str] = []
        threading: list[str] = []
        if quote is not None and threaded:
            references = [*quote.references, quote.message_id][-10:]
            threading = [f"In-Reply-To: {quote.message_id}", "References: " + "\n ".join(references)]

        # the body
        charset = "windows-1252" if client == "legacy" else "utf-8"
        if client == "legacy":
            text = text.replace(" - ", " \u2013 ").replace("'", "\u2019")
            entity = _entity(f'text/plain; charset="{charset}"', _qp(text, charset), cte="quoted-printable")
        elif client == "thunderbird":
            entity = _entity("text/plain; charset=UTF-8; format=flowed", _flowed(text), cte="8bit")
        else:
            markup = self._html(sender, new_text, quote)
            if html_only:
                entity = _entity('text/html; charset="UTF-8"', _qp(markup, "utf-8"), cte="quoted-printable")
            else:
                cte = "base64" if client == "outlook" else "quoted-printable"
                encode = (lambda s: _b64_body(s.encode("utf-8"))) if cte == "base64" else (lambda s: _qp(s, "utf-8"))
                entity = _multipart(
                    "alternative",
                    self._boundary(client),
                    [
                        _entity('text/plain; charset="utf-8"', encode(text), cte=cte),
                        _entity('text/html; charset="utf-8"', encode(markup), cte=cte),
                    ],
                )
        if attach:
            entity = _multipart("mixed", self._boundary(client), [entity, self._attachment(sender)])

        # the headers
        b_words = client == "outlook"
        if "{ref}" in subject:  # a REFERENCE message: the placeholder as plain ASCII between encoded words
            before, _, after = subject.partition("{ref}")
            encoded_subject = " ".join(
                part
                for part in (
                    _encoded_words(before.strip(), b=b_words),
                    PLACEHOLDER.decode(),
                    _encoded_words(after.strip(), b=b_words),
                )
                if part
            )
        else:
            encoded_subject = _encoded_words(subject, charset=charset, b=b_words)
        headers = [
            *self._transport_headers(sender, date),
            "MIME-Version: 1.0",
            *threading,
            *extra,
            f"From: {_mailbox(sender.name, sender.address, charset=charset, b=b_words)}",
            f"Date: {format_datetime(date)}",
            f"Message-ID: {message_id}",
            f"Subject: {encoded_subject}",
            f"To: {SUPPORT_NAME} <{SUPPORT}>" if client != "gmail" else f"To: {SUPPORT}",
            *entity[0],
        ]
        if kind in (NEW, REPLY, REFERENCE):
            self.filed.append(
                Filed(
                    index=index,
                    sender=sender,
                    topic=topic,
                    message_id=message_id,
                    references=references,
                    text=text,
                    date=date,
                )
            )
            self.per_sender[sender.address] += 1
        return Mail(kind=kind, raw=_bytes(headers, entity[1]), sender=sender.address)

    def _boundary(self, client: str) -> str:
        rng = self.rng
        if client == "gmail":
            return "0000000000" + _hex(rng, 16)
        if client == "outlook":
            return f"_000_AM0PR08MB{_hex(rng, 4).upper()}{_hex(rng, 20)}_"
        if client == "apple":
            return f"Apple-Mail={_hex(rng, 8).upper()}-{_hex(rng, 4).upper()}-{_hex(rng, 12).upper()}"
        return "------------" + _hex(rng, 24)

    def _transport_headers(self, sender: Sender, date: datetime) -> list[str]:
        """Received, DKIM, ARC and the client's own headers, as they arrive at Lofte's MX."""
        rng = self.rng
        domain = sender.address.split("@")[1]
        stamp = format_datetime(date + timedelta(seconds=rng.randint(1, 9)))
        ip = f"{rng.choice([209, 40, 17, 195])}.{rng.randint(1, 254)}.{rng.randint(1, 254)}.{rng.randint(1, 254)}"
        headers = [
            f"Return-Path: <{sender.address}>",
            f"Delivered-To: {SUPPORT}",
            f"Received: from mx.{domain} (mx.{domain} [{ip}])\n\tby mx.lofte.localhost (Postfix) with ESMTPS id "
            f"{_hex(rng, 11).upper()}\n\tfor <{SUPPORT}>; {stamp}",
            f"Authentication-Results: mx.lofte.localhost;\n\tdkim=pass (2048-bit key) header.d={domain} "
            f"header.i=@{domain} header.b={_b64(rng, 8)};\n\tspf=pass (mx.lofte.localhost: domain of {sender.address} "
            f"designates {ip} as permitted sender) smtp.mailfrom={sender.address};\n\tdmarc=pass (p=NONE) "
            f"header.from={domain}",
        ]
        signed = "h=mime-version:from:date:message-id:subject:to:in-reply-to:references;"
        dkim = (
            f"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n\td={domain}; s=selector1; t="
            f"{int(date.timestamp())};\n\t{signed}\n\tbh={_b64(rng, 44)};\n\tb={_fold(_b64(rng, 344))}"
        )
        client = sender.client
        if client == "gmail":
            headers += [
                f"Received: by mail-sor-f41.google.com with SMTP id {_hex(rng, 16)}sor{_hex(rng, 8)}\n\tfor "
                f"<{SUPPORT}>; {stamp}",
                f"ARC-Seal: i=1; a=rsa-sha256; t={int(date.timestamp())}; cv=none;\n\td=google.com; s=arc-20240605;"
                f"\n\tb={_fold(_b64(rng, 344))}",
                "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=google.com; s=arc-20240605;\n\t"
                f"{signed}\n\tbh={_b64(rng, 44)};\n\tb={_fold(_b64(rng, 344))}",
                f"ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@{domain}",
                dkim,
                f"X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n\td=1e100.net; s=20230601;\n\t"
                f"bh={_b64(rng, 44)};\n\tb={_fold(_b64(rng, 344))}",
                f"X-Gm-Message-State: AOJu0Y{_b64(rng, 90)}",
                f"X-Google-Smtp-Source: AGHT+I{_b64(rng, 80)}",
                f"X-Received: by 2002:a05:6512:{_hex(rng, 4)}:b0:{_hex(rng, 3)}:{_hex(rng, 4)} with SMTP id "
                f"{_hex(rng, 16)}; {stamp}",
            ]
        elif client == "outlook":
            tenant = f"{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 12)}"
            headers += [
                f"Received: from AM0PR08MB1234.eurprd08.prod.outlook.com (2603:10a6:208:{_hex(rng, 3)}::{_hex(rng, 2)})"
                f"\n\tby AS8PR08MB{_hex(rng, 4)}.eurprd08.prod.outlook.com with Microsoft SMTP Server\n\t"
                f"(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8534.31; {stamp}",
                "ARC-Seal: i=1; a=rsa-sha256; s=arcselector10001; d=microsoft.com; cv=none;\n\t"
                f"b={_fold(_b64(rng, 344))}",
                "ARC-Message-Signature: i=1; a=rsa-sha256; c=relaxed/relaxed; d=microsoft.com; s=arcselector10001;\n\t"
                f"h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-AntiSpam-MessageData-ChunkCount"
                f";\n\tbh={_b64(rng, 44)};\n\tb={_fold(_b64(rng, 344))}",
                dkim,
                "Thread-Topic: " + _encoded_words("Ärende", b=True),
                f"Thread-Index: AQHa{_b64(rng, 40)}",
                "Accept-Language: sv-SE, en-US",
                "Content-Language: sv-SE",
                "X-MS-Has-Attach:",
                "X-MS-TNEF-Correlator:",
                "x-ms-publictraffictype: Email",
                f"x-ms-traffictypediagnostic: AM0PR08MB1234:EE_|AS8PR08MB{_hex(rng, 4)}:EE_",
                f"x-ms-office365-filtering-correlation-id: {tenant}",
                "x-ms-exchange-senderadcheck: 1",
                "x-ms-exchange-antispam-relay: 0",
                "x-microsoft-antispam: BCL:0;ARA:13230040|366016|1800799024|376014|38070700018;",
                f"x-microsoft-antispam-message-info:\n\t{_fold(_b64(rng, 600))}",
                "x-forefront-antispam-report:\n\tCIP:255.255.255.255;CTRY:;LANG:sv;SCL:1;SRV:;IPV:NLI;SFV:NSPM;H:AM0PR08MB"
                "1234.eurprd08.prod.outlook.com;PTR:;CAT:NONE;SFS:(13230040)(366016)(1800799024);DIR:OUT;SFP:1101;",
                f"x-ms-exchange-antispam-messagedata-chunkcount: 1\nx-ms-exchange-antispam-messagedata-0:\n\t"
                f"{_fold(_b64(rng, 900))}",
                "X-OriginatorOrg: outlook.com",
                f"X-MS-Exchange-CrossTenant-AuthAs: Internal\nX-MS-Exchange-CrossTenant-Id: {tenant}",
                f"X-MS-Exchange-CrossTenant-originalarrivaltime: {stamp}",
                f"X-MS-Exchange-Transport-CrossTenantHeadersStamped: AS8PR08MB{_hex(rng, 4)}",
            ]
        elif client == "apple":
            headers += [
                dkim,
                f"X-Proofpoint-GUID: {_b64(rng, 32)}",
                "X-Mailer: iPhone Mail (22D82)" if rng.random() < 0.5 else "X-Mailer: Apple Mail (2.3826.400.131.1.6)",
            ]
        elif client == "thunderbird":
            headers += [
                dkim,
                "User-Agent: Mozilla Thunderbird",
                "Content-Language: sv-SE" if sender.lang == "sv" else "Content-Language: en-GB",
            ]
        else:
            headers += [
                "X-Mailer: Microsoft Outlook 14.0",
                f"Thread-Index: Ac{_b64(rng, 26)}",
                "Content-Language: sv",
                "X-MS-Exchange-Organization-SCL: -1",
            ]
        return headers


def _bytes(headers: Sequence[str], body: str) -> bytes:
    text = "\n".join(headers) + "\n\n" + body
    return text.replace("\n", "\r\n").encode("utf-8")


def generate(messages: int, *, seed: int = 1, sample: int = SAMPLE) -> Mix:
    """`messages` raw messages to time and `sample` more of the same mix to count queries on."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data, not security
    total = messages + sample
    generator = _Generator(rng=rng, senders=max(1, total // 3))
    kinds = _kinds(rng, messages) + _kinds(rng, sample)
    mails: list[Mail] = []
    date = T0
    for index, kind in enumerate(kinds):
        date += timedelta(seconds=rng.randint(20, 600))
        if kind == NEW or not generator.filed:
            mail = generator.new(index, date)
        elif kind == REPLY:
            mail = generator.reply(index, date, reference=False)
        elif kind == REFERENCE:
            mail = generator.reply(index, date, reference=True)
        elif kind == AUTO_REPLY:
            mail = generator.auto_reply(index, date)
        else:
            mail = generator.bounce(index, date)
        mails.append(mail)
    timed = mails[:messages]
    senders = len({m.sender for m in timed if m.kind == NEW})
    return Mix(mails=mails, timed=messages, senders=senders, kinds=Counter(m.kind for m in timed))


# --- measuring ---------------------------------------------------------------------------------


@contextmanager
def media_root() -> Iterator[Path]:
    """MEDIA_ROOT (where the default storage writes raw messages and attachments) in a temporary
    directory of DATA_DIR for the benchmark, removed afterwards: the user's files are never touched."""
    root = Path(tempfile.mkdtemp(prefix="bench_email_media_", dir=settings.DATA_DIR))
    try:
        with override_settings(MEDIA_ROOT=str(root)):
            location = getattr(default_storage, "location", None)
            if location is None or Path(location).resolve() != root.resolve():
                raise RuntimeError(
                    "The default storage does not write under MEDIA_ROOT; the email benchmark will not write to it."
                )
            yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _with_reference(mail: Mail, cases: Sequence[str | None]) -> bytes:
    """A REFERENCE message's bytes with its parent's case reference in the subject (see PLACEHOLDER)."""
    reference = cases[mail.parent] if mail.parent is not None else None
    mail.raw = mail.raw.replace(PLACEHOLDER, f"[{reference}]".encode() if reference else b"")
    return mail.raw


def ingest_timed(mix: Mix, cases: list[str | None]) -> tuple[float, list[IngestResult], list[float]]:
    """Part A: every timed message through `email_ingest`, in order. Returns the wall-clock seconds, the
    results, and each message's seconds; `cases` gets each message's case reference."""
    results: list[IngestResult] = []
    durations: list[float] = []
    clock = time.perf_counter
    started = clock()
    for mail in mix.mails[: mix.timed]:
        began = clock()
        raw = mail.raw if mail.parent is None else _with_reference(mail, cases)
        result = email_ingest(raw)
        cases.append(result.case)
        results.append(result)
        durations.append(clock() - began)
    return clock() - started, results, durations


def ingest_counted(mix: Mix, cases: list[str | None]) -> list[tuple[IngestResult, int]]:
    """The sample after the timed messages, one by one under CaptureQueriesContext (not timed)."""
    counted = []
    for mail in mix.mails[mix.timed :]:
        raw = mail.raw if mail.parent is None else _with_reference(mail, cases)
        with CaptureQueriesContext(connection) as queries:
            result = email_ingest(raw)
        cases.append(result.case)
        counted.append((result, len(queries)))
    return counted


def parse_only(raws: Sequence[bytes], *, runs: int = 2) -> float:
    """Part B: the standard library's parser over the same bytes; the fastest of `runs`, in seconds."""
    parser = email.parser.BytesParser(policy=email.policy.default)
    best = float("inf")
    for _run in range(runs):
        started = time.perf_counter()
        for raw in raws:
            parser.parsebytes(raw)
        best = min(best, time.perf_counter() - started)
    return best


def _quarantined(results: Sequence[IngestResult]) -> list[str]:
    return [f"#{r.inbound_id}: {r.error}" for r in results if r.outcome == Outcome.QUARANTINED]


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def language_timed() -> list[float]:
    """Milliseconds that language detection takes on each inbound message as ingest gives it the text (subject
    and new words), timed apart from the rest of ingest."""
    took = []
    rows = Message.objects.filter(direction="in").values_list("subject", "visible_text", "body_text")
    for subject, visible, body in rows.iterator():
        started = time.perf_counter()
        language_detect(f"{subject}\n{visible or body}")
        took.append((time.perf_counter() - started) * 1000)
    return took


def triage_timed(limit: int = TRIAGE_SAMPLE) -> tuple[list[float], list[float]]:
    """For the first `limit` inbound messages: the milliseconds the ingest path spends handing the message to text
    understanding (is a model on, and queue the task after the commit), and the milliseconds the worker then takes
    to make its suggestions (one embedding, every switched-on model)."""
    opened = set(CaseEvent.objects.filter(kind="created").values_list("message_id", flat=True))
    queued, suggested = [], []
    for message in Message.objects.filter(direction="in", internal=False).order_by("id")[:limit]:
        began = time.perf_counter()
        with transaction.atomic():
            message_arrived(Arrival(message=message, opened=message.pk in opened, proven=False))
        queued.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        message_triage(message_id=message.pk, opened=message.pk in opened, proven=False)
        suggested.append((time.perf_counter() - began) * 1000)
    DBTaskResult.objects.filter(task_path__endswith="triage_message").delete()
    return queued, suggested


def run_benchmark(
    messages: int = DEFAULT_MESSAGES, seed: int = 1, *, progress: Progress | None = None, suggestions: int = 0
) -> dict[str, Any]:
    """Generate the mix, ingest it in a database of its own, and return the figures (`lofte bench_email --json`)."""
    say = progress or (lambda _message: None)
    if messages < 1:
        raise ValueError("messages must be at least 1")
    started = time.perf_counter()
    mix = generate(messages, seed=seed)
    generate_s = time.perf_counter() - started
    sizes = [len(m.raw) for m in mix.mails[:messages]]
    say(
        f"generated {messages:,} messages (+{len(mix.mails) - messages} for the query count) in {generate_s:.1f} s: "
        f"{dict(mix.kinds)}, median {statistics.median(sizes) / 1024:.1f} KB"
    )
    with bench_database("benchemail") as name, media_root():
        vendor = connection.vendor
        say(f"database: {vendor} {name}")
        own_addresses_clear()
        policy_cache_clear()
        predict.forget_all()
        if suggestions:
            began = time.perf_counter()
            starting_models_train(run_now=True)  # switched on: each message's suggestions are queued, as in use
            say(f"Lofte's starting models (complaint, status question) trained in {time.perf_counter() - began:.0f} s")
        try:
            cases: list[str | None] = []
            ingest_s, results, durations = ingest_timed(mix, cases)
            say(f"ingest: {messages:,} messages in {ingest_s:.2f} s ({messages / ingest_s:.0f}/s)")
            counted = ingest_counted(mix, cases)
            say(f"query count: {len(counted)} more messages")
            language_ms = language_timed()
            queue_ms, suggest_ms = triage_timed(suggestions) if suggestions else ([], [])
        finally:
            predict.forget_all()
            own_addresses_clear()
            policy_cache_clear()
    trouble = _quarantined(results) + _quarantined([r for r, _n in counted])
    if trouble:
        raise RuntimeError(f"{len(trouble)} benchmark messages were quarantined: " + "; ".join(trouble[:5]))
    raws = [m.raw for m in mix.mails[:messages]]  # as ingested: the references are in their subjects now
    parse_s = parse_only(raws)
    say(f"parse only: {messages:,} messages in {parse_s:.3f} s ({messages / parse_s:.0f}/s)")

    outcomes = Counter(str(r.outcome) for r in results)
    expected = Counter(str(EXPECTED[m.kind]) for m in mix.mails[:messages])
    mismatches = [
        {"index": i, "kind": m.kind, "outcome": str(r.outcome), "case": r.case}
        for i, (m, r) in enumerate(zip(mix.mails, results, strict=False))
        if r.outcome != EXPECTED[m.kind]
    ]
    if mismatches:
        say(f"warning: {len(mismatches)} messages did not end as their kind should: {mismatches[:5]}")
    by_outcome: dict[str, list[int]] = {}
    for one, count in counted:
        by_outcome.setdefault(str(one.outcome), []).append(count)
    by_kind: dict[str, list[float]] = {}
    for mail, seconds in zip(mix.mails, durations, strict=False):
        by_kind.setdefault(mail.kind, []).append(seconds)
    ingest_per_s = messages / ingest_s
    parse_per_s = messages / parse_s
    milliseconds = sorted(d * 1000 for d in durations)
    figures: dict[str, Any] = {
        "messages": messages,
        "ingest_per_s": round(ingest_per_s, 1),
        "parse_only_per_s": round(parse_per_s, 1),
        "ratio": round(ingest_per_s / parse_per_s, 4),
        "target_ratio": TARGET_RATIO,
        "queries_per_message": round(sum(n for _r, n in counted) / len(counted), 2) if counted else None,
        "queries_by_outcome": {k: round(statistics.mean(v), 1) for k, v in sorted(by_outcome.items())},
        "queries_max": max((n for _r, n in counted), default=None),
        "query_sample": len(counted),
        "outcomes": dict(sorted(outcomes.items())),
        "outcomes_expected": dict(sorted(expected.items())),
        "mismatches": len(mismatches),
        "database": vendor,
        "seed": seed,
        "mix": dict(sorted(mix.kinds.items())),
        "senders": mix.senders,
        "median_bytes": round(statistics.median(sizes)),
        "mean_bytes": round(statistics.mean(sizes)),
        "total_mb": round(sum(sizes) / 2**20, 2),
        "ingest_s": round(ingest_s, 3),
        "parse_only_s": round(parse_s, 4),
        "ingest_p50_ms": round(statistics.median(milliseconds), 2),
        "ingest_p95_ms": round(milliseconds[min(len(milliseconds) - 1, int(len(milliseconds) * 0.95))], 2),
        "ingest_ms_by_kind": {k: round(statistics.mean(v) * 1000, 2) for k, v in sorted(by_kind.items())},
        # the part of ingest that tells the language a message is written in (lofte.core.language), per message
        "language_p50_ms": round(statistics.median(language_ms), 3) if language_ms else None,
        "language_p95_ms": round(_p95(language_ms), 3) if language_ms else None,
        # handing a message to text understanding on the ingest path (lofte.triage.seams), and the suggestions the
        # worker then makes of it (lofte.triage.suggest), per message
        "triage_queue_p50_ms": round(statistics.median(queue_ms), 3) if queue_ms else None,
        "triage_queue_p95_ms": round(_p95(queue_ms), 3) if queue_ms else None,
        "suggest_p50_ms": round(statistics.median(suggest_ms), 2) if suggest_ms else None,
        "suggest_p95_ms": round(_p95(suggest_ms), 2) if suggest_ms else None,
        "suggest_sample": len(suggest_ms),
        "generate_s": round(generate_s, 2),
    }
    return figures


def format_table(result: dict[str, Any]) -> str:
    """The human-readable report."""
    ok = result["ratio"] >= result.get("target_ratio", TARGET_RATIO)
    lines = [
        f"Lofte email ingestion: {result['messages']:,} messages (seed {result['seed']}) on {result['database']}",
        f"mix: {', '.join(f'{k} {v:,}' for k, v in result['mix'].items())}; {result['senders']:,} senders of new "
        f"messages; median {result['median_bytes'] / 1024:.1f} KB, mean {result['mean_bytes'] / 1024:.1f} KB, "
        f"{result['total_mb']} MB in all",
        "",
        f"{'':40}{'msg/s':>10}{'seconds':>10}",
        f"{'A: email_ingest (store, parse, file)':40}{result['ingest_per_s']:>10.0f}{result['ingest_s']:>10.2f}",
        f"{'B: BytesParser(policy=default) only':40}{result['parse_only_per_s']:>10.0f}{result['parse_only_s']:>10.3f}",
        f"{'ratio A / B':40}{result['ratio']:>10.3f}",
        "",
        f"ingest per message: p50 {result['ingest_p50_ms']:.1f} ms, p95 {result['ingest_p95_ms']:.1f} ms; "
        "by kind (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in result["ingest_ms_by_kind"].items()),
        f"of which language detection: p50 {result['language_p50_ms'] or 0:.2f} ms, "
        f"p95 {result['language_p95_ms'] or 0:.2f} ms; queuing the suggestions: p50 "
        f"{result.get('triage_queue_p50_ms') or 0:.2f} ms, p95 {result.get('triage_queue_p95_ms') or 0:.2f} ms",
        f"suggestions, made by the worker after the commit: p50 {result.get('suggest_p50_ms') or 0:.1f} ms, "
        f"p95 {result.get('suggest_p95_ms') or 0:.1f} ms per message (sample of {result.get('suggest_sample', 0)})",
        f"queries per message: {result['queries_per_message']} (max {result['queries_max']}, sample of "
        f"{result['query_sample']}); by outcome: "
        + ", ".join(f"{k} {v}" for k, v in result["queries_by_outcome"].items()),
        "outcomes: "
        + ", ".join(f"{k} {v:,}" for k, v in result["outcomes"].items())
        + (
            ""
            if not result["mismatches"]
            else f"  ({result['mismatches']} differ from the mix: "
            + ", ".join(f"{k} {v:,}" for k, v in result["outcomes_expected"].items())
            + ")"
        ),
        "",
        "Targets:",
        f"  ingest >= parse only / {1 / result.get('target_ratio', TARGET_RATIO):.0f}: "
        f"{'ok' if ok else 'MISSED'} (ratio {result['ratio']:.3f})",
    ]
    return "\n".join(lines)
