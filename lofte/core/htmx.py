"""HTMX helpers: one view answers both a partial (HTMX) and a full page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def render_page_or_partial(
    request: HttpRequest,
    *,
    page: str,
    partial: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    """Render `partial` for an HTMX request, `page` (which includes the partial) otherwise."""
    template = partial if is_htmx(request) else page
    return render(request, template, context, status=status)
