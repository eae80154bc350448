"""Case numbers on PostgreSQL come from a sequence per year: concurrent creators never wait for each other's
commit, numbers stay unique, and a rolled-back creation leaves only a gap."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from lofte.cases import numbering
from lofte.cases.models import Case, ReferenceSequence
from lofte.cases.services import case_create
from lofte.core import clock

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite writes one transaction at a time: its numbers come from the year's row (test_services)",
)
NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _create(customer, subject: str = "Hej") -> Case:  # type: ignore[no-untyped-def]
    with clock.at(NOW):
        return case_create(customer=customer, subject=subject, body="Hej!", channel="email")


@pytest.mark.django_db(transaction=True)
def test_a_creator_does_not_wait_for_another_creators_open_transaction(customer):
    # given: a case created in a transaction that stays open
    numbered, release = threading.Event(), threading.Event()
    first: list[str] = []

    def slow_creator() -> None:
        try:
            with transaction.atomic():
                first.append(_create(customer, "first").reference)
                numbered.set()
                release.wait(20)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_creator)
    thread.start()
    assert numbered.wait(20)

    # when: another case is created meanwhile, with a lock timeout that a queued creator would hit
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            second = _create(customer, "second").reference
    finally:
        release.set()
        thread.join(20)

    # then: both committed, with their own numbers, the later one higher
    assert first == ["LF-2026-000001"]
    assert second == "LF-2026-000002"
    assert set(Case.objects.values_list("reference", flat=True)) == {"LF-2026-000001", "LF-2026-000002"}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_creation_leaves_a_gap_and_numbering_goes_on(customer):
    _create(customer)
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        _create(customer)
        raise RuntimeError("the request failed after the case was numbered")

    assert _create(customer).reference == "LF-2026-000003"
    assert list(Case.objects.order_by("id").values_list("reference", flat=True)) == [
        "LF-2026-000001",
        "LF-2026-000003",
    ]
    assert numbering.number_last(2026) == 3


@pytest.mark.django_db(transaction=True)
def test_the_years_first_case_failing_leaves_the_sequence_for_the_next(customer):
    # the year's first case fails after its sequence was made
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        _create(customer)
        raise RuntimeError("failed")

    # the sequence outlives it (it was made on a connection of its own): only the number is lost
    assert _create(customer).reference == "LF-2026-000002"


@pytest.mark.django_db(transaction=True)
def test_the_sequence_starts_after_the_numbers_handed_out_before(customer):
    # given: numbers handed out before sequences (an upgraded installation, or an import), and no sequence yet
    ReferenceSequence.objects.create(year=2026, last_value=41)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SEQUENCE IF EXISTS {numbering.sequence_name(2026)}")
    numbering._sequences.clear()

    assert _create(customer).reference == "LF-2026-000042"
    assert numbering.number_last(2026) == 42
    assert numbering.number_last(2031) == 0
