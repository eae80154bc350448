"""Fixtures for callbacks: a team calendar (Mon-Fri 08-17 Stockholm), the Support team's capacity, a fixed now."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from lofte.core import clock

# Monday 23 November 2026, 10:00 in Stockholm
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def now() -> Iterator[datetime]:
    with clock.at(NOW) as moment:
        yield moment


@pytest.fixture
def calendar(db):  # type: ignore[no-untyped-def]
    from lofte.promises.calendars import calendar_create

    return calendar_create(name="Support hours", time_zone="Europe/Stockholm")


@pytest.fixture
def capacity(team, calendar):  # type: ignore[no-untyped-def]
    from lofte.callbacks.models import CallbackCapacity

    return CallbackCapacity.objects.create(team=team, per_slot=2, slot_minutes=15, calendar=calendar)


@pytest.fixture
def email_only(settings):  # type: ignore[no-untyped-def]
    settings.LOFTE_TRANSPORTS = {"email": "lofte.channels.email.transport.EmailTransport"}
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    return settings


@pytest.fixture
def with_sms(settings):  # type: ignore[no-untyped-def]
    settings.LOFTE_TRANSPORTS = {
        "email": "lofte.channels.email.transport.EmailTransport",
        "sms": "lofte.outbox.tests.transports.ScriptedTransport",
    }
    settings.LOFTE_CALLBACK_FROM_NUMBER = "08-123 456 78"
    return settings
