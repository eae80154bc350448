"""HTTP routing: pages, the admin site and the API (/api/v1, docs at /api/docs)."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.static import serve
from ninja.openapi.views import openapi_json, openapi_view

from config.api import api

admin.site.site_header = "Lofte"
admin.site.site_title = "Lofte admin"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:inbox", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", partial(openapi_view, api=api), name="api-docs"),
    path("api/openapi.json", partial(openapi_json, api=api), name="api-openapi"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("lofte.accounts.urls")),
    path("", include("lofte.cases.urls")),
    path("", include("lofte.customers.urls")),
    path("", include("lofte.notifications.urls")),
    path("", include("lofte.promises.urls")),
    path("", include("lofte.webform.urls")),
    path("portal/", include("lofte.portal.urls")),
    path("help/", include("lofte.helpcentre.urls")),
    path("", include("lofte.callbacks.urls")),
    path("", include("lofte.teams.urls")),
    path("", include("lofte.configure.urls")),
    path("", include("lofte.routing.urls")),
    path("", include("lofte.kb.urls")),
    path("", include("lofte.channels.urls")),
    path("", include("lofte.triage.urls")),
    path("", include("lofte.complaints.urls")),
    path("", include("lofte.incidents.urls")),
    path("", include("lofte.surveys.urls")),
]

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]

# Error pages in the site's layout and the reader's language (used with DEBUG off; lofte/core/views.py).
handler400 = "lofte.core.views.bad_request"
handler403 = "lofte.core.views.permission_denied"
handler404 = "lofte.core.views.page_not_found"
handler500 = "lofte.core.views.server_error"
