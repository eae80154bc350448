"""How many SMS a text becomes, and in which encoding.

A text written only with the GSM 03.38 default alphabet (and its extension
table, whose characters take two septets: an escape and the character) goes
as GSM-7: 160 septets in one SMS, 153 per part when it is split. Any other
character makes the whole text UCS-2: 70 UTF-16 code units in one SMS, 67 per
part; characters outside the Basic Multilingual Plane (most emoji) take two.
Neither an escape pair nor a surrogate pair is split across parts, so a part
can hold one unit less than its maximum; the counting below packs parts the
way the network does.

    >>> segments("Hej Karin!")
    Segments(encoding='GSM-7', segments=1, characters=10, units=10, per_segment=160, remaining=150)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

# GSM 03.38 basic character set (the escape 0x1B is left out: it is not a character one types)
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# the extension table: each is sent as ESC + character, two septets
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    segments: int  # SMS the text is sent as (0 for an empty text)
    characters: int  # characters as a person counts them (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    per_segment: int  # the most units one SMS of this text can hold (160/153 or 70/67)
    remaining: int  # units left in the last SMS before another one is needed

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def is_gsm7(text: str) -> bool:
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _unit_sizes(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [2 if ord(c) > 0xFFFF else 1 for c in text]


def _pack(sizes: list[int], capacity: int) -> tuple[int, int]:
    """Parts needed when no character is split between two; and the units free in the last part."""
    parts, used = 1, 0
    for size in sizes:
        if used + size > capacity:
            parts, used = parts + 1, 0
        used += size
    return parts, capacity - used


def segments(text: str) -> Segments:
    """The encoding, SMS count and character count of `text` as it would be sent."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _unit_sizes(text, encoding)
    units = sum(sizes)
    if units <= SINGLE[encoding]:
        count = 1 if units else 0
        return Segments(encoding, count, len(text), units, SINGLE[encoding], SINGLE[encoding] - units)
    parts, remaining = _pack(sizes, MULTI[encoding])
    return Segments(encoding, parts, len(text), units, MULTI[encoding], remaining)
