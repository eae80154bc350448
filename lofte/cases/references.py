"""Case references (`LF-2026-000123`): the one parser every channel uses to find one in what a customer sent."""

from __future__ import annotations

import re
from functools import cache

from django.conf import settings


@cache
def _patterns(prefix: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    core = rf"{re.escape(prefix)}-\d{{4}}-\d{{6,}}"
    bracketed = re.compile(rf"\[\s*({core})\s*\]", re.IGNORECASE)
    whole = re.compile(rf"\s*\[?\s*({core})\s*\]?\s*", re.IGNORECASE)
    return bracketed, whole


def reference_in_subject(text: str) -> str | None:
    """The reference written in brackets somewhere in a subject line ("Re: [LF-2026-000123] Fakturan"), upper-case;
    bare references in running text are not taken (a customer quoting another case number is not a reply)."""
    match = _patterns(settings.LOFTE_REFERENCE_PREFIX)[0].search(text or "")
    return match.group(1).upper() if match else None


def reference_whole(text: str) -> str | None:
    """The reference when `text` is one and nothing else (brackets and spaces allowed), upper-case."""
    match = _patterns(settings.LOFTE_REFERENCE_PREFIX)[1].fullmatch(text or "")
    return match.group(1).upper() if match else None


def normalise_reference(text: str) -> str:
    """What a person typed as a reference, as stored: trimmed and upper-case (no validation)."""
    return (text or "").strip().upper()
