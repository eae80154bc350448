"""The demo data set of `make run`."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lofte.accounts.models import Agent, Team
from lofte.cases.models import Case, Message
from lofte.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_seed_demo_loads_teams_agents_customers_and_cases_once(capsys):
    call_command("seed_demo")
    assert "Log in as anna@demo.lofte.se / lofte-demo" in capsys.readouterr().out
    assert Team.objects.count() == 2
    assert Agent.objects.count() == 5
    assert Customer.objects.count() == 30
    assert Case.objects.count() == 100
    assert set(Case.objects.values_list("channel", flat=True)) == {"email", "web", "phone"}
    assert set(Case.objects.values_list("language", flat=True)) == {"sv", "en"}
    assert set(Case.objects.values_list("status", flat=True)) >= {"new", "waiting_on_customer", "open", "solved"}
    assert Message.objects.filter(direction="out").exists()
    assert Agent.objects.get(email="anna@demo.lofte.se").check_password("lofte-demo")

    call_command("seed_demo", "--if-empty")
    assert "Demo data already loaded." in capsys.readouterr().out
    assert Case.objects.count() == 100
    with pytest.raises(CommandError):
        call_command("seed_demo")
