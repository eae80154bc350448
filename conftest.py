"""Shared fixtures. Factories live in lofte/<app>/tests/factories.py."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django must allow ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):  # type: ignore[no-untyped-def]
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture
def team(db):  # type: ignore[no-untyped-def]
    from lofte.accounts.tests.factories import TeamFactory

    return TeamFactory(name="Support")


@pytest.fixture
def agent(team):  # type: ignore[no-untyped-def]
    from lofte.accounts.tests.factories import AgentFactory

    return AgentFactory(email="agent@example.com", name="Alma Agent", teams=[team])


@pytest.fixture
def other_team(db):  # type: ignore[no-untyped-def]
    from lofte.accounts.tests.factories import TeamFactory

    return TeamFactory(name="Billing")


@pytest.fixture
def outsider(other_team):  # type: ignore[no-untyped-def]
    """An agent of another team: must not see the Support team's cases."""
    from lofte.accounts.tests.factories import AgentFactory

    return AgentFactory(email="outsider@example.com", name="Otto Outsider", teams=[other_team])


@pytest.fixture
def customer(db):  # type: ignore[no-untyped-def]
    from lofte.customers.services import customer_create

    return customer_create(name="Karin Kund", email="karin@example.se", phone="070-123 45 67", language="sv")


@pytest.fixture
def case(agent, team, customer):  # type: ignore[no-untyped-def]
    from lofte.cases.services import case_create

    return case_create(
        customer=customer,
        subject="Fel belopp på fakturan",
        body="Hej! Fakturan är fel.",
        channel="email",
        team=team,
        sender="karin@example.se",
        external_id="<first@mail.example.se>",
    )


@pytest.fixture(autouse=True, scope="session")
def _media_root(tmp_path_factory):  # type: ignore[no-untyped-def]
    """Files the tests store (attachments, raw emails) go to a temporary directory, never the data directory."""
    from django.conf import settings

    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture(autouse=True)
def _fresh_status_cache(settings):  # type: ignore[no-untyped-def]
    """The status page's cache lives in the process (lofte.incidents.status): one test's incident must not show
    in the next test's pages. Its rebuilding thread reads the database on a connection of its own, which does not
    see a test's transaction: the tests of it (lofte/incidents/tests/test_status.py) switch it on in theirs."""
    from lofte.incidents.status import cache_clear

    settings.LOFTE_STATUS_REFRESH_BEHIND = False
    cache_clear()
    yield
    cache_clear()


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():  # type: ignore[no-untyped-def]
    """Passwords in tests are hashed with MD5: the production hasher (PBKDF2, a million rounds) takes half a
    second a password on these machines, and the factories give every agent one. A test of hashing itself
    sets its own hasher."""
    from django.conf import settings
    from django.contrib.auth.hashers import get_hashers, get_hashers_by_algorithm

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    get_hashers.cache_clear()  # type: ignore[attr-defined]
    get_hashers_by_algorithm.cache_clear()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_policy_cache():  # type: ignore[no-untyped-def]
    """Each test starts without cached SLA policies (ids are reused after a rollback)."""
    from django.core.cache import cache

    from lofte.channels.email.ingest import own_addresses_clear
    from lofte.promises.services import policy_cache_clear

    policy_cache_clear()
    own_addresses_clear()
    cache.clear()  # the board's month figures, cached per agent id (ids are reused after a rollback)
    yield
    policy_cache_clear()
    own_addresses_clear()


@pytest.fixture(autouse=True)
def _default_language():  # type: ignore[no-untyped-def]
    """A request's language stays active in its thread afterwards; each test starts in the default one."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _case_number_sequences(django_db_blocker):  # type: ignore[no-untyped-def]
    """On PostgreSQL, case numbers come from a sequence per year that neither a rollback nor a flush resets:
    before a test, after one that took a number (its rows rolled back or flushed by now), each sequence goes on
    after the numbers of the cases still there (those of wider fixtures), as if that test had taken none."""
    from lofte.cases import numbering

    if numbering._taken:
        from django.conf import settings
        from django.db import connection

        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for _database, year in sorted(numbering._sequences):
                prefix = f"{settings.LOFTE_REFERENCE_PREFIX}-{year}-"
                cursor.execute(
                    "SELECT COALESCE(MAX(CAST(SUBSTRING(reference FROM %s) AS integer)), 0) FROM cases_case "
                    "WHERE reference LIKE %s",
                    [f"^{prefix}([0-9]+)$", f"{prefix}%"],
                )
                (last,) = cursor.fetchone()
                cursor.execute("SELECT setval(%s, %s, false)", [numbering.sequence_name(year), last + 1])
        numbering._taken = False
