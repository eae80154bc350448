"""The customer's new words in an inbound email: quoted history and signatures removed.

`visible_text` works line by line on the decoded plain text of a message (for
HTML-only mail, `html_to_text` output, where `<blockquote>` lines start with
"> "). It keeps what the customer wrote above the first sign of history:

- an attribution line ("On ... wrote:", "Den ... skrev ...:", "Am ... schrieb ...:",
  "Le ... a écrit :", "... kirjoitti:" ...) in English, Swedish, Danish,
  Norwegian, Finnish, German and French, also wrapped over up to three lines.
  An attribution that introduces ">"-quoted lines is only dropped (with the
  quoted lines), so that answers written between or below quoted lines
  (interleaved and bottom-posted replies) survive;
- a separator ("-----Original Message-----", "---------- Forwarded message ---------",
  "-------- Ursprungligt meddelande --------" ...);
- an Outlook header block (From/Sent/To/Subject in those languages, bold
  markers tolerated), with the underscore line Outlook puts above it;
- the signature delimiter "-- ".

Lines quoted with ">" are dropped wherever they are. A mobile sign-off ("Sent
from my iPhone", "Skickat från min iPhone", "Hämta Outlook för iOS" ...) on the
last line goes too; ordinary greetings ("Med vänliga hälsningar") stay.

Every pattern is anchored to the start of a line and bounded in length, and
lines too long to be a header are never matched against the header patterns,
so the work is linear in the size of the input.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["visible_text"]

# A line longer than this is never a header, separator or sign-off: it is only kept or dropped.
_MAX_LINE: Final = 500
# An attribution wrapped over several lines (Gmail wraps long names) is at most this long, joined.
_MAX_ATTRIBUTION: Final = 600
_MAX_ATTRIBUTION_LINES: Final = 3
# How far below a "From:" line the rest of an Outlook header block is looked for.
_HEADER_BLOCK_LOOKAHEAD: Final = 6

# --- Dates and times in attribution lines -------------------------------------------------------
# Written generally rather than per client: a weekday, a date in one of the common shapes, an
# optional time ("at", "um", "à", "kl.", "klo", "kello" before it; "PM", "Uhr", a zone after it).
_WORD: Final = r"[^\W\d_]"  # a letter, any script
_WEEKDAY: Final = rf"(?:{_WORD}{{2,14}}\.?,?\s+)"  # "Tue, " "tis " "tir. " "Di., " "mar. " "Tuesday, "
_MONTH: Final = rf"(?:{_WORD}{{3,12}}\.?)"  # "Mar" "mars" "mar." "März" "maalisk." "févr."
_DATE: Final = (
    r"(?:"
    rf"\d{{1,2}}\.?\s+{_MONTH},?\s+\d{{4}}"  # 3 Mar 2024, 3. mars 2024, 3. März 2024
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"  # March 3, 2024
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2024-03-03
    r"|\d{4}/\d{1,2}/\d{1,2}"  # 2024/03/03
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 3.3.2024, 03/03/2024, 3/3/24, 03-03-2024
    r")"
)
_TIME: Final = r"(?:\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?[AaPp]\.?\s?[Mm]\.?)?(?:\s+Uhr)?)"
_ZONE: Final = r"(?:\s+\(?(?:(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2})?|(?-i:[A-Z]{2,5})(?:[+-]\d{1,2})?)\)?)"
_AT: Final = r"(?:,?\s+(?:(?:at|um|à|kl\.?|klo|kello)\s*)?)"
_WHEN: Final = rf"(?:{_WEEKDAY}?{_DATE}(?:{_AT}(?P<time>{_TIME}){_ZONE}?)?)"
_WHO: Final = r"(?P<who>\S.*?)"

# Attribution lines that start with a fixed word or a date: safe to try on 2-3 joined lines.
_ATTRIBUTION_LEADING: Final = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # en: Gmail, Apple Mail, Yahoo, Thunderbird, Outlook for iOS/Android
        rf"On\s+{_WHEN},?\s+{_WHO}\s+wr(?:ote|ites)\s*:",
        # sv / da / nb: Gmail, Apple Mail, iPhone, Thunderbird ("... skrev Name <a@b>:")
        rf"(?:Den\s+)?{_WHEN},?\s+skrev\s+{_WHO}\s*:",
        # sv / da / nb: Yahoo ("Den tisdag 3 mars 2024 13:09:12 CET, Name <a@b> skrev:")
        rf"(?:Den\s+)?{_WHEN},?\s+{_WHO}\s+skrev\s*:",
        # fi: Gmail ("ti 3. maalisk. 2024 klo 13.09 Name (<a@b>) kirjoitti:"), Outlook
        rf"{_WHEN},?\s+{_WHO}\s+kirjoitti\s*:",
        # de: Gmail, Apple Mail, Thunderbird ("Am ... um 13:09 schrieb Name <a@b>:")
        rf"Am\s+{_WHEN},?\s+schrieb\s+{_WHO}\s*:",
        # de: Yahoo ("Am Dienstag, 3. März 2024, 13:09:12 MEZ hat Name <a@b> Folgendes geschrieben:")
        rf"Am\s+{_WHEN},?\s+hat\s+{_WHO}\s+Folgendes\s+geschrieben\s*:",
        # fr: Gmail, Apple Mail, Thunderbird, Yahoo ("Le ... à 13:09, Name <a@b> a écrit :")
        rf"Le\s+{_WHEN},?\s+{_WHO}\s+a\s+écrit\s*:",
    )
)
# Attribution lines that start with the writer's name: only ever tried on a single line, so that a
# line of the customer's own text is never glued onto the header below it.
_ATTRIBUTION_NAME_FIRST: Final = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # fi: Apple Mail, Thunderbird ("Name kirjoitti 3.3.2024 kello 13.09:")
        rf"{_WHO}\s+kirjoitti\s+{_WHEN}\s*:",
        # de: "Name <a@b> schrieb am 03.03.2024 13:09:"
        rf"{_WHO}\s+schrieb\s+am\s+{_WHEN}\s*:",
        # sv / da / nb: Thunderbird and older clients ("Name skrev 2024-03-03 13:09:", "... skrev den ...:")
        rf"{_WHO}\s+skrev\s+(?:den\s+)?{_WHEN}\s*:",
        # en, fr: "Name wrote on 3/3/24 13:09:", "Name a écrit le 03/03/2024 à 13:09 :"
        rf"{_WHO}\s+wrote\s+(?:on\s+)?{_WHEN}\s*:",
        rf"{_WHO}\s+a\s+écrit\s+(?:le\s+)?{_WHEN}\s*:",
    )
)
_ATTRIBUTION_ANY: Final = _ATTRIBUTION_LEADING + _ATTRIBUTION_NAME_FIRST
# Without a date: "Name <a@b> wrote:", "a@b skrev:". Matched in two linear steps (the verb at the end,
# then an address just before it) rather than by one pattern that would rescan the line from every space.
_VERB_AT_END: Final = re.compile(r" (?:wr(?:ote|ites)|skrev|kirjoitti|schrieb|a écrit) ?:\Z", re.IGNORECASE)
_ADDRESS: Final = re.compile(r"[<(\[]{0,2}(?:mailto:)?[^\s<>()@\[\]]+@[^\s<>()@\[\]]+[>)\]]{0,2}")
_MAX_NAME: Final = 100
# Cheap test before the patterns above: every attribution names one of these verbs.
_ATTRIBUTION_VERB: Final = re.compile(r"wrote|writes|skrev|kirjoitti|schrieb|geschrieben|écrit", re.IGNORECASE)

# --- Separators ------------------------------------------------------------------------------------
_SEPARATOR_PHRASES: Final = (
    r"original\s+message|original\s+e-?mail|originalmeddelande|ursprungligt\s+(?:e-post)?meddelande"
    r"|oprindelig\s+(?:besked|meddelelse|mail)|opprinnelig\s+melding|alkuperäinen\s+viesti"
    r"|ursprüngliche\s+nachricht|originalnachricht|message\s+d['\u2019]origine|message\s+original"
    r"|forwarded\s+(?:message|e-?mail)|vidarebefordrat\s+(?:meddelande|e-?mail|mejl)"
    r"|videresendt\s+(?:besked|meddelelse|melding|mail)|välitetty\s+viesti|edelleenlähetetty\s+viesti"
    r"|weitergeleitete\s+nachricht|message\s+transféré|message\s+réexpédié"
)
_SEPARATOR: Final = re.compile(
    rf"\s*[-_=*]{{2,}}\s*(?:{_SEPARATOR_PHRASES})\s*[-_=*]*\s*"
    # Apple Mail forwards have no dashes: "Begin forwarded message:".
    r"|\s*(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht"
    r"|début\s+du\s+message\s+réexpédié|vidarebefordrat\s+(?:brev|meddelande|mejl)"
    r"|videresendt\s+(?:besked|meddelelse|melding)|välitetty\s+viesti\s+alkaa)\s*:\s*",
    re.IGNORECASE,
)
# Outlook's line of underscores (or a similar rule) above its header block.
_RULE: Final = re.compile(r"\s*[_\-=*~]{5,}\s*")
_RULE_CHARACTERS: Final = frozenset("_-=*~")
# First characters of a line that may open a header block ("From:" in any language, "*From:*"),
# an Outlook rule or a separator: other lines are not matched against those patterns at all.
_MAY_OPEN_HEADER_BLOCK: Final = frozenset("FALVD*_ \t")
_MAY_OPEN_RULE: Final = frozenset("_-=*~ \t")
_MAY_OPEN_SEPARATOR: Final = frozenset("-_=* \t")
# The signature delimiter "-- " (trailing spaces are stripped first, so "--" too).
_SIGNATURE: Final = "--"

# --- Outlook header blocks -----------------------------------------------------------------------
_FROM_NAMES: Final = r"From|Från|Avsändare|Fra|Lähettäjä|Von|De"
# Headers that only a message header block has: when the block has one, it is a header block.
_STRONG_NAMES: Final = r"Sent|Subject|Skickat|Ämne|Sendt|Emne|Lähetetty|Aihe|Gesendet|Betreff|Envoyé|Objet"
_OTHER_NAMES: Final = (
    r"Date|To|Cc|CC|Bcc|Reply-To|Datum|Till|Kopia|Hemlig\s+kopia|Svara\s+till|Dato|Til|Kopi|Blindkopi"
    r"|Päivämäärä|Vastaanottaja|Kopio|Piilokopio|An|Antwort\s+an|À|A|Copie|Cci|Répondre\s+à"
    r"|Importance|Priority|Prioritet|Priorität|Tärkeys|Priorité"
)
_HEADER_TAIL: Final = r"[*_]{0,2}[ \t\xa0\u202f]?:[*_]{0,2}(?=\s|$)"
_FROM_LINE: Final = re.compile(rf"[ \t]*[*_]{{0,2}}(?:{_FROM_NAMES}){_HEADER_TAIL}")
_HEADER_LINE: Final = re.compile(
    rf"[ \t]*[*_]{{0,2}}(?:(?P<strong>{_STRONG_NAMES})|{_OTHER_NAMES}|{_FROM_NAMES}){_HEADER_TAIL}"
)

# --- Mobile sign-offs -----------------------------------------------------------------------------
_SENT: Final = r"(?:sent|skickat|sendt|envoyé|gesendet)"
_SENT_FROM: Final = r"(?:from|with|via|using|on|från|med|fra|de|depuis|avec|von|mit|über)"
_MY: Final = r"(?:my|min|mitt|mi|mon|ma|meinem|mein)"
_APPS: Final = (
    r"(?:outlook|yahoo|mail|e-post|e-mail|samsung|galaxy|gmail|android|aol|proton|bluemail|spark|icloud"
    r"|microsoft|windows|iphone|ipad|mobile|mobil|huawei|xiaomi|blackberry|nine|edison|airmail|web\.de|gmx)"
)
_SIGN_OFF: Final = re.compile(
    r"(?:"
    rf"{_SENT}\s+{_SENT_FROM}\s+(?:{_MY}\s+\S.{{0,80}}|{_APPS}\b.{{0,80}})"  # Sent from my iPhone
    r"|von\s+meinem\s+\S.{0,60}?\s+gesendet"  # Von meinem iPhone gesendet
    r"|(?:get|hämta|hent|hanki|obtenir|télécharger|download)\s+outlook\s+"  # Get Outlook for iOS
    r"(?:(?:for|för|til|pour|für|para)\s+)?(?:ios|android)\S*"
    r"|outlook\s+für\s+\S+\s+(?:beziehen|herunterladen)"  # Outlook für iOS beziehen
    r"|lähetetty\s+(?:\S+\s+){0,4}\S*?(?:sta|stä)"  # Lähetetty iPhonesta
    r")"
    r"(?:\s*[<(]\s*https?://[^\s>)]*\s*[>)])?\.?",
    re.IGNORECASE,
)


def visible_text(text: str) -> str:
    """The customer's new words in `text`; the whole (tidied) text when nothing in it is new."""
    lines = _lines(text)
    visible = _tidy(_new_lines(lines))
    return visible or _tidy(lines)


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").removeprefix("\ufeff")
    return [line.rstrip() for line in text.split("\n")]


def _tidy(lines: list[str]) -> str:
    """Runs of blank lines collapse to one; no blank lines first or last."""
    out: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out)


def _is_quoted(line: str) -> bool:
    return line.startswith(">") or (line[:1] in (" ", "\t") and line.lstrip().startswith(">"))


def _new_lines(lines: list[str]) -> list[str]:
    """The lines above the first sign of history, without ">"-quoted lines and without a sign-off."""
    kept: list[str] = []
    count = len(lines)
    i = 0
    while i < count:
        line = lines[i]
        # The cheap tests come first, on the first and last characters: most lines are plain text.
        first = line[:1]
        if not first or first == ">" or (first in " \t" and line.lstrip()[:1] == ">"):
            kept.append("")  # a blank line, or a dropped quote that leaves a gap between the answers around it
            i += 1
            continue
        if line == _SIGNATURE:
            break
        if len(line) <= _MAX_LINE:
            if (first in _MAY_OPEN_HEADER_BLOCK and _is_header_block(lines, i)) or (
                first in _MAY_OPEN_RULE and _is_outlook_rule(lines, i)
            ):
                break
            ends_in_colon = line[-1] == ":"
            if (ends_in_colon or first in _MAY_OPEN_SEPARATOR) and _SEPARATOR.fullmatch(line):
                break
            if (
                ends_in_colon
                or (i + 1 < count and lines[i + 1][-1:] == ":")
                or (i + 2 < count and lines[i + 2][-1:] == ":")
            ) and (end := _attribution_end(lines, i)):
                following = _next_filled(lines, end)
                if following < count and _is_quoted(lines[following]):
                    kept.append("")  # it introduces quoted lines: drop it, keep looking for answers
                    i = end
                    continue
                break
        kept.append(line)
        i += 1
    while kept and not kept[-1]:
        kept.pop()
    if kept and len(kept[-1]) <= _MAX_LINE and _SIGN_OFF.fullmatch(kept[-1].strip()):
        kept.pop()
    return kept


def _next_filled(lines: list[str], start: int) -> int:
    """The index of the first non-blank line at or after `start` (len(lines) if none)."""
    i = start
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def _attribution_end(lines: list[str], start: int) -> int:
    """The index after an attribution beginning at `start` (wrapped over up to 3 lines), else 0."""
    last = min(len(lines), start + _MAX_ATTRIBUTION_LINES)
    for index in range(start, last):
        line = lines[index]
        if len(line) > _MAX_LINE or (index > start and (not line or _is_quoted(line))):
            return 0
        if not line.endswith(":"):
            continue
        # The first line ending in ":" ends the attribution, if this is one. When the lines below
        # `start` make one on their own, `start` is the customer's ("Karin" above "3 mars 2024 kl.
        # 13:09 skrev ...:"), and the attribution is found again from the next line.
        for later in range(index, start, -1):
            if _is_attribution(" ".join(lines[later : index + 1]), single_line=False):
                return 0
        candidate = " ".join(lines[start : index + 1])
        if len(candidate) > _MAX_ATTRIBUTION:
            return 0
        return index + 1 if _is_attribution(candidate, single_line=index == start) else 0
    return 0


def _is_attribution(candidate: str, *, single_line: bool) -> bool:
    if not _ATTRIBUTION_VERB.search(candidate):
        return False
    # One space between words: no pattern then has runs of whitespace to backtrack over.
    candidate = " ".join(candidate.split())
    patterns = _ATTRIBUTION_ANY if single_line else _ATTRIBUTION_LEADING
    for pattern in patterns:
        match = pattern.fullmatch(candidate)
        # Clients write a time or an address: "On 3 March my colleague wrote:" is the customer's.
        if match and (match.group("time") or "@" in match.group("who")):
            return True
    if not single_line:
        return False
    verb = _VERB_AT_END.search(candidate)
    if verb is None:
        return False
    name, _, address = candidate[: verb.start()].rpartition(" ")
    return (
        _ADDRESS.fullmatch(address) is not None and len(name) <= _MAX_NAME and not any(char in name for char in "<>@")
    )


def _is_outlook_rule(lines: list[str], start: int) -> bool:
    """A line of underscores (or dashes) with a header block below it."""
    line = lines[start]
    return (
        line.lstrip()[:1] in _RULE_CHARACTERS
        and _RULE.fullmatch(line) is not None
        and _is_header_block(lines, _next_filled(lines, start + 1))
    )


def _is_header_block(lines: list[str], start: int) -> bool:
    """Whether an Outlook-style header block ("From:" then "Sent:", "To:", "Subject:" ...) starts here.

    A "From:" line and one more header line make a block when one of them is a header only messages
    have (Sent, Subject in any of the languages) or the From line holds an address: "From: Malmö"
    over "To: Lund" in a customer's own text is not history.
    """
    if start >= len(lines):
        return False
    first = lines[start]
    if not _FROM_LINE.match(first):
        return False
    others = 0
    misses = 0
    for line in lines[start + 1 : start + 1 + _HEADER_BLOCK_LOOKAHEAD]:
        if not line:
            continue
        match = _HEADER_LINE.match(line) if len(line) <= _MAX_LINE else None
        if match is None:
            misses += 1  # a wrapped value (a long To: list) may sit between header lines
            if misses > 1:
                break
            continue
        if match.group("strong") is not None:
            return True
        misses = 0
        others += 1
    return others > 0 and "@" in first
