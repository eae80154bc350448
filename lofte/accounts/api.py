from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from lofte.accounts.schemas import MeOut, TeamOut
from lofte.accounts.selectors import team_list

router = Router(tags=["agents and teams"])


@router.get("/teams", response=list[TeamOut], summary="List teams")
def list_teams(request: HttpRequest) -> object:
    return list(team_list())


@router.get("/me", response=MeOut, summary="The authenticated agent")
def me(request: HttpRequest) -> object:
    return request.auth  # type: ignore[attr-defined]
