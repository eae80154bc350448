"""The shared rate limiter: exact counts per window, failure counters and their locks, the time to wait,
pruning, client keys."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from lofte.core.models import FailureCounter, RateLimitCounter
from lofte.core.ratelimit import (
    client_key,
    failure_record,
    failures_clear,
    failures_locked_until,
    ratelimit_hit,
    ratelimit_prune,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 10, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_hits_are_allowed_up_to_the_limit_then_refused_with_the_wait():
    results = [ratelimit_hit("k", limit=3, window=HOUR, now=T0) for _ in range(5)]
    assert [r.allowed for r in results] == [True, True, True, False, False]
    assert [r.count for r in results] == [1, 2, 3, 4, 5]
    assert results[3].retry_after == 50 * 60  # the window 09:00-10:00 ends in 50 minutes
    assert results[0].retry_after == 0


def test_a_new_window_starts_afresh_and_keys_are_separate():
    for _ in range(3):
        ratelimit_hit("a", limit=2, window=HOUR, now=T0)
    assert not ratelimit_hit("a", limit=2, window=HOUR, now=T0).allowed
    assert ratelimit_hit("b", limit=2, window=HOUR, now=T0).allowed
    assert ratelimit_hit("a", limit=2, window=HOUR, now=T0 + timedelta(minutes=50)).allowed
    assert RateLimitCounter.objects.filter(key="a").count() == 2


def test_old_windows_are_pruned():
    ratelimit_hit("a", limit=2, window=HOUR, now=T0)
    ratelimit_hit("a", limit=2, window=HOUR, now=T0 + timedelta(days=2))
    assert ratelimit_prune(now=T0 + timedelta(days=2)) == 1
    assert RateLimitCounter.objects.count() == 1


def test_a_long_key_is_counted_like_any_other():
    key = "contact:email:" + "x" * 400
    assert [ratelimit_hit(key, limit=1, window=HOUR, now=T0).allowed for _ in range(2)] == [True, False]
    assert RateLimitCounter.objects.get().count == 2


# --- failure counters with a lock ----------------------------------------------

MINUTE = timedelta(minutes=1)
WINDOW = timedelta(minutes=15)


def fail(key: str, at: datetime, *, limit: int = 3, window: timedelta = WINDOW, lock_for: timedelta = WINDOW):
    return failure_record(key, limit=limit, window=window, lock_for=lock_for, now=at)


def test_the_failure_that_reaches_the_limit_locks_the_key_from_that_moment():
    assert [fail("k", T0 + n * MINUTE).locked_until for n in range(2)] == [None, None]
    third = fail("k", T0 + 2 * MINUTE)
    assert (third.failures, third.locked_until) == (3, T0 + 17 * MINUTE)
    assert failures_locked_until(["k"], now=T0 + 17 * MINUTE - timedelta(seconds=1)) == T0 + 17 * MINUTE
    assert failures_locked_until(["k"], now=T0 + 17 * MINUTE) is None  # over at exactly lock_for


def test_a_new_window_starts_with_the_first_failure_after_the_last_one_ended():
    fail("k", T0)
    fail("k", T0 + 14 * MINUTE)
    result = fail("k", T0 + 15 * MINUTE)  # the window T0..T0+15 is over: this is failure 1 of a new one
    assert (result.failures, result.locked_until) == (1, None)
    assert FailureCounter.objects.get(key="k").window_start == T0 + 15 * MINUTE


def test_a_short_lock_in_a_long_window_slows_down_each_further_failure():
    hour = timedelta(hours=1)
    results = [fail("k", T0 + n * MINUTE, limit=2, window=hour, lock_for=MINUTE) for n in range(4)]
    assert [r.failures for r in results] == [1, 2, 3, 4]
    assert [r.locked_until for r in results] == [None, T0 + 2 * MINUTE, T0 + 3 * MINUTE, T0 + 4 * MINUTE]


def test_the_latest_lock_of_several_keys_is_the_answer_and_unlocked_keys_are_none():
    fail("a", T0, limit=1, lock_for=MINUTE)
    fail("b", T0, limit=1, lock_for=5 * MINUTE)
    fail("c", T0, limit=9)
    assert failures_locked_until(["a", "b", "c", "missing"], now=T0) == T0 + 5 * MINUTE
    assert failures_locked_until(["c", "missing"], now=T0) is None


def test_clearing_forgets_the_count_and_the_lock():
    fail("a", T0, limit=1)
    fail("b", T0, limit=1)
    assert failures_clear(["a"]) == 1
    assert failures_locked_until(["a"], now=T0) is None
    assert failures_locked_until(["b"], now=T0) == T0 + WINDOW
    assert fail("a", T0 + MINUTE).failures == 1


def test_counters_past_their_window_and_lock_are_pruned():
    fail("old", T0, limit=1)  # locked until T0+15, window until T0+15
    fail("slow", T0, limit=1, window=timedelta(hours=1), lock_for=MINUTE)  # window until T0+60
    assert ratelimit_prune(now=T0 + 16 * MINUTE) == 1
    assert list(FailureCounter.objects.values_list("key", flat=True)) == ["slow"]


def test_a_long_failure_key_is_counted_like_any_other():
    key = "login:pair:" + "x" * 400
    assert [fail(key, T0).failures for _ in range(2)] == [1, 2]
    assert len(FailureCounter.objects.get().key) <= 200


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.5", "203.0.113.5"),
        (" 203.0.113.5 ", "203.0.113.5"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.5", "203.0.113.5"),  # an IPv4 client on a dual-stack socket is not all of IPv4's /64
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_client_key(address, key):
    assert client_key(address) == key


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's IMMEDIATE transactions serialise the writers; PostgreSQL's row lock is what must hold here.",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_failures_are_counted_exactly():
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    errors: list[Exception] = []

    def work() -> None:
        try:
            barrier.wait(timeout=20)
            fail("race", T0, limit=5)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    row = FailureCounter.objects.get(key="race")
    assert (row.failures, row.locked_until) == (threads_count, T0 + WINDOW)
