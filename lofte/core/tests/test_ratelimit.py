"""The shared rate limiter: exact counts per window, the time to wait, pruning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.core.models import RateLimitCounter
from lofte.core.ratelimit import ratelimit_hit, ratelimit_prune

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
