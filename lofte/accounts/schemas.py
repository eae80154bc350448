from __future__ import annotations

from ninja import Schema

from lofte.accounts import access


class TeamOut(Schema):
    id: int
    name: str
    email: str


class AgentRef(Schema):
    id: int
    name: str
    email: str

    @staticmethod
    def resolve_name(obj: object) -> str:
        return str(getattr(obj, "display_name", ""))


class MeOut(AgentRef):
    role: str
    teams: list[TeamOut]

    @staticmethod
    def resolve_role(obj: object) -> str:
        return access.role_of(obj)  # type: ignore[arg-type]  # a superuser is an admin, whatever the column says

    @staticmethod
    def resolve_teams(obj: object) -> list[object]:
        return list(obj.teams.all())  # type: ignore[attr-defined]
