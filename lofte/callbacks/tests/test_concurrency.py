"""The last places of a slot from 20 concurrent bookings on PostgreSQL: exactly the capacity succeeds."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from lofte.callbacks import services
from lofte.callbacks.models import Callback, CallbackSlot
from lofte.callbacks.tests.conftest import NOW
from lofte.callbacks.tests.test_services import at
from lofte.core import clock
from lofte.promises.models import Promise, PromiseKind

THREADS = 20


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks: IMMEDIATE transactions serialise every booking, so there is no race to "
    "lose; PostgreSQL's READ COMMITTED re-check of the locked slot row is what the conditional UPDATE must get right.",
)
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_bookings_of_the_last_places_fill_exactly_the_capacity(capacity, email_only):
    capacity.per_slot = 5
    capacity.save()
    slot = at(10, 30)
    with clock.at(NOW):
        for number in ("0701000001", "0701000002"):
            services.callback_book(team=capacity.team, slot_start=slot, phone=number)
    barrier = threading.Barrier(THREADS)
    booked: list[int] = []
    full: list[int] = []
    offered: list[int] = []
    errors: list[Exception] = []

    def work(index: int) -> None:
        try:
            with clock.at(NOW):
                barrier.wait(timeout=20)
                try:
                    services.callback_book(team=capacity.team, slot_start=slot, phone=f"07020000{index:02d}")
                    booked.append(index)
                except services.SlotFull as exc:
                    full.append(index)
                    offered.append(len(exc.next_slots))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert (len(booked), len(full)) == (3, THREADS - 3)
    assert offered == [5] * (THREADS - 3)  # every refusal offers the next free times
    assert CallbackSlot.objects.get(team=capacity.team, start=slot).booked == 5
    assert Callback.objects.filter(slot_start=slot).count() == 5
    assert Promise.objects.filter(kind=PromiseKind.CALLBACK).count() == 5
