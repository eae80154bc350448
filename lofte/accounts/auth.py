"""API authentication: personal bearer tokens, and the browser's session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from lofte.accounts.services import api_token_authenticate


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        agent = api_token_authenticate(secret=token.strip())
        if agent is not None:
            request.user = agent
        return agent


class SessionAuth(NinjaSessionAuth):
    """The logged-in agent's session; unsafe methods need the CSRF token, as on the pages."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is not None and user.is_active:
            return user
        return None
