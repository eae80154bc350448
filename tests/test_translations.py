"""The translation catalogues are complete, well-formed and compiled.

Every user-visible string exists in Swedish, Danish, Norwegian Bokmål and
Finnish. The compiled .mo files are committed (a machine without gettext still
shows translations), so they must match the .po files they are built from:
run `lofte compilemessages` after editing a .po file.
"""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ["sv", "da", "nb", "fi"]
PLURAL_FORMS = "nplurals=2; plural=(n != 1);"

# %(name)s, %(mb)d, %s, %d ... (but not the escaped %%)
# "%%" is a literal percent sign, matched first so that "%% sure" is not read as the conversion "% s"
PLACEHOLDER = re.compile(r"%%|%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr]")


def placeholders(text: str) -> list[str]:
    return [found for found in PLACEHOLDER.findall(text) if found != "%%"]


ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # index 0 for a singular entry
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> str:
        """The key of the entry in a compiled catalogue (context and id joined by EOT)."""
        return self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"


def _unquote(text: str, path: Path, line: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise AssertionError(f"{path}:{line}: not a quoted string: {text}")
    return re.sub(r"\\(.)", lambda m: ESCAPES[m.group(1)], text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry = Entry()
    current: tuple[str, int] | None = None  # the field continuation lines append to

    def finish() -> None:
        nonlocal entry, current
        if current is not None:
            entries.append(entry)
        entry, current = Entry(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#,"):
            if current is not None and current[0] == "msgstr":
                finish()
            entry.flags.update(flag.strip() for flag in line[2:].split(",") if flag.strip())
        elif line.startswith("#"):
            if current is not None and current[0] == "msgstr":
                finish()
        elif line.startswith('"'):
            assert current is not None, f"{path}:{number}: a string continues nothing"
            value = _unquote(line, path, number)
            name, index = current
            if name == "msgstr":
                entry.msgstr[index] += value
            elif name == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif name == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            else:
                entry.msgid += value
        else:
            keyword, _, rest = line.partition(" ")
            if keyword in ("msgctxt", "msgid") and current is not None and current[0] == "msgstr":
                finish()
            value = _unquote(rest, path, number)
            if keyword == "msgctxt":
                entry.msgctxt, current = value, ("msgctxt", 0)
            elif keyword == "msgid":
                entry.msgid, entry.line, current = value, number, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, current = value, ("msgid_plural", 0)
            elif keyword == "msgstr":
                entry.msgstr[0], current = value, ("msgstr", 0)
            elif (match := re.fullmatch(r"msgstr\[(\d+)\]", keyword)) is not None:
                index = int(match.group(1))
                entry.msgstr[index], current = value, ("msgstr", index)
            else:
                raise AssertionError(f"{path}:{number}: unexpected line: {raw}")
    finish()
    return entries


def _po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"


def _mo(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"


def _messages(lang: str) -> list[Entry]:
    entries = parse_po(_po(lang))
    assert entries, f"{_po(lang)} has no entries"
    assert entries[0].msgid == "", f"{_po(lang)} does not start with a header"
    return entries[1:]


def _where(lang: str, entry: Entry) -> str:
    return f"{_po(lang).relative_to(LOCALE_DIR.parent)}:{entry.line} {entry.msgid!r}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_header_names_the_language_and_its_plural_forms(lang):
    header = parse_po(_po(lang))[0]
    assert "fuzzy" not in header.flags, f"{_po(lang)}: the header is fuzzy"
    fields = dict(line.split(": ", 1) for line in header.msgstr[0].splitlines() if ": " in line)
    assert fields.get("Language") == lang
    assert fields.get("Plural-Forms") == PLURAL_FORMS
    assert "charset=UTF-8" in fields.get("Content-Type", "")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(lang):
    problems = []
    for entry in _messages(lang):
        if "fuzzy" in entry.flags:
            problems.append(f"{_where(lang, entry)}: fuzzy")
        expected_forms = {0, 1} if entry.msgid_plural is not None else {0}
        if set(entry.msgstr) != expected_forms:
            forms = f"{sorted(entry.msgstr)}, not {sorted(expected_forms)}"
            problems.append(f"{_where(lang, entry)}: has the forms {forms}")
        for index, text in entry.msgstr.items():
            if not text.strip():
                problems.append(f"{_where(lang, entry)}: msgstr[{index}] is empty")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_are_kept(lang):
    problems = []
    for entry in _messages(lang):
        wanted = placeholders(entry.msgid)
        wanted_plural = placeholders(entry.msgid_plural or "")
        if wanted and "python-format" not in entry.flags:
            continue  # a literal percent sign in prose, not a format string
        for index, text in entry.msgstr.items():
            source = wanted_plural if index > 0 and entry.msgid_plural is not None else wanted
            found = placeholders(text)
            if sorted(set(found)) != sorted(set(source)):
                problems.append(f"{_where(lang, entry)}: msgstr[{index}] has {found}, the msgid has {source}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(lang):
    """The .mo is not stale: it translates every msgid exactly as the .po does."""
    with _mo(lang).open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)._catalog  # type: ignore[attr-defined]
    problems = []
    for entry in _messages(lang):
        if "fuzzy" in entry.flags:
            continue  # reported by another test; msgfmt leaves fuzzy entries out
        for index, text in entry.msgstr.items():
            key = (entry.key, index) if entry.msgid_plural is not None else entry.key
            compiled = catalogue.get(key)
            if compiled != text:
                problems.append(f"{_where(lang, entry)}: the .mo has {compiled!r}, the .po {text!r}")
    assert not problems, "run `lofte compilemessages`:\n" + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_django_uses_the_catalogue(lang):
    with translation.override(lang):
        assert translation.gettext("Inbox") != "Inbox"
        assert translation.get_language() == lang


def test_parser_reads_context_plurals_flags_and_continuations(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: sv\\n"\n\n'
        "#: a.py:1\n#, fuzzy, python-format\n"
        'msgid ""\n"%(n)s long "\n"text"\nmsgstr "%(n)s lång "\n"text"\n\n'
        'msgctxt "verb"\nmsgid "Reply"\nmsgstr "Svara"\n\n'
        'msgid "%d case"\nmsgid_plural "%d cases"\nmsgstr[0] "%d ärende"\nmsgstr[1] ""\n\n'
        '#~ msgid "Old"\n#~ msgstr "Gammal"\n',
        encoding="utf-8",
    )
    header, long, verb, plural = parse_po(po)
    assert header.msgstr == {0: "Language: sv\n"}
    assert (long.msgid, long.msgstr) == ("%(n)s long text", {0: "%(n)s lång text"})
    assert long.flags == {"fuzzy", "python-format"}
    assert (verb.key, verb.msgstr) == ("verb\x04Reply", {0: "Svara"})
    assert (plural.msgid_plural, plural.msgstr) == ("%d cases", {0: "%d ärende", 1: ""})
