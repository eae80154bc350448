"""The surveys API's schemas."""

from __future__ import annotations

from datetime import datetime

from ninja import Schema


class SurveyOut(Schema):
    id: int
    kind: str
    state: str
    channel: str
    due_at: datetime
    sent_at: datetime | None
    answered_at: datetime | None
    score: int | None
    helped: bool | None
    reason: str
    comment: str


class FiguresOut(Schema):
    answers: int
    enps: int | None
    equipped: float | None
    workload: float | None


class TeamFiguresOut(Schema):
    team: str
    figures: FiguresOut


class PulseResultsOut(Schema):
    id: int
    title: str
    opened_at: datetime
    closes_at: datetime
    invited: int
    answers: int
    figures: FiguresOut | None  # null below the smallest group (5 answers)
    teams: list[TeamFiguresOut]
    hidden_answers: int
    comments: list[str]
