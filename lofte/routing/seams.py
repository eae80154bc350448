"""What the routing app adds to the cases app: every new case goes through routing, inside the transaction that
opened it (lofte.cases.opened). Called from RoutingConfig.ready(); the cases app imports nothing of this app."""

from __future__ import annotations

from lofte.cases import opened
from lofte.cases.models import Case
from lofte.routing.services import route_case


def route_opened_case(case: Case) -> None:
    route_case(case)


def register() -> None:
    opened.register(route_opened_case)
