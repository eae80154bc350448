"""One world per test module, built once inside a transaction that is rolled back when the module ends; every
test runs in a savepoint of its own (pytest-django's `db`), so an allowed write never reaches the next check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction

from tests.permissions.world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:  # type: ignore[no-untyped-def]
    from lofte.channels.email.ingest import own_addresses_clear
    from lofte.promises.services import policy_cache_clear

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            policy_cache_clear()
            own_addresses_clear()
            yield build_world()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            policy_cache_clear()
            own_addresses_clear()


@pytest.fixture
def w(world: World, db) -> World:  # type: ignore[no-untyped-def]
    """The module's world, inside this test's savepoint."""
    return world
