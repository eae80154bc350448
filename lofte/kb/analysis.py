"""Words as the search index knows them: the same analysis for what is indexed and what is asked.

A text becomes *terms*: each word lower-cased, stemmed with the Snowball stemmer of its language (PyStemmer: the
algorithms PostgreSQL's swedish, danish, norwegian, finnish and english configurations use), then folded to its
letters without diacritics, so "försäkringar", "försäkring" and a customer's "forsakring" are one term. The most
common words of the language (the stop words: the top of wordfreq's list for it) are left out.

Compound words (Swedish, Danish, Norwegian, Finnish) are split where both parts are common words of the language
and more common than the whole (Koehn and Knight's frequency rule, over wordfreq's counts): "hemförsäkring" gives
"hemförsäkring", "hem" and "försäkring", so it meets "försäkring för hemmet" and the other way round. Splitting
works on the folded word too ("hemforsakring"), since the frequency table is kept folded.

The analysis happens here, in Python, and the database indexes its output as plain words: PostgreSQL and SQLite
then find exactly the same articles for the same question.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

import Stemmer  # PyStemmer

LANGUAGES = ("sv", "da", "nb", "fi", "en")
_SNOWBALL = {"sv": "swedish", "da": "danish", "nb": "norwegian", "fi": "finnish", "en": "english"}
_WORDFREQ = {"sv": "sv", "da": "da", "nb": "nb", "fi": "fi", "en": "en"}
COMPOUNDING = frozenset({"sv", "da", "nb", "fi"})

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_VOWEL = re.compile(r"[aeiouy]")
_FOLD = str.maketrans({"æ": "a", "ø": "o", "ß": "ss", "þ": "th", "ð": "d", "đ": "d", "ł": "l"})

STOP_WORDS_PER_LANGUAGE = 120  # the most frequent words of each language: "och", "jag", "min", "the", "how"
MIN_FREQUENCY = 1e-7  # words rarer than this (Zipf 2) are not kept for compound splitting
MIN_PART = 3  # a compound's parts: the head at least 3 letters, the tail at least 4
MIN_TAIL = 3
MIN_COMPOUND = 7
MIN_SHORT_TAIL_ZIPF = 4.5  # a three-letter tail ("dag" in "betalningsdag") only when it is a very common word
MAX_WHOLE_ZIPF = 4.0  # a word this common is a word of its own, not split ("försäkring")
MIN_PART_ZIPF = 3.0  # both parts at least this common (Zipf scale: 3 = once per million words)
MAX_WORDS = 64  # words of a query analysed; the rest is ignored


def fold(word: str) -> str:
    """`word` without diacritics: "Förändring" -> "forandring", "Ærø" -> "aro"."""
    decomposed = unicodedata.normalize("NFKD", word.lower().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The words of `text`, lower-cased (letters and digits; punctuation and underscores separate)."""
    return [w.lower() for w in _WORD.findall(text)]


def language_or_default(language: str) -> str:
    return language if language in _SNOWBALL else "en"


@functools.cache
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(_SNOWBALL[language_or_default(language)])


@functools.cache
def stop_words(language: str) -> frozenset[str]:
    """The language's most frequent words, folded."""
    import wordfreq  # here, not at import: loading it takes half a second every process would pay at start

    top = wordfreq.top_n_list(_WORDFREQ[language_or_default(language)], STOP_WORDS_PER_LANGUAGE)
    return frozenset(fold(w) for w in top)


@functools.cache
def _vocabulary(language: str) -> dict[str, float]:
    """Folded word -> Zipf frequency, for the language's commonest words (loaded once per process)."""
    lang = _WORDFREQ[language_or_default(language)]
    table: dict[str, float] = {}
    import wordfreq

    for word, frequency in wordfreq.get_frequency_dict(lang, wordlist="best").items():
        if frequency < MIN_FREQUENCY:
            continue
        key = fold(word)
        zipf = math.log10(frequency) + 9
        if key and zipf > table.get(key, 0.0):
            table[key] = zipf
    return table


def _zipf(word: str, language: str) -> float:
    return _vocabulary(language).get(word, 0.0)


@functools.lru_cache(maxsize=65536)
def compound_parts(folded: str, language: str) -> tuple[str, ...]:
    """The parts of a (folded) compound word, or () when it is not one. The tail may itself be split once.
    Neither part may be a stop word ("för" is no part of "försäkring")."""
    if language not in COMPOUNDING or len(folded) < MIN_COMPOUND or not folded.isalpha():
        return ()
    whole = _zipf(folded, language)
    if whole >= MAX_WHOLE_ZIPF:
        return ()
    stops = stop_words(language)
    best: tuple[float, tuple[str, ...]] = (whole, ())
    for cut in range(2, len(folded) - MIN_TAIL + 1):
        head, tail = folded[:cut], folded[cut:]
        if tail in stops:
            continue
        tail_z = _zipf(tail, language)
        tail_parts: tuple[str, ...] = (tail,)
        if tail_z < MIN_PART_ZIPF and len(tail) > MIN_COMPOUND:
            inner = compound_parts(tail, language)
            if inner:
                tail_parts, tail_z = inner, min(_zipf(p, language) for p in inner)
        if tail_z < (MIN_SHORT_TAIL_ZIPF if len(tail) < 4 else MIN_PART_ZIPF):
            continue
        heads = [head]
        if head.endswith("s") and len(head) > MIN_PART + 1:  # the linking s: "arbetsgivare", "betalningsdag"
            heads.append(head[:-1])
        for h in heads:
            if h in stops or (len(h) < MIN_PART and not _VOWEL.search(h)):  # "el" is a word, "st" is not
                continue
            head_z = _zipf(h, language)
            if head_z < (MIN_SHORT_TAIL_ZIPF if len(h) < MIN_PART else MIN_PART_ZIPF):  # "el" in "elavtal"
                continue
            score = (head_z + tail_z) / 2
            if score > best[0]:
                best = (score, (h, *tail_parts))
    return best[1]


def stem(word: str, language: str) -> str:
    """The folded stem of a lower-cased word."""
    return fold(_stemmer(language).stemWord(word))


def terms(text: str, language: str, *, limit: int | None = None) -> list[str]:
    """The index terms of `text`: stems of its words without the stop words, each compound followed by the stems
    of its parts, in the order written (a word's terms may repeat, which counts)."""
    language = language_or_default(language)
    stops = stop_words(language)
    out: list[str] = []
    found = words(text)
    if limit is not None:
        found = found[:limit]
    stemmer = _stemmer(language)
    for word in found:
        folded = fold(word)
        if folded in stops:
            continue
        out.append(fold(stemmer.stemWord(word)))
        for part in compound_parts(folded, language):
            if part not in stops:
                out.append(fold(stemmer.stemWord(part)))
    return out


def query_terms(text: str, language: str) -> tuple[list[str], str]:
    """The distinct terms of a query (at most MAX_WORDS words read) and, when the query does not end in a space
    or punctuation, its last word folded (for suggestions as the reader types: a prefix match)."""
    found = terms(text, language, limit=MAX_WORDS)
    distinct = list(dict.fromkeys(found))
    tail = ""
    stripped = text.rstrip()
    if stripped == text and text:
        last = words(text[-80:])
        if last:
            tail = fold(last[-1])
            if tail in stop_words(language_or_default(language)) or len(tail) < 3:
                tail = ""
    return distinct, tail
