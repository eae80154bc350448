from __future__ import annotations

import factory

from lofte.accounts.models import Agent, Role, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class AgentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agent
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    name = factory.Sequence(lambda n: f"Agent {n}")
    role = Role.AGENT
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def teams(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create and extracted:
            self.teams.set(extracted)
