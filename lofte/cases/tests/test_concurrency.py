"""Case numbers stay unique and gap-free when many requests create cases at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.customers.services import customer_create


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_get_unique_consecutive_references():
    customer = customer_create(name="Karin", email="karin@example.se")
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            for _ in range(5):
                make_case(customer=customer)
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    numbers = sorted(int(ref.rsplit("-", 1)[1]) for ref in Case.objects.values_list("reference", flat=True))
    assert numbers == list(range(1, 41))
