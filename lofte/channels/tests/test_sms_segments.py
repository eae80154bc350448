"""Segment counting: GSM-7 with its extension table, UCS-2, and the boundaries between one SMS and two."""

from __future__ import annotations

import pytest

from lofte.channels.sms.segments import GSM7, UCS2, Segments, segments


def test_plain_swedish_text_is_gsm7_in_one_sms() -> None:
    assert segments("Hej Karin! Din faktura är rättad, 120 kr återbetalas.") == Segments(
        encoding=GSM7, segments=1, characters=53, units=53, per_segment=160, remaining=107
    )


def test_empty_text_is_no_sms() -> None:
    assert segments("") == Segments(GSM7, 0, 0, 0, 160, 160)


@pytest.mark.parametrize(("length", "expected"), [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm7_boundaries(length: int, expected: int) -> None:
    result = segments("a" * length)
    assert (result.encoding, result.segments, result.characters) == (GSM7, expected, length)


def test_161_characters_leave_145_in_the_second_part() -> None:
    assert segments("a" * 161) == Segments(GSM7, 2, 161, 161, 153, 145)


def test_extension_characters_count_double() -> None:
    # € [ ] { } ~ ^ | \ each take an escape and the character
    result = segments("€[]{}~^|\\")
    assert result == Segments(GSM7, 1, 9, 18, 160, 142)


def test_extension_characters_push_a_text_over_160() -> None:
    assert segments("a" * 159).segments == 1
    assert segments("a" * 159 + "€").segments == 2  # 161 septets
    assert segments("a" * 158 + "€").segments == 1  # exactly 160 septets


def test_an_escape_pair_is_never_split_between_parts() -> None:
    # 152 septets, then € (2 septets) does not fit the 153 of the first part: it starts the second
    result = segments("a" * 152 + "€" + "b" * 10)
    assert (result.segments, result.units, result.remaining) == (2, 164, 153 - 12)


def test_gsm7_basic_specials_are_single_septets() -> None:
    text = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà"
    assert segments(text) == Segments(GSM7, 1, len(text), len(text), 160, 160 - len(text))


def test_one_character_outside_gsm_makes_the_whole_text_ucs2() -> None:
    result = segments("Hej " + "ł")  # Polish ł is not in GSM 03.38
    assert (result.encoding, result.segments, result.per_segment) == (UCS2, 1, 70)


@pytest.mark.parametrize(("length", "expected"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_boundaries_in_cyrillic(length: int, expected: int) -> None:
    result = segments("Ж" * length)
    assert (result.encoding, result.segments, result.characters, result.units) == (UCS2, expected, length, length)


def test_emoji_take_two_code_units() -> None:
    assert segments("Tack! 👍") == Segments(UCS2, 1, 7, 8, 70, 62)
    assert segments("👍" * 35) == Segments(UCS2, 1, 35, 70, 70, 0)
    assert segments("👍" * 36).segments == 2


def test_a_surrogate_pair_is_never_split_between_parts() -> None:
    # 66 units, then an emoji (2 units) does not fit the 67 of the first part
    result = segments("Ж" * 66 + "👍" + "Ж" * 5)
    assert (result.segments, result.units, result.remaining) == (2, 73, 67 - 7)


def test_cyrillic_greeting() -> None:
    assert segments("Здравствуйте, Карин!") == Segments(UCS2, 1, 20, 20, 70, 50)
