"""The site's URLs and error handlers, plus addresses that fail on purpose (for the error page tests)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied("not for you")


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a tampered request")


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


urlpatterns = [
    path("test-errors/403", forbidden),
    path("test-errors/400", suspicious),
    path("test-errors/500", broken),
    *site_urlpatterns,
]
