"""The customer's new words in an inbound email: quoted history and signatures removed.

`visible_text` works line by line on the decoded plain text of a message (for
HTML-only mail, `html_to_text` output, where `<blockquote>` lines start with
"> "). It keeps what the customer wrote above the first sign of history:

- an attribution line ("On ... wrote:", "Den ... skrev ...:", "Am ... schrieb ...:",
  "Le ... a écrit :", "... kirjoitti:", "Il giorno ... ha scritto:", "El ... escribió:",
  "Em ... escreveu:", "Op ... schreef ...:", "... napisał(a):", "... написал(а):",
  Gmail's Russian "вт, 3 мар. 2026 г. в 10:15, Name <a@b>:" ...) as Gmail, Outlook,
  Apple Mail, Thunderbird and the iPhone and Android apps write it in English,
  Swedish, Danish, Norwegian, Finnish, German, French, Italian, Spanish,
  Portuguese, Dutch, Polish and Russian (their weekday and month names and date
  orders, "kl."/"klo"/"um"/"à"/"alle ore"/"a las"/"às"/"om"/"o godz."/"в" before
  the time, non-breaking spaces anywhere), also wrapped over up to three lines.
  An attribution that introduces ">"-quoted lines is only dropped (with the
  quoted lines), so that answers written between or below quoted lines
  (interleaved and bottom-posted replies) survive;
- a separator ("-----Original Message-----", "---------- Forwarded message ---------",
  "-------- Ursprungligt meddelande --------", "-----Messaggio originale-----",
  "-----Исходное сообщение-----" ... in those languages);
- an Outlook header block (From/Sent/To/Subject in those languages: "Från:/Skickat:",
  "Von:/Gesendet:", "De :/Envoyé :", "Da:/Inviato:", "De:/Enviado el:", "Van:/Verzonden:",
  "Od:/Wysłane:", "От:/Отправлено:" ..., bold markers and non-breaking spaces
  tolerated), with the underscore line Outlook puts above it;
- the signature delimiter "-- ".

Lines quoted with ">" are dropped wherever they are. A mobile sign-off ("Sent
from my iPhone", "Skickat från min iPhone", "Inviato da iPhone", "Wysłane z
iPhone'a", "Hämta Outlook för iOS", "Sent from my Galaxy" ...) on the last line
goes too (two of them at most); ordinary greetings ("Med vänliga hälsningar")
stay, and so does a longer sentence that merely starts like one.

Every pattern is anchored to the start of a line and bounded in length, and
lines too long to be a header are never matched against the header patterns,
so the work is linear in the size of the input.
"""

# ruff: noqa: RUF001, RUF002, RUF003 - the word lists are Russian, Polish ... and look like Latin letters to ruff

from __future__ import annotations

import functools
import re
from typing import Final

__all__ = ["visible_text"]

# A line longer than this is never a header, separator or sign-off: it is only kept or dropped.
_MAX_LINE: Final = 500
# An attribution wrapped over several lines (Gmail wraps long names) is at most this long, joined.
_MAX_ATTRIBUTION: Final = 600
_MAX_ATTRIBUTION_LINES: Final = 3
_MIN_ATTRIBUTION: Final = len("a@b pisze:")  # the shortest there is, a date-less one
# How far below a "From:" line the rest of an Outlook header block is looked for.
_HEADER_BLOCK_LOOKAHEAD: Final = 6

# --- Dates and times in attribution lines -------------------------------------------------------
# Written generally rather than per client or language: a weekday, a date in one of the common shapes
# (day-month-year, month-day-year, numeric), an optional time ("at", "kl.", "alle ore", "a las", "в" ...
# before it; "PM", "Uhr", a zone after it).
_WORD: Final = r"[^\W\d_]"  # a letter, any script
_WEEKDAY: Final = rf"(?:{_WORD}{{2,14}}\.?,?\s+)"  # "Tue, " "tis " "tir. " "Di., " "mar. " "Tuesday, "
_MONTH: Final = rf"(?:{_WORD}{{3,12}}\.?)"  # "Mar" "mars" "mar." "März" "maalisk." "févr."
_DATE: Final = (
    r"(?:"
    # 3 Mar 2024, 3. mars 2024, 3. März 2024, 3 de mar. de 2024, 3 мар. 2024 г.
    rf"\d{{1,2}}\.?\s+(?:de\s+)?{_MONTH},?\s+(?:de\s+)?\d{{4}}(?:\s?г\.)?"
    rf"|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"  # March 3, 2024
    r"|\d{4}-\d{1,2}-\d{1,2}"  # 2024-03-03
    r"|\d{4}/\d{1,2}/\d{1,2}"  # 2024/03/03
    r"|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})"  # 3.3.2024, 03/03/2024, 3/3/24, 03-03-2024
    r")"
)
_TIME: Final = r"(?:\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s?[AaPp]\.?\s?[Mm]\.?)?(?:\s+Uhr)?)"
_ZONE: Final = r"(?:\s+\(?(?:(?:GMT|UTC)?[+-]\d{1,2}(?::?\d{2})?|(?-i:[A-Z]{2,5})(?:[+-]\d{1,2})?)\)?)"
# "at", "um", "à", "kl.", "klo", "kello", "alle ore", "a las", "às", "à(s)", "om", "o godz.", "в" before the time
_AT_WORDS: Final = r"at|um|à\(s\)|à|kl\.?|klo|kello|alle\s+ore|alle|ore|a\s+las?|às|as|om|o\s+godz\.?|o|в"
_AT: Final = rf"(?:,?\s+(?:(?:{_AT_WORDS})\s*)?)"
_WHEN: Final = rf"(?:{_WEEKDAY}?{_DATE}(?:{_AT}(?P<time>{_TIME}){_ZONE}?)?)"
_WHEN_TIMED: Final = rf"(?:{_WEEKDAY}?{_DATE}{_AT}(?P<time>{_TIME}){_ZONE}?)"  # the time required
_WHO: Final = r"(?P<who>\S.*?)"
# A name that ends in an address, for the attributions that have no verb (Gmail in Russian).
_WHO_ADDRESS: Final = r"(?P<who>[^<>]{0,200}<\s?[^\s<>@]+@[^\s<>@]+>)"
_NAPISAL: Final = r"napisał(?:\(a\)|a)?"  # pl "napisał(a)", "napisała"
_NAPISAL_RU: Final = r"написал(?:\(а\)|а)?"  # ru "написал(а)", "написала"


_Keyed = tuple[tuple[tuple[str, ...], re.Pattern[str]], ...]


def _keyed(*patterns: tuple[str, str]) -> _Keyed:
    """(verbs, pattern) pairs, compiled: a pattern is tried only on a candidate that holds one of its verbs
    (lower case, "|" between them), so that each candidate meets the few patterns of its own language."""
    return tuple((tuple(verbs.split("|")), re.compile(pattern, re.IGNORECASE)) for verbs, pattern in patterns)


def _by_verb(patterns: _Keyed) -> dict[str, tuple[re.Pattern[str], ...]]:
    """Each verb with the patterns it leads to, in their order."""
    table: dict[str, list[re.Pattern[str]]] = {}
    for verbs, pattern in patterns:
        for verb in verbs:
            table.setdefault(verb, []).append(pattern)
    return {verb: tuple(found) for verb, found in table.items()}


# Attribution lines that start with a fixed word or a date: safe to try on 2-3 joined lines.
_ATTRIBUTION_LEADING: Final = _keyed(
    # en: Gmail, Apple Mail, Yahoo, Thunderbird, Outlook for iOS/Android
    ("wrote|writes", rf"On\s+{_WHEN},?\s+{_WHO}\s+wr(?:ote|ites)\s*:"),
    # sv / da / nb: Gmail, Apple Mail, iPhone, Thunderbird ("... skrev Name <a@b>:")
    ("skrev", rf"(?:Den\s+)?{_WHEN},?\s+skrev\s+{_WHO}\s*:"),
    # sv / da / nb: Yahoo ("Den tisdag 3 mars 2024 13:09:12 CET, Name <a@b> skrev:")
    ("skrev", rf"(?:Den\s+)?{_WHEN},?\s+{_WHO}\s+skrev\s*:"),
    # fi: Gmail ("ti 3.3.2026 klo 10.15 Name (<a@b>) kirjoitti:", "ti 3. maalisk. 2024 klo 13.09 ..."), Outlook,
    # iPhone ("3.3.2026 kello 10.15 Name <a@b> kirjoitti:")
    ("kirjoitti", rf"{_WHEN},?\s+{_WHO}\s+kirjoitti\s*:"),
    # de: Gmail, Apple Mail, Thunderbird ("Am ... um 13:09 schrieb Name <a@b>:")
    ("schrieb", rf"Am\s+{_WHEN},?\s+schrieb\s+{_WHO}\s*:"),
    # de: Yahoo ("Am Dienstag, 3. März 2024, 13:09:12 MEZ hat Name <a@b> Folgendes geschrieben:")
    ("geschrieben", rf"Am\s+{_WHEN},?\s+hat\s+{_WHO}\s+Folgendes\s+geschrieben\s*:"),
    # fr: Gmail, Apple Mail, Thunderbird, Yahoo ("Le ... à 13:09, Name <a@b> a écrit :")
    ("écrit", rf"Le\s+{_WHEN},?\s+{_WHO}\s+a\s+écrit\s*:"),
    # it: Gmail ("Il giorno mar 3 mar 2026 alle ore 10:15 Name <a@b> ha scritto:"), Apple Mail ("Il giorno
    # 3 mar 2026, alle ore 10:15, Name <a@b> ha scritto:"), Thunderbird ("Il 03/03/26 10:15, Name ha scritto:")
    ("scritto", rf"Il\s+(?:giorno\s+)?{_WHEN},?\s+{_WHO}\s+ha\s+scritto\s*:"),
    # es: Gmail ("El mar, 3 mar 2026 a las 10:15, Name (<a@b>) escribió:"), Apple Mail, Thunderbird
    ("escribió", rf"El\s+{_WHEN},?\s+{_WHO}\s+escribió\s*:"),
    # pt: Gmail ("Em ter., 3 de mar. de 2026 às 10:15, Name <a@b> escreveu:"), Apple Mail ("Em 3 de mar. de
    # 2026, à(s) 10:15, ...", "No dia 3/03/2026, às 10:15, ..."), Thunderbird ("Em 03/03/2026 10:15, Name ...")
    ("escreveu", rf"(?:Em|No\s+dia|A)\s+{_WHEN},?\s+{_WHO}\s+escreveu\s*:"),
    # pt-PT: Thunderbird ("Às 10:15 de 03/03/2026, Name escreveu:")
    ("escreveu", rf"Às\s+(?P<time>{_TIME})\s+de\s+{_DATE},?\s+{_WHO}\s+escreveu\s*:"),
    # nl: Gmail, Thunderbird ("Op di 3 mrt 2026 om 10:15 schreef Name <a@b>:")
    ("schreef", rf"Op\s+{_WHEN},?\s+schreef\s+{_WHO}\s*:"),
    # nl: Apple Mail ("Op 3 mrt 2026 om 10:15 heeft Name <a@b> het volgende geschreven:"), Outlook for Mac
    ("geschreven", rf"Op\s+{_WHEN},?\s+heeft\s+{_WHO}\s+(?:het\s+volgende\s+)?geschreven\s*:"),
    # pl: Thunderbird ("W dniu 3.03.2026 o 10:15, Name pisze:"), older clients ("Dnia ... napisał(a):")
    ("pisze|napisa", rf"(?:W\s+dniu|Dnia)\s+{_WHEN},?\s+{_WHO}\s+(?:pisze|{_NAPISAL})\s*:"),
    # pl: Gmail ("wt., 3 mar 2026 o 10:15 Name <a@b> napisał(a):")
    ("napisa", rf"{_WHEN},?\s+{_WHO}\s+{_NAPISAL}\s*:"),
    # pl: Apple Mail ("Wiadomość napisana przez Name <a@b> w dniu 3 mar 2026, o godz. 10:15:")
    ("napisana", rf"Wiadomość\s+napisana\s+przez\s+{_WHO}\s+w\s+dniu\s+{_WHEN}\s*:"),
    # ru: Apple Mail ("3 мар. 2026 г., в 10:15, Name <a@b> написал(а):"), Thunderbird ("03.03.2026 10:15, Name пишет:")
    ("написал|пишет", rf"{_WHEN},?\s+{_WHO}\s+(?:{_NAPISAL_RU}|пишет)\s*:"),
    # ru: Gmail has no verb ("вт, 3 мар. 2026 г. в 10:15, Name <a@b>:"), nor has Yandex ("03.03.2026, 10:15, "Name"
    # <a@b>:"), so both the time and the address are required; Mail.ru ("Вторник, 3 марта 2026, 10:15 +03:00 от
    # Name <a@b>:")
    (">:|> :", rf"{_WHEN_TIMED},?\s+(?:от\s+)?{_WHO_ADDRESS}\s*:"),
)
# Attribution lines that start with the writer's name: tried on a single line, or on lines joined when the first
# of them holds the verb, so that a line of the customer's own text is never glued onto the header below it.
_ATTRIBUTION_NAME_FIRST: Final = _keyed(
    # fi: Apple Mail, Thunderbird ("Name kirjoitti 3.3.2024 kello 13.09:")
    ("kirjoitti", rf"{_WHO}\s+kirjoitti\s+{_WHEN}\s*:"),
    # de: "Name <a@b> schrieb am 03.03.2024 13:09:"
    ("schrieb", rf"{_WHO}\s+schrieb\s+am\s+{_WHEN}\s*:"),
    # sv / da / nb: Thunderbird and older clients ("Name skrev 2024-03-03 13:09:", "... skrev den ...:")
    ("skrev", rf"{_WHO}\s+skrev\s+(?:den\s+)?{_WHEN}\s*:"),
    # en, fr: "Name wrote on 3/3/24 13:09:", "Name a écrit le 03/03/2024 à 13:09 :"
    ("wrote", rf"{_WHO}\s+wrote\s+(?:on\s+)?{_WHEN}\s*:"),
    ("écrit", rf"{_WHO}\s+a\s+écrit\s+(?:le\s+)?{_WHEN}\s*:"),
    # pt-PT: Gmail ("Name <a@b> escreveu no dia terça, 3/03/2026 à(s) 10:15:")
    ("escreveu", rf"{_WHO}\s+escreveu\s+(?:no\s+dia\s+|em\s+|a\s+)?{_WHEN}\s*:"),
    # it, es, nl, pl, ru: "Name ha scritto il ...:", "Name escribió el ...:", "Name schreef op ...:",
    # "Name napisał(a) dnia ...:", "Name написал(а) ...:"
    ("scritto", rf"{_WHO}\s+ha\s+scritto\s+(?:il\s+)?{_WHEN}\s*:"),
    ("escribió", rf"{_WHO}\s+escribió\s+(?:el\s+)?{_WHEN}\s*:"),
    ("schreef", rf"{_WHO}\s+schreef\s+(?:op\s+)?{_WHEN}\s*:"),
    ("napisa", rf"{_WHO}\s+{_NAPISAL}\s+(?:w\s+dniu\s+|dnia\s+)?{_WHEN}\s*:"),
    ("написал", rf"{_WHO}\s+{_NAPISAL_RU}\s+{_WHEN}\s*:"),
)
_LEADING_BY_VERB: Final = _by_verb(_ATTRIBUTION_LEADING)
_ANY_BY_VERB: Final = _by_verb(_ATTRIBUTION_LEADING + _ATTRIBUTION_NAME_FIRST)
# Without a date: "Name <a@b> wrote:", "a@b skrev:". Matched in two linear steps (the verb at the end,
# then an address just before it) rather than by one pattern that would rescan the line from every space.
_VERB_AT_END: Final = re.compile(
    r" (?:wr(?:ote|ites)|skrev|kirjoitti|schrieb|a écrit|ha scritto|escribió|escreveu|schreef"
    r"|napisał(?:\(a\)|a)?|pisze|написал(?:\(а\)|а)?|пишет) ?:\Z",
    re.IGNORECASE,
)
_MAX_VERB_AT_END: Final = 20  # " napisał(a) :" and the like: the longest ending _VERB_AT_END looks for
_ADDRESS: Final = re.compile(r"[<(\[]{0,2}(?:mailto:)?[^\s<>()@\[\]]+@[^\s<>()@\[\]]+[>)\]]{0,2}")
_MAX_NAME: Final = 100
# Cheap test before the patterns above: every attribution names one of their verbs, or ends in an address (">:").
# Substring tests on the lower-cased line: one regex of all of them, case-insensitive, is ten times slower.
_ATTRIBUTION_VERBS: Final = tuple(sorted(_ANY_BY_VERB))

# --- Separators ------------------------------------------------------------------------------------
_SEPARATOR_PHRASES: Final = (
    r"original\s+message|original\s+e-?mail|originalmeddelande|ursprungligt\s+(?:e-post)?meddelande"
    r"|oprindelig\s+(?:besked|meddelelse|mail)|opprinnelig\s+melding|alkuperäinen\s+viesti"
    r"|ursprüngliche\s+nachricht|originalnachricht|message\s+d['\u2019]origine|message\s+original"
    r"|forwarded\s+(?:message|e-?mail)|vidarebefordrat\s+(?:meddelande|e-?mail|mejl)"
    r"|videresendt\s+(?:besked|meddelelse|melding|mail)|välitetty\s+viesti|edelleenlähetetty\s+viesti"
    r"|weitergeleitete\s+nachricht|message\s+transféré|message\s+réexpédié"
    r"|messaggio\s+originale|messaggio\s+inoltrato|mensaje\s+original|mensaje\s+reenviado"
    r"|mensagem\s+original|mensagem\s+(?:re)?encaminhada|oorspronkelijk\s+bericht|origineel\s+bericht"
    r"|doorgestuurd\s+bericht|wiadomość\s+oryginalna|oryginalna\s+wiadomość|przekazana\s+wiadomość"
    r"|wiadomość\s+przekazana(?:\s+dalej)?|исходное\s+сообщение|оригинальное\s+сообщение"
    r"|пересылаемое\s+сообщение|пересланное\s+сообщение"
)
_SEPARATOR: Final = re.compile(
    rf"\s*[-_=*]{{2,}}\s*(?:{_SEPARATOR_PHRASES})\s*[-_=*]*\s*"
    # Apple Mail forwards have no dashes: "Begin forwarded message:".
    r"|\s*(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht"
    r"|début\s+du\s+message\s+réexpédié|vidarebefordrat\s+(?:brev|meddelande|mejl)"
    r"|videresendt\s+(?:besked|meddelelse|melding)|välitetty\s+viesti\s+alkaa|inizio\s+messaggio\s+inoltrato"
    r"|inicio\s+del\s+mensaje\s+reenviado|início\s+da\s+mensagem\s+(?:re)?encaminhada|begin\s+doorgestuurd\s+bericht"
    r"|początek\s+przekazywanej\s+wiadomości|начало\s+переадресованного\s+сообщения)\s*:\s*",
    re.IGNORECASE,
)
# Outlook's line of underscores (or a similar rule) above its header block.
_RULE: Final = re.compile(r"\s*[_\-=*~]{5,}\s*")
_RULE_CHARACTERS: Final = frozenset("_-=*~")
# First characters of a line that may open a header block ("From:" in any language, "*From:*"),
# an Outlook rule or a separator: other lines are not matched against those patterns at all.
_MAY_OPEN_HEADER_BLOCK: Final = frozenset("FALVDOО*_ \t\xa0")  # the second O is Cyrillic ("От:")
_MAY_OPEN_RULE: Final = frozenset("_-=*~ \t")
_MAY_OPEN_SEPARATOR: Final = frozenset("-_=* \t")
# The signature delimiter "-- " (trailing spaces are stripped first, so "--" too).
_SIGNATURE: Final = "--"

# --- Outlook header blocks -----------------------------------------------------------------------
_FROM_NAMES: Final = r"From|Från|Avsändare|Fra|Lähettäjä|Von|De|Da|Van|Od|От"
# Headers that only a message header block has: when the block has one, it is a header block.
_STRONG_NAMES: Final = (
    r"Sent|Subject|Skickat|Skickades|Ämne|Sendt|Emne|Lähetetty|Aihe|Gesendet|Betreff|Envoyé|Objet|Inviato|Oggetto"
    r"|Enviad[oa](?:\s+(?:el|em))?|Asunto|Assunto|Verzonden|Verstuurd|Onderwerp|Wysłane|Wysłano|Temat"
    r"|Отправлено|Тема"
)
_OTHER_NAMES: Final = (
    r"Date|To|Cc|CC|Bcc|Reply-To|Datum|Till|Kopia|Hemlig\s+kopia|Svara\s+till|Dato|Til|Kopi|Blindkopi"
    r"|Päivämäärä|Vastaanottaja|Kopio|Piilokopio|An|Antwort\s+an|À|A|Copie|Cci|Répondre\s+à"
    r"|Data|Ccn|CCN|Rispondi\s+a|Para|Fecha|CCO|Cco|Responder\s+a|Aan|Antwoord\s+aan|Do|DW|UDW|Odpowiedz\s+do"
    r"|Кому|Копия|Скрытая\s+копия|Дата|Ответить"
    r"|Importance|Priority|Prioritet|Priorität|Tärkeys|Priorité|Importanza|Importancia|Importância|Urgentie"
    r"|Prioriteit|Ważność|Priorytet|Важность"
)
_HEADER_TAIL: Final = r"[*_]{0,2}[ \t\xa0\u202f]?:[*_]{0,2}(?=\s|$)"
_FROM_LINE: Final = re.compile(rf"[ \t\xa0]*[*_]{{0,2}}(?:{_FROM_NAMES}){_HEADER_TAIL}")
_HEADER_LINE: Final = re.compile(
    rf"[ \t\xa0]*[*_]{{0,2}}(?:(?P<strong>{_STRONG_NAMES})|{_OTHER_NAMES}|{_FROM_NAMES}){_HEADER_TAIL}"
)

# --- Mobile sign-offs -----------------------------------------------------------------------------
_SENT: Final = (
    r"(?:sent|skickat|skickades|sendt|envoyé|gesendet|inviato|enviado|enviada|verzonden|verstuurd|wysłane|wysłano"
    r"|отправлено)"
)
_SENT_FROM: Final = (
    r"(?:from|with|via|using|on|från|med|fra|de|depuis|avec|à\s+partir\s+d(?:e|['’]\s*)|von|mit|über|da|dal|dalla"
    r"|desde|do|a\s+partir\s+d[oe]|met|vanaf|vanuit|van|z|ze|с|со|из)"
)
_MY: Final = r"(?:my|min|mitt|mi|mon|ma|meinem|mein|mio|mia|meu|minha|mijn|mojego|mojej|моего|моей)"
_APPS: Final = (
    r"(?:outlook|yahoo|mail|e-?post|e-?mail|samsung|galaxy|gmail|android|aol|proton|bluemail|spark|icloud"
    r"|microsoft|windows|iphone|ipad|mobile|mobil|huawei|xiaomi|blackberry|nine|edison|airmail|web\.de|gmx"
    r"|smartphone|posta|correo|courrier|poczty|aplikacji|устройства|приложения|мобильной|почты|яндекс)"
)
# A sign-off names a device or an app in a few words: "Sent from my Samsung Galaxy smartphone." goes, "Sent from my
# iPhone on the train because the laptop is broken." is the customer's and stays.
_FEW_WORDS: Final = r"(?:\s+\S{1,40}){0,4}"
_SIGN_OFF: Final = re.compile(
    r"(?:"
    # Sent from my iPhone, Skickat från min iPhone, Inviato da iPhone, Enviado do meu iPhone, Wysłane z iPhone'a,
    # Отправлено с iPhone, Sent from Outlook for Android, Verzonden vanaf mijn Galaxy ...
    rf"{_SENT}\s+{_SENT_FROM}\s+(?:{_MY}\s+\S{{1,40}}|{_APPS}\b\S{{0,40}}){_FEW_WORDS}"
    # Von meinem iPhone gesendet, Von Outlook für Android gesendet
    rf"|von\s+(?:meinem\s+\S{{1,40}}|{_APPS}\b\S{{0,40}}){_FEW_WORDS}?\s+gesendet"
    # Get Outlook for iOS, Hämta Outlook för Android, Scarica Outlook per iOS, Obter o Outlook para iOS, Pobierz
    # aplikację Outlook dla systemu iOS, Загрузите Outlook для iOS ...
    r"|(?:get|hämta|hent|hanki|obtenir|télécharger|download|scarica|ottieni|obtener|descargar|descarga|obter|obtenha"
    r"|baixe|baixar|transferir|pobierz|загрузите|получите|скачайте|скачать)"
    r"\s+(?:(?:o|el|la|l['’]application|aplikację|приложение)\s+)?outlook\s+"
    r"(?:(?:for|för|til|pour|für|para|per|voor|dla(?:\s+systemu)?|для)\s+)?(?:ios|android)\S*"
    # Outlook für iOS beziehen, Outlook voor iOS downloaden
    r"|outlook\s+(?:für|voor)\s+\S+\s+(?:beziehen|herunterladen|downloaden|ophalen)"
    r"|lähetetty\s+(?:\S+\s+){0,4}\S*?(?:sta|stä)"  # Lähetetty iPhonesta
    r")"
    r"(?:\s*[<(]\s*https?://[^\s>)]*\s*[>)])?\.?",
    re.IGNORECASE,
)
# A client may add two: "Sent from my iPhone" above "Get Outlook for iOS".
_MAX_SIGN_OFFS: Final = 2


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
    found: dict[int, int] = {}  # see _attribution_end
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
            ) and (end := _attribution_end(lines, i, found)):
                following = _next_filled(lines, end)
                if following < count and _is_quoted(lines[following]):
                    kept.append("")  # it introduces quoted lines: drop it, keep looking for answers
                    i = end
                    continue
                break
        kept.append(line)
        i += 1
    for _ in range(_MAX_SIGN_OFFS):
        while kept and not kept[-1]:
            kept.pop()
        if not (kept and len(kept[-1]) <= _MAX_LINE and _SIGN_OFF.fullmatch(kept[-1].strip())):
            break
        kept.pop()
    return kept


def _next_filled(lines: list[str], start: int) -> int:
    """The index of the first non-blank line at or after `start` (len(lines) if none)."""
    i = start
    while i < len(lines) and not lines[i]:
        i += 1
    return i


def _attribution_end(lines: list[str], start: int, found: dict[int, int]) -> int:
    """The index after an attribution beginning at `start` (wrapped over up to 3 lines), else 0.

    `found` holds the attributions already seen to begin below a line looked at before (start: end), so that
    the line above an attribution and the attribution itself do not both cost a match.
    """
    if (end := found.pop(start, 0)) > 0:
        return end
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
            candidate = " ".join(lines[later : index + 1])
            if _is_attribution(candidate, single_line=False, name_first=_has_verb(lines[later])):
                # From `later` on, the same candidate with no fewer patterns to try, and no shorter one below it.
                if len(candidate) <= _MAX_ATTRIBUTION:
                    found[later] = index + 1
                return 0
        candidate = " ".join(lines[start : index + 1])
        if len(candidate) > _MAX_ATTRIBUTION:
            return 0
        single_line = index == start
        name_first = single_line or _has_verb(lines[start])
        return index + 1 if _is_attribution(candidate, single_line=single_line, name_first=name_first) else 0
    return 0


def _has_verb(line: str) -> bool:
    """Whether `line` names the verb of an attribution: a wrapped one that starts with the writer's name
    ("Name <a@b> escreveu no dia" above "terça, 3/03/2026 à(s) 10:15:") has it on its first line."""
    lowered = line.lower()
    return any(verb in lowered for verb in _ATTRIBUTION_VERBS)


@functools.lru_cache(maxsize=256)  # keyed by the verbs found (a few combinations in real mail), not by the text
def _patterns_for(verbs: tuple[str, ...], *, name_first: bool) -> tuple[re.Pattern[str], ...]:
    """The attribution patterns for a candidate holding `verbs`, each once."""
    table = _ANY_BY_VERB if name_first else _LEADING_BY_VERB
    return tuple(dict.fromkeys(pattern for verb in verbs for pattern in table.get(verb, ())))


def _is_attribution(candidate: str, *, single_line: bool, name_first: bool) -> bool:
    """Whether `candidate` is an attribution. Patterns that start with the writer's name are tried only when
    `name_first` (one line, or the verb on the first line); one without a date only when `single_line`."""
    if len(candidate) < _MIN_ATTRIBUTION:
        return False
    # One space between words: no pattern then has runs of whitespace to backtrack over.
    candidate = " ".join(candidate.split())
    lowered = candidate.lower()
    verbs = tuple(verb for verb in _ATTRIBUTION_VERBS if verb in lowered)
    if not verbs:
        return False
    for pattern in _patterns_for(verbs, name_first=name_first):
        match = pattern.fullmatch(candidate)
        # Clients write a time or an address: "On 3 March my colleague wrote:" is the customer's.
        if match and (match.group("time") or "@" in match.group("who")):
            return True
    if not single_line:
        return False
    verb = _VERB_AT_END.search(candidate, max(0, len(candidate) - _MAX_VERB_AT_END))
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
