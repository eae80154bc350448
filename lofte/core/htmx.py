"""HTMX helpers: one view answers both a partial (HTMX) and a full page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render


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


def back_to_case(request: HttpRequest, case_url: str, *, reload: bool = False) -> HttpResponse:
    """Back to the case after a form on its page. For HTMX a redirect too, which the browser follows as HTMX: the
    case's body comes back into #case, wherever the agent has it open (the inbox pane stays the inbox); `reload`
    (an error to show) reloads the whole page, which shows it."""
    if is_htmx(request) and reload:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = case_url
        return response
    return redirect(case_url)
