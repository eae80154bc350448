"""Fixtures for the settings pages: an admin, a lead and an agent; the real Dovecot of the channel tests."""

from __future__ import annotations

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.channels.tests.dovecot import imap_server

__all__ = ["imap_server"]


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Ada Admin", role=Role.ADMIN, language="en")


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD, teams=[team])


@pytest.fixture
def admin_client(client, admin):  # type: ignore[no-untyped-def]
    client.force_login(admin)
    return client
