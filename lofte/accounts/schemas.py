from __future__ import annotations

from ninja import Schema


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
    def resolve_teams(obj: object) -> list[object]:
        return list(obj.teams.all())  # type: ignore[attr-defined]
