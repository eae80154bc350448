"""One response's own Content-Security-Policy (lofte/core/csp.py), through Django's middleware."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware
from django.test import RequestFactory

from lofte.core.csp import csp_download, csp_frame_ancestors


def header(settings, view) -> str:  # type: ignore[no-untyped-def]
    middleware = ContentSecurityPolicyMiddleware(view)
    return str(middleware(RequestFactory().get("/"))["Content-Security-Policy"])


def framed(*sources: str):  # type: ignore[no-untyped-def]
    def view(request: HttpRequest) -> HttpResponse:
        return csp_frame_ancestors(HttpResponse("<p>form</p>"), list(sources))  # type: ignore[return-value]

    return view


def test_frame_ancestors_replace_only_that_directive(settings):
    settings.SECURE_CSP = {"default-src": ["'self'"], "img-src": ["'self'", "data:"], "frame-ancestors": ["'none'"]}
    assert header(settings, framed("https://www.shop.example", "https://*.shop.example")) == (
        "default-src 'self'; img-src 'self' data:; frame-ancestors https://www.shop.example https://*.shop.example"
    )
    assert settings.SECURE_CSP["frame-ancestors"] == ["'none'"]  # the site's policy itself is untouched


def test_no_sources_is_none(settings):
    settings.SECURE_CSP = {"default-src": ["'self'"], "frame-ancestors": ["'none'"]}
    assert header(settings, framed()) == "default-src 'self'; frame-ancestors 'none'"


def test_without_a_site_policy_the_frame_rule_still_holds(settings):
    """With SECURE_CSP switched off, an embedded page keeps what it had before the site had a policy."""
    settings.SECURE_CSP = {}
    assert header(settings, framed("https://www.shop.example")) == "frame-ancestors https://www.shop.example"


def test_a_download_runs_and_loads_nothing(settings):
    def view(request: HttpRequest) -> HttpResponse:
        return csp_download(HttpResponse(b"<script>alert(1)</script>"))  # type: ignore[return-value]

    assert header(settings, view) == "default-src 'none'; sandbox; frame-ancestors 'none'"
