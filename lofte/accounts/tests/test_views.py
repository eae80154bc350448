from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from lofte.accounts.models import Agent, ApiToken
from lofte.accounts.services import api_token_authenticate
from lofte.accounts.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_agents_log_in_with_their_email_address(client, agent):
    response = client.post(
        reverse("accounts:login"), {"username": "Agent@Example.com", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:inbox")


def test_wrong_password_says_so_and_keeps_the_email(client, agent):
    response = client.post(reverse("accounts:login"), {"username": "agent@example.com", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter a correct email address and password." in html
    assert 'value="agent@example.com"' in html


def test_inactive_agent_cannot_log_in(client):
    AgentFactory(email="gone@example.com", is_active=False)
    response = client.post(
        reverse("accounts:login"), {"username": "gone@example.com", "password": "correct horse battery staple"}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, agent):
    client.force_login(agent)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_preferences_set_language_and_time_zone(client, agent):
    client.force_login(agent)
    client.post(
        reverse("accounts:preferences"),
        {"form": "preferences", "name": "Alma", "language": "fi", "time_zone": "Europe/Helsinki"},
    )
    agent.refresh_from_db()
    assert (agent.name, agent.language, agent.time_zone) == ("Alma", "fi", "Europe/Helsinki")
    assert 'lang="fi"' in client.get(reverse("cases:inbox")).content.decode()


def test_token_is_shown_once_works_and_can_be_revoked(client, agent):
    client.force_login(agent)
    html = client.post(reverse("accounts:preferences"), {"form": "token", "name": "CRM"}).content.decode()
    secret = html.split('data-testid="new-token">')[1].split("<")[0]
    assert api_token_authenticate(secret=secret) == agent
    token = ApiToken.objects.get()
    assert secret not in (token.token_hash, token.prefix) and token.name == "CRM"
    assert secret not in client.get(reverse("accounts:preferences")).content.decode()
    client.post(reverse("accounts:token_revoke", args=[token.prefix]))
    assert api_token_authenticate(secret=secret) is None


def test_an_agent_cannot_revoke_someone_elses_token(client, agent):
    from lofte.accounts.services import api_token_create

    other = AgentFactory()
    issued = api_token_create(agent=other)
    client.force_login(agent)
    client.post(reverse("accounts:token_revoke", args=[issued.token.prefix]))
    assert api_token_authenticate(secret=issued.secret) == other


def test_createsuperuser_noinput_with_email(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "s3cret-admin-pass")
    call_command("createsuperuser", "--noinput", "--email", "boss@example.com", verbosity=0)
    boss = Agent.objects.get(email="boss@example.com")
    assert boss.is_superuser and boss.is_staff and boss.role == "admin"
    assert boss.check_password("s3cret-admin-pass")


@pytest.mark.django_db(transaction=True)
def test_lofte_is_the_console_entry_point():
    """`lofte` runs Django's manage.py (here: `lofte check`)."""
    exe = os.path.join(os.path.dirname(sys.executable), "lofte")
    env = {**os.environ, "DATABASE_URL": _database_url()}
    result = subprocess.run([exe, "check"], capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def _database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
