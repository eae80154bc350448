"""Incident fixtures: a lead who opens incidents, and components in a group (the status page's cache is cleared
for every test by the root conftest)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.incidents.models import Component, ComponentGroup

T0 = datetime(2026, 11, 16, 17, 0, tzinfo=UTC)  # Monday 18:00 in Stockholm


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lena Lead", role=Role.TEAM_LEAD, teams=[team], language="en")


@pytest.fixture
def bank(db):  # type: ignore[no-untyped-def]
    group = ComponentGroup.objects.create(name="Online banking", names={"sv": "Internetbanken"})
    return {
        "login": Component.objects.create(group=group, name="Log-in", names={"sv": "Inloggning"}, position=1),
        "payments": Component.objects.create(group=group, name="Payments", names={"sv": "Betalningar"}, position=2),
        "app": Component.objects.create(name="Mobile app", position=3),
    }
