"""API authentication: personal bearer tokens, and the browser's session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from lofte.accounts.services import api_token_authenticate
from lofte.core.errors import PermissionDenied


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        agent = api_token_authenticate(secret=token.strip())
        if agent is not None:
            request.user = agent
        return agent


class SessionAuth(NinjaSessionAuth):
    """The logged-in agent's session; unsafe methods need the CSRF token, as on the pages.

    The CSRF check only guards requests that the session would authenticate:
    a request without a logged-in session is simply unauthenticated (401),
    not a CSRF failure, so a script with a bad token learns what is wrong.
    """

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        try:
            return super().__call__(request)
        except HttpError as exc:
            raise PermissionDenied(
                "CSRF check failed: send the csrftoken cookie's value in the X-CSRFToken header, "
                "or authenticate with 'Authorization: Bearer <token>'.",
                code="csrf_failed",
            ) from exc

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None
