"""Error pages (400, 403, 404, 500): in the site's layout and the reader's language, saying what happened
and where to go. config/urls.py names them as handler400 ... handler500; Django calls them only with
DEBUG off. API addresses never get here: /api/v1 answers its own errors, unknown addresses too, as JSON.

The templates (templates/400.html ... 500.html, on templates/errors/page.html) choose the layout: a
signed-in agent gets the agent layout and links back into the workspace; anyone else (a customer, a
visitor) the public layout with the contact form and the portal. The 500 page is rendered without the
request: it must not need the database (which may be why the request failed) nor the session, so it
always has the public layout, and offers to try the same address again.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


@requires_csrf_token  # the agent layout's forms (log out) need a token even when no view made one
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "400.html", status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    retry_path = "/" + request.path.lstrip("/")  # never "//host/...", which a browser reads as another site
    return HttpResponse(loader.get_template("500.html").render({"retry_path": retry_path}), status=500)
