"""Page decorators over the one access module: a signed-in agent whose role may do `perm`, else the 403 page with
the reason (before anything is looked up, so a refused request learns nothing about what exists)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lofte.accounts import access
from lofte.core.errors import PermissionDenied

View = Callable[..., HttpResponse]


def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    """The 403 page, saying why."""
    return render(request, "403.html", {"reason": exc.message}, status=403)


def requires(perm: access.Perm) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                access.require(request.user, perm)  # type: ignore[arg-type]
            except PermissionDenied as exc:
                return forbidden(request, exc)
            return view(request, *args, **kwargs)

        return login_required(wrapper)

    return decorate


admin_only = requires(access.Perm.CONFIGURE)
