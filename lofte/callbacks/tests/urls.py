"""The site's URLs with a NinjaAPI holding the callbacks router in front of the site's /api/v1/, so the API is
tested before (and after) config/api.py adds the router; errors answer as the site's API answers them."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from ninja import NinjaAPI

from lofte.accounts.auth import BearerTokenAuth, SessionAuth
from lofte.callbacks.api import router
from lofte.core.errors import DomainError

api = NinjaAPI(auth=[BearerTokenAuth(), SessionAuth()], urls_namespace="callbacks-test-api", docs_url=None)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    body = {"code": exc.code, "message": exc.message, **({"field": exc.field} if exc.field else {})}
    return api.create_response(request, body, status=exc.status)


api.add_router("/", router)

urlpatterns = [path("api/v1/", api.urls), path("", include(settings.ROOT_URLCONF))]
