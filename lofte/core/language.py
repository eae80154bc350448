"""The language a customer wrote in: Swedish, Danish, Norwegian, Finnish, English, "other", or "don't know".

Detection is `lingua` (lingua-language-detector), which ships its language models inside the package (nothing is
downloaded) and gives a confidence for each language it was built with. It is built once per process, on first
use, with Lofte's five languages and the languages customers in the Nordics most often write in besides them
(`OTHERS`): a text in one of those is "other", not a forced guess among the five. Bokmål and Nynorsk count
together as Norwegian ("nb").

A text is only judged when it holds enough letters (MIN_LETTERS, a few words; names, addresses, links and
numbers do not count); below that ("Hej!", "Kiitos", "Tack för hjälpen") the answer is
"don't know" (an empty code) and the caller keeps the language it had (the form's, the mailbox's). The best
language must also reach LOFTE_LANGUAGE_MIN_CONFIDENCE and lead the next one by MARGIN, else it is "don't know"
too. Written Danish and Bokmål share most of their words and lingua often rates them close; between the two, the
words only one of them spells that way (Danish "mig", "efter", "gerne", "hvad"; Norwegian "meg", "etter",
"gjerne", "hva") decide when they clearly lean one way, and otherwise the message keeps the mailbox's language
rather than flip a coin. Only the first MAX_CHARS characters are read: the
language of a message is clear long before that, and a megabyte of text costs no more than a paragraph.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import translation

if TYPE_CHECKING:
    from lingua import LanguageDetector

OTHER = "other"
MAX_CHARS = 600  # a few sentences tell the language; lingua's time grows with the text (0.9 ms per 1,000 characters)
MIN_LETTERS = 20
MIN_DISTINCT_LETTERS = 5  # 'xxxx...' or 'hahahaha' is no language
MARGIN = 0.2
_IGNORED = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|[\d_]+", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")

# lingua's names of Lofte's languages, and of the others it tells apart from them
OURS = {"SWEDISH": "sv", "DANISH": "da", "BOKMAL": "nb", "NYNORSK": "nb", "FINNISH": "fi", "ENGLISH": "en"}
OTHERS = (
    "GERMAN", "DUTCH", "FRENCH", "SPANISH", "PORTUGUESE", "ITALIAN", "POLISH", "ESTONIAN", "LATVIAN", "LITHUANIAN",
    "ICELANDIC", "RUSSIAN", "UKRAINIAN", "ARABIC", "PERSIAN", "SOMALI", "TURKISH", "TIGRINYA", "CHINESE",
    "JAPANESE", "KOREAN", "THAI", "VIETNAMESE", "HINDI", "GREEK", "HUNGARIAN", "ROMANIAN", "CZECH", "SERBIAN",
    "CROATIAN", "BOSNIAN", "ALBANIAN", "HEBREW",
)  # fmt: skip


# Everyday words that Danish and Norwegian Bokmål spell differently (each list: that language's spelling only).
DANISH_WORDS = frozenset((
    "mig", "dig", "sig", "af", "hvad", "nu", "efter", "gerne", "tak", "hjælp", "hjælpen", "jer", "modtaget",
    "venlig", "sagen", "uger", "spørgsmål", "tusind", "købt", "købe", "adgangskode", "mit", "noget", "nogen",
    "hvornår", "rigtig", "ændre", "penge", "gange", "fik", "fået", "hilsner", "sag", "ind", "hej", "høj",
    "marts", "venligst", "hende", "spørge", "sidste", "fejl", "tilbage", "uge", "igen", "nej", "gøre", "købte",
))  # fmt: skip
NORWEGIAN_WORDS = frozenset((
    "meg", "deg", "seg", "av", "hva", "nå", "etter", "gjerne", "takk", "hjelp", "hjelpen", "dere", "mottatt",
    "vennlig", "saken", "uker", "spørsmål", "tusen", "kjøpt", "kjøpe", "passord", "mitt", "noe", "noen", "når",
    "riktig", "endre", "penger", "ganger", "fikk", "fått", "hilsener", "ikkje", "eg", "sak", "inn", "hei", "høy",
    "vennligst", "henne", "spørre", "siste", "feil", "tilbake", "uke", "igjen", "nei", "gjøre", "kjøpte",
))  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


def _danish_or_norwegian(text: str) -> str:
    """ "da" or "nb" when the words only one of them spells so clearly lean one way, else ""."""
    words = [w.lower() for w in _WORD.findall(text)]
    danish = sum(w in DANISH_WORDS for w in words)
    norwegian = sum(w in NORWEGIAN_WORDS for w in words)
    if danish >= norwegian + 2:
        return "da"
    if norwegian >= danish + 2:
        return "nb"
    return ""


@dataclass(frozen=True)
class Detected:
    """`language`: a code of settings.LANGUAGES, OTHER, or "" (don't know); `confidence` in 0..1."""

    language: str
    confidence: float

    @property
    def known(self) -> bool:
        """A language Lofte writes in was recognised (not "other", not "don't know")."""
        return bool(self.language) and self.language != OTHER


UNKNOWN = Detected("", 0.0)

_lock = threading.Lock()
_detector: LanguageDetector | None = None


def _built() -> LanguageDetector:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import Language, LanguageDetectorBuilder

                names = [*OURS, *OTHERS]
                languages = [getattr(Language, name) for name in names if hasattr(Language, name)]
                _detector = LanguageDetectorBuilder.from_languages(*languages).build()
    return _detector


def language_detect(text: str) -> Detected:
    """The language `text` is written in (see the module's docstring). Never raises for any text."""
    # a lone surrogate (an undecodable byte kept by a parser) is no letter, and lingua could not take it
    sample = _IGNORED.sub(" ", (text or "")[:MAX_CHARS].encode("utf-8", "replace").decode("utf-8"))
    letters = _LETTER.findall(sample)
    if len(letters) < MIN_LETTERS or len({letter.lower() for letter in letters}) < MIN_DISTINCT_LETTERS:
        return UNKNOWN
    scores: dict[str, float] = {}
    for value in _built().compute_language_confidence_values(sample):
        code = OURS.get(value.language.name, OTHER)
        scores[code] = scores.get(code, 0.0) + value.value
    if not scores:
        return UNKNOWN
    ranked = sorted(scores, key=scores.__getitem__, reverse=True)
    best, runner_up = ranked[0], ranked[1] if len(ranked) > 1 else ""
    if {best, runner_up} == {"da", "nb"} and (leaning := _danish_or_norwegian(sample)):
        return Detected(leaning, round(min(scores["da"] + scores["nb"], 1.0), 3))
    confidence = round(min(scores[best], 1.0), 3)
    if confidence < settings.LOFTE_LANGUAGE_MIN_CONFIDENCE or scores[best] - scores.get(runner_up, 0.0) < MARGIN:
        return Detected("", confidence)
    return Detected(best, confidence)


def language_name(code: str) -> str:
    """The name of language `code` in the active language, as it reads mid-sentence ("In English", "på
    svenska"): the site's languages by their names in settings.LANGUAGES, lower-cased but in English."""
    name = str(dict(settings.LANGUAGES).get(code, code))
    if (translation.get_language() or "en") != "en":
        name = name[:1].lower() + name[1:]
    return name
