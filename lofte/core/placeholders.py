"""Texts with placeholders that people write and Lofte fills in: acknowledgement templates, macros.

A placeholder is a name in braces, `{reference}`, one of a known list; `{{` and `}}` are literal braces. Nothing
else of Python's format language is allowed: a conversion (`{reference!r}`), a format spec (`{reference:>9999999}`,
which would pad the text to any size its writer asks for) or an attribute or index (`{reference.__class__}`,
`{reference[0]}`) is a problem named in the check, and `fill` refuses a text the check would not pass, so a text
that reached the database some other way still cannot run anything or grow without bound.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _

from lofte.core.errors import ValidationFailed


def _known(known: Iterable[str]) -> str:
    return ", ".join("{" + name + "}" for name in known)


def problems(text: str, known: Iterable[str]) -> list[str]:
    """What is wrong with the text's placeholders, one sentence each (empty when it is fine)."""
    known = list(known)
    try:
        fields = [(name, spec, conversion) for _t, name, spec, conversion in string.Formatter().parse(text)]
    except ValueError as exc:
        return [_("The text has an unmatched brace: %(error)s. Write {{ and }} for a literal brace.") % {"error": exc}]
    found: list[str] = []
    for name, spec, conversion in fields:
        if name is None:
            continue
        if name not in known:
            found.append(_("{%(name)s} is not a placeholder; use %(known)s.") % {"name": name, "known": _known(known)})
        elif spec or conversion:
            found.append(_("Write {%(name)s} alone, with nothing after the name inside the braces.") % {"name": name})
    return found


def names(text: str) -> set[str]:
    """The placeholders the text uses (of a text that passes `problems`)."""
    return {name for _t, name, _s, _c in string.Formatter().parse(text) if name}


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value; ValidationFailed for a text with problems."""
    if found := problems(text, values.keys()):
        raise ValidationFailed(found[0], field="body")
    return string.Formatter().vformat(text, (), dict(values))
