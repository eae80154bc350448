"""Routing tests' helpers: agents put online with a capacity and skills, teams with routing turned on."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from lofte.accounts.models import Agent, Team
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.cases.models import Case
from lofte.cases.services import case_create
from lofte.customers.models import Customer
from lofte.routing.models import AgentStatus, Availability, ChannelCapacity, RoutingMode, Skill, TeamRouting


def make_available(
    agent: Agent,
    *,
    status: str = AgentStatus.ONLINE,
    capacity: int = 5,
    total: int | None = None,
    skills: Iterable[str] = (),
    **channels: int,
) -> Availability:
    """The agent's availability as the test wants it (set up directly: this is the given, not the behaviour)."""
    availability, _created = Availability.objects.update_or_create(
        agent=agent, defaults={"status": status, "default_capacity": capacity, "total_capacity": total}
    )
    for channel, value in channels.items():
        ChannelCapacity.objects.update_or_create(
            availability=availability, channel=channel, defaults={"capacity": value}
        )
    rows = []
    for text in skills:
        kind, _sep, value = text.partition(":")
        rows.append(Skill.objects.get_or_create(kind=kind, value=value)[0])
    availability.skills.set(rows)
    return availability


def route_team(team: Team, mode: str = RoutingMode.ROUND_ROBIN, **options: object) -> TeamRouting:
    return TeamRouting.objects.update_or_create(team=team, defaults={"mode": mode, **options})[0]


def open_case(customer: Customer, team: Team | None, *, channel: str = "email", **extra: object) -> Case:
    return case_create(customer=customer, subject="Hjälp", body="Hej!", channel=channel, team=team, **extra)


@pytest.fixture
def crew(team) -> list[Agent]:  # type: ignore[no-untyped-def]
    """Three agents of the Support team, online with room for five cases per channel, in id order."""
    agents = [AgentFactory(email=f"crew{i}@example.com", name=f"Crew {i}", teams=[team]) for i in range(3)]
    for agent in agents:
        make_available(agent)
    return agents


@pytest.fixture
def lead(team) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="lead@example.com", name="Lena Lead", role="team_lead", teams=[team])


@pytest.fixture
def admin(db) -> Agent:  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", name="Adam Admin", role="admin")


@pytest.fixture
def triage_team(db) -> Team:  # type: ignore[no-untyped-def]
    return TeamFactory(name="Triage")


@pytest.fixture(autouse=True)
def fast_passwords(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
