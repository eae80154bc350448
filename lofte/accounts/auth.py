"""Authentication: passwords (the throttled backend every login goes through), personal API bearer tokens,
and the browser's session for the API (with CSRF). Throttling itself is lofte.accounts.throttle."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied as AuthPermissionDenied
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from lofte.accounts import throttle
from lofte.accounts.services import api_token_authenticate
from lofte.core.errors import PermissionDenied
from lofte.core.ratelimit import client_key


def request_client(request: HttpRequest) -> str:
    return client_key(request.META.get("REMOTE_ADDR", ""))


def request_login_attempt(request: HttpRequest, username: str) -> throttle.LoginAttempt:
    return throttle.login_attempt(
        username=username,
        client=request_client(request),
        device_cookie=request.COOKIES.get(throttle.DEVICE_COOKIE, ""),
    )


class ThrottledModelBackend(ModelBackend):
    """Django's email-and-password check, throttled per account and client (lofte.accounts.throttle).

    Every password login goes through it: the login page, the admin site's login, anything that calls
    `authenticate(request, username=..., password=...)`. A throttled attempt is refused before the password
    is checked (PermissionDenied stops Django's authenticate), so a right password does not get in either.
    Without a request (a shell, a management command) there is no client and nothing is throttled.
    """

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if request is None or username is None or password is None:
            return super().authenticate(request, username=username, password=password, **kwargs)
        attempt = request_login_attempt(request, username)
        if throttle.login_throttle(attempt=attempt) is not None:
            raise AuthPermissionDenied("login throttled")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            throttle.login_failure_record(attempt=attempt)
        else:
            throttle.login_success_record(attempt=attempt)
        return user


class BearerTokenAuth(HttpBearer):
    """A personal API token. A token that fails counts against the client; once the client is throttled
    its bad tokens get 429 with Retry-After. A valid token is checked first and always passes, so nobody's
    failures slow it down."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        agent = api_token_authenticate(secret=token.strip())
        if agent is not None:
            request.user = agent
            return agent
        wait = throttle.token_failure_record(client=request_client(request))
        if wait is not None:
            raise throttle.Throttled(
                f"Too many requests with invalid API tokens from your address: try again in {wait.retry_after} "
                "seconds, with a valid token.",
                retry_after=wait.retry_after,
            )
        return None


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
