"""Reads for the contact form."""

from __future__ import annotations

from lofte.cases.models import CaseType


def public_case_types(*, language: str) -> list[tuple[CaseType, str]]:
    """Case types customers may choose, with the name they see in `language`, in that name's order."""
    types = CaseType.objects.filter(is_public=True, is_active=True).select_related("default_team")
    named = [(case_type, case_type.public_name(language)) for case_type in types]
    return sorted(named, key=lambda pair: (pair[1].casefold(), pair[0].pk))
