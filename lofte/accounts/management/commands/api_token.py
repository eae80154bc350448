"""`lofte api_token create --user EMAIL [--name N]`, `list --user EMAIL`, `revoke PREFIX`."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from lofte.accounts.models import Agent
from lofte.accounts.selectors import api_token_list_for_agent
from lofte.accounts.services import api_token_create, api_token_revoke_by_prefix
from lofte.core.errors import DomainError


class Command(BaseCommand):
    help = "Create, list and revoke personal API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Issue a token; the secret is printed once.")
        create.add_argument("--user", required=True, help="The agent's email address.")
        create.add_argument("--name", default="", help="What the token is for.")
        listing = sub.add_parser("list", help="List an agent's tokens.")
        listing.add_argument("--user", required=True)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def _agent(self, email: str) -> Agent:
        agent = Agent.objects.filter(email__iexact=email.strip()).first()
        if agent is None:
            raise CommandError(f"No agent with the email address {email}.")
        return agent

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                issued = api_token_create(agent=self._agent(options["user"]), name=options["name"])
                self.stdout.write(issued.secret)
                self.stderr.write(
                    f"Token {issued.token.prefix} created; store it now, it is not shown again. "
                    f"Send it as 'Authorization: Bearer <token>'."
                )
            elif options["action"] == "list":
                for token in api_token_list_for_agent(agent=self._agent(options["user"])):
                    state = "revoked" if token.revoked_at else "active"
                    used = token.last_used_at.isoformat() if token.last_used_at else "never"
                    self.stdout.write(f"{token.prefix}\t{state}\t{token.name}\tlast used {used}")
            else:
                token = api_token_revoke_by_prefix(prefix=options["prefix"])
                self.stdout.write(f"Token {token.prefix} revoked.")
        except DomainError as exc:
            raise CommandError(exc.message) from exc
