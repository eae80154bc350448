"""Login throttling: failed logins and bad API tokens counted per account and per client, so that guessing
is slow and nobody can lock a user out for long (ADR 0006).

A login attempt is (account, client, device): the email address typed (normalised, stored only as a keyed
hash), the client's address (IPv6 by /64, `lofte.core.ratelimit.client_key`) and, when the browser carries a
valid device cookie for that account (it logged in to it before), that device. The counters are
`lofte.core.ratelimit` failure counters; the numbers are settings (defaults):

- account and client: 5 failures within 15 minutes lock that client out of that account for 15 minutes
  (LOFTE_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT, LOFTE_LOGIN_WINDOW_MINUTES, LOFTE_LOGIN_LOCK_MINUTES);
  other clients are not held, and a success clears the count.
- client, across accounts (password spraying): 20 failures within 15 minutes lock the client out of every
  account for 15 minutes (LOFTE_LOGIN_FAILURES_PER_CLIENT).
- account, across clients (many addresses guessing one account): from the 20th failure within an hour on,
  each failure makes the next attempt wait a minute (LOFTE_LOGIN_FAILURES_PER_ACCOUNT,
  LOFTE_LOGIN_ACCOUNT_WINDOW_MINUTES, LOFTE_LOGIN_ACCOUNT_DELAY_SECONDS): a slow-down, never a long lock-out.
- a device that logged in to the account before is held only by its own failures (5 within 15 minutes,
  then 15 minutes), not by the client's or the account's: an attacker cannot keep its user out.

While any of its counters is locked an attempt is refused before the password is looked at, so the answer
is the same whether the password was right and whether the account exists. Keys depend only on what was
typed, never on whether the account exists.

API tokens: a bearer token that fails to authenticate counts against its client; 20 within 15 minutes lock
that client's bad tokens out for 15 minutes (LOFTE_API_TOKEN_FAILURES_PER_CLIENT). A valid token is checked
first and always passes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.crypto import salted_hmac

from lofte.core import clock
from lofte.core.errors import DomainError
from lofte.core.ratelimit import failure_record, failures_clear, failures_locked_until, retry_after

DEVICE_COOKIE = "lofte_device"
_DEVICE_SALT = "lofte.accounts.throttle.device"


class Throttled(DomainError):
    """Too many failures: wait `retry_after` seconds (the API answers 429 with Retry-After)."""

    code = "throttled"
    status = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class LoginAttempt:
    account: str  # keyed hash of the normalised email address typed
    client: str  # lofte.core.ratelimit.client_key of the address
    device: str = ""  # the device id of a valid device cookie for this account, else ""


@dataclass(frozen=True)
class Throttle:
    until: datetime
    retry_after: int  # seconds, as of when it was read

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (at least 1), for the message."""
        return max(1, -(-self.retry_after // 60))


@dataclass(frozen=True)
class _Scope:
    key: str
    limit: int
    window: timedelta
    lock_for: timedelta


def account_key(username: str) -> str:
    """The account part of the keys: a keyed hash of the address as typed (case and spaces do not matter)."""
    normalised = (username or "").strip().casefold()
    return salted_hmac("lofte.accounts.throttle.account", normalised, algorithm="sha256").hexdigest()[:32]


def login_attempt(*, username: str, client: str, device_cookie: str = "") -> LoginAttempt:
    account = account_key(username)
    return LoginAttempt(account=account, client=client, device=device_from_cookie(device_cookie, account=account))


def _minutes(name: str) -> timedelta:
    return timedelta(minutes=getattr(settings, name))


def _scopes(attempt: LoginAttempt) -> list[_Scope]:
    window, lock = _minutes("LOFTE_LOGIN_WINDOW_MINUTES"), _minutes("LOFTE_LOGIN_LOCK_MINUTES")
    per_pair = settings.LOFTE_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT
    if attempt.device:
        return [_Scope(f"login:device:{attempt.device}", per_pair, window, lock)]
    return [
        _Scope(f"login:pair:{attempt.account}:{attempt.client}", per_pair, window, lock),
        _Scope(f"login:client:{attempt.client}", settings.LOFTE_LOGIN_FAILURES_PER_CLIENT, window, lock),
        _Scope(
            f"login:account:{attempt.account}",
            settings.LOFTE_LOGIN_FAILURES_PER_ACCOUNT,
            _minutes("LOFTE_LOGIN_ACCOUNT_WINDOW_MINUTES"),
            timedelta(seconds=settings.LOFTE_LOGIN_ACCOUNT_DELAY_SECONDS),
        ),
    ]


def _throttle(until: datetime | None, now: datetime) -> Throttle | None:
    return None if until is None else Throttle(until=until, retry_after=retry_after(until, now))


def login_throttle(*, attempt: LoginAttempt) -> Throttle | None:
    """The wait in force for this attempt, or None when it may go ahead (one query)."""
    now = clock.now()
    return _throttle(failures_locked_until([scope.key for scope in _scopes(attempt)], now=now), now)


def login_failure_record(*, attempt: LoginAttempt) -> Throttle | None:
    """Count a failed login on each of its counters, in one transaction; the wait now in force, if this failure
    started one. The rows are always locked in the same order (account and client, client, account), so two
    attempts that share rows cannot deadlock."""
    now = clock.now()
    with transaction.atomic():
        locks = [
            failure_record(scope.key, limit=scope.limit, window=scope.window, lock_for=scope.lock_for, now=now)
            for scope in _scopes(attempt)
        ]
    return _throttle(max((r.locked_until for r in locks if r.locked_until), default=None), now)


def login_success_record(*, attempt: LoginAttempt) -> None:
    """A successful login clears this client's (or this device's) count for the account; the counts of other
    clients and of the account as a whole stay, so that a success does not give an attacker new guesses."""
    failures_clear([_scopes(attempt)[0].key])  # the device's counter, or the account and client's


# --- device cookies ------------------------------------------------------------


def device_cookie_value(*, username: str) -> str:
    """A new signed device cookie for the account: this browser logged in to it."""
    return signing.dumps({"a": account_key(username), "d": secrets.token_urlsafe(16)}, salt=_DEVICE_SALT)


def device_from_cookie(value: str, *, account: str) -> str:
    """The device id of a valid, unexpired cookie issued for `account`, else ""."""
    if not value:
        return ""
    try:
        data = signing.loads(value, salt=_DEVICE_SALT, max_age=timedelta(days=settings.LOFTE_LOGIN_DEVICE_DAYS))
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("a") != account or not isinstance(data.get("d"), str):
        return ""
    return str(data["d"])


# --- API tokens ----------------------------------------------------------------


def _token_scope(client: str) -> _Scope:
    window, lock = _minutes("LOFTE_LOGIN_WINDOW_MINUTES"), _minutes("LOFTE_LOGIN_LOCK_MINUTES")
    return _Scope(f"token:client:{client}", settings.LOFTE_API_TOKEN_FAILURES_PER_CLIENT, window, lock)


def token_failure_record(*, client: str) -> Throttle | None:
    """A bearer token from `client` failed: count it unless the client is locked already; the wait in force."""
    now = clock.now()
    scope = _token_scope(client)
    if until := failures_locked_until([scope.key], now=now):
        return _throttle(until, now)
    result = failure_record(scope.key, limit=scope.limit, window=scope.window, lock_for=scope.lock_for, now=now)
    return _throttle(result.locked_until, now)
