"""Which language a customer wrote in: right or "don't know" on the project's own messages, never a wild guess on a
few words, and any text at all answered without an error."""

from __future__ import annotations

import pytest

from lofte.core import language
from lofte.core.language import OTHER, language_detect
from lofte.core.tests.language_corpus import MESSAGES, SHORT


@pytest.mark.parametrize("written_in", sorted(MESSAGES))
def test_the_projects_messages_are_recognised_and_never_mistaken(written_in):
    found = [language_detect(text).language for text in MESSAGES[written_in]]
    wrong = [(text, got) for text, got in zip(MESSAGES[written_in], found, strict=True) if got not in ("", written_in)]
    assert wrong == []
    known = sum(got == written_in for got in found)
    assert known / len(found) >= 0.85, f"{written_in}: {known} of {len(found)} recognised"


@pytest.mark.parametrize("text", SHORT)
def test_a_few_words_are_not_guessed(text):
    assert language_detect(text) == language.UNKNOWN


def test_bokmal_and_nynorsk_are_both_norwegian():
    assert language_detect("Eg har ikkje fått rekninga for november, kan de sende ho på nytt?").language == "nb"


def test_danish_or_norwegian_that_could_be_either_is_not_guessed():
    """One word that only Danish spells so ('jer') is not enough against lingua's doubt: 'don't know', and the
    mailbox's language stands."""
    assert language_detect("Jeg har en konto hos jer og den virker ikke") == language.Detected("", 0.458)


def test_words_only_one_of_danish_and_norwegian_spells_so_decide_between_them():
    assert language_detect("Hej, jeg har ikke modtaget noget fra jer, hvad sker der nu?").language == "da"
    assert language_detect("Hei, jeg har ikke mottatt noe fra dere, hva skjer nå?").language == "nb"


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте, я не получил счет за ноябрь. Можете отправить его ещё раз?",
        "您好，我没有收到十一月的账单，可以再发一次吗？",
        "Hallo, ich habe meine Rechnung für November nicht bekommen. Können Sie sie noch einmal schicken?",
    ],
)
def test_a_language_lofte_does_not_write_is_other(text):
    found = language_detect(text)
    assert found.language == OTHER and not found.known


def test_addresses_links_and_numbers_do_not_count_as_words():
    text = "anna.karlsson@example.se https://example.se/faktura/123456 0701234567 Tack!"
    assert language_detect(text) == language.UNKNOWN


def test_a_megabyte_reads_only_its_beginning():
    text = "Hei, en ole saanut laskua marraskuulta. " + "x" * 1_000_000
    assert language_detect(text).language == "fi"


def test_mixed_languages_take_the_one_most_of_the_words_are_in():
    text = (
        "Hej! Jag har fortfarande inte fått någon faktura för november och undrar när den kommer. "
        "Vänliga hälsningar, Karin. Sent from my iPhone"
    )
    assert language_detect(text).language == "sv"


@pytest.mark.parametrize("text", ["\x00\x01\x02 abc", "\ud800 lone surrogate text here", "<<<>>>" * 100, "🙂" * 500])
def test_any_text_is_answered_without_an_error(text):
    assert language_detect(text).language in ("", OTHER, "sv", "da", "nb", "fi", "en")


def test_the_detector_is_built_once_per_process():
    language_detect("Hej, jag har inte fått någon faktura för november.")
    first = language._built()
    language_detect("Hei, en ole saanut laskua marraskuulta.")
    assert language._built() is first


def test_the_confidence_floor_is_a_setting(settings):
    text = "Hej, routern blinkar rött sen igår kväll och internet funkar inte alls"
    assert language_detect(text).language == "sv"
    settings.LOFTE_LANGUAGE_MIN_CONFIDENCE = 0.999
    assert language_detect(text).language == ""
