"""The analyser: stems without diacritics, stop words out, compounds split both ways."""

from __future__ import annotations

import pytest

from lofte.kb import analysis


@pytest.mark.parametrize(
    ("word", "language", "parts"),
    [
        ("hemforsakring", "sv", ("hem", "forsakring")),
        ("fakturaadress", "sv", ("faktura", "adress")),
        ("betalningsdag", "sv", ("betalning", "dag")),  # the linking s
        ("ersattning", "sv", ()),  # a word, not a compound of words
        ("forsakring", "sv", ()),  # a common word is not split ("för" is a stop word)
        ("kotivakuutus", "fi", ("koti", "vakuutus")),
        ("homeinsurance", "en", ()),  # English is not split
    ],
)
def test_compound_parts(word: str, language: str, parts: tuple[str, ...]) -> None:
    assert analysis.compound_parts(word, language) == parts


def test_terms_are_folded_stems_without_stop_words() -> None:
    assert analysis.terms("Hur anmäler jag en vattenskada i min hemförsäkring?", "sv") == [
        "anmal",
        "vattenskad",
        "vatt",
        "skad",
        "hemforsakring",
        "hem",
        "forsakring",
    ]


def test_missing_diacritics_meet_the_written_word() -> None:
    assert analysis.terms("hemforsakringar", "sv")[0] == analysis.terms("hemförsäkringar", "sv")[0]


def test_query_terms_keep_the_last_word_as_a_prefix_while_typing() -> None:
    assert analysis.query_terms("elavt", "sv") == (["elavt"], "elavt")
    assert analysis.query_terms("elavtal ", "sv")[1] == ""  # a finished word is no prefix
    assert analysis.query_terms("?!", "sv") == ([], "")


def test_an_unknown_language_is_read_as_english_and_any_script_is_words() -> None:
    assert analysis.terms("保险 理赔", "xx") == ["保险", "理赔"]
    assert analysis.terms("تأمين المنزل", "en") == ["تامين", "المنزل"]  # folded as every word is
