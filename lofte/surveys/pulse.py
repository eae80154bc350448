"""The employee pulse: agents sit with customers all day, and their turnover and sick leave show in the service.
An admin opens a round (eNPS, "I have what I need to do my job well", "My workload is manageable", and free text);
each agent answers once; leads and admins see the figures.

Anonymous in practice: an answer is stored without the person, its time or its order (lofte.surveys.models:
PulseAnswer), and no figure of a group (the round, a team) with fewer than PULSE_MIN_GROUP answers is shown, by
the page, the API or the export alike, because they all read `pulse_results`. Comments are shown for the whole
round only, sorted by their text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.links import plain_text
from lofte.surveys.models import PULSE_MIN_GROUP, PulseAnswer, PulseRound, PulseTaken

MAX_COMMENT = 2000
MAX_DAYS = 60
QUESTIONS = {"enps": (0, 10), "equipped": (1, 5), "workload": (1, 5)}


def pulse_open(*, actor: Agent, title: str, days: int, now: datetime | None = None) -> PulseRound:
    """A new round open for `days` days (admins); a round still open closes now."""
    access.require(actor, access.Perm.CONFIGURE)
    now = now or clock.now()
    title = " ".join(str(title or "").split())[:200]
    if not title:
        raise ValidationFailed(_("Give the pulse a title."), field="title")
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(_("A pulse is open from 1 to %(max)s days.") % {"max": MAX_DAYS}, field="days")
    with transaction.atomic():
        PulseRound.objects.filter(closes_at__gt=now).update(closes_at=now)
        return PulseRound.objects.create(
            title=title, opened_at=now, closes_at=now + timedelta(days=days), opened_by=actor
        )


def pulse_current(now: datetime | None = None) -> PulseRound | None:
    now = now or clock.now()
    return PulseRound.objects.filter(opened_at__lte=now, closes_at__gt=now).order_by("-opened_at").first()


def has_answered(agent: Agent, pulse: PulseRound) -> bool:
    return PulseTaken.objects.filter(round=pulse, agent=agent).exists()


def _value(name: str, raw: object) -> int:
    low, high = QUESTIONS[name]
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = low - 1
    if not low <= value <= high:
        raise ValidationFailed(_("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}, field=name)
    return value


def pulse_answer(
    *, agent: Agent, pulse: PulseRound, enps: object, equipped: object, workload: object, comment: str = ""
) -> None:
    """The agent's answer, stored without them; refused (nothing stored) when the round is closed, they answered
    already, or an answer is out of range."""
    values = {name: _value(name, raw) for name, raw in (("enps", enps), ("equipped", equipped), ("workload", workload))}
    text = plain_text(comment, max_chars=MAX_COMMENT, field="comment")
    now = clock.now()
    if not pulse.opened_at <= now < pulse.closes_at:
        raise ValidationFailed(_("This pulse is closed."), field="enps")
    team_id = agent.teams.order_by("id").values_list("id", flat=True).first()
    try:
        with transaction.atomic():
            PulseTaken.objects.create(round=pulse, agent=agent)
            PulseAnswer.objects.create(round=pulse, team_id=team_id, comment=text, **values)
    except IntegrityError:
        raise ValidationFailed(_("You have already answered this pulse. Thank you!"), field="enps") from None


@dataclass(frozen=True)
class Figures:
    answers: int
    enps: int | None  # promoters (9-10) minus detractors (0-6), in percent of the answers
    equipped: float | None
    workload: float | None


@dataclass(frozen=True)
class TeamFigures:
    team: str
    figures: Figures


@dataclass(frozen=True)
class Results:
    pulse: PulseRound
    invited: int  # active agents
    answers: int
    figures: Figures | None  # None below PULSE_MIN_GROUP answers
    # only teams with PULSE_MIN_GROUP answers or more, and only when the answers of the others are as many (or
    # none): the round's figures less the teams shown must not be a small group's
    teams: list[TeamFigures] = field(default_factory=list)
    hidden_answers: int = 0  # answers in no team shown (counted in the round's figures)
    comments: list[str] = field(default_factory=list)  # the round's, from PULSE_MIN_GROUP answers, by their text


def _figures(rows: list[tuple[int, int, int]]) -> Figures:
    n = len(rows)
    promoters = sum(1 for e, _q, _w in rows if e >= 9)
    detractors = sum(1 for e, _q, _w in rows if e <= 6)
    return Figures(
        answers=n,
        enps=round(100 * (promoters - detractors) / n),
        equipped=round(sum(q for _e, q, _w in rows) / n, 1),
        workload=round(sum(w for _e, _q, w in rows) / n, 1),
    )


def invited_count() -> int:
    """How many agents a round asks (the active ones)."""
    return Agent.objects.filter(is_active=True).count()


def pulse_results(pulse: PulseRound, *, invited: int | None = None) -> Results:
    """The round's figures, never of a group below PULSE_MIN_GROUP answers (one query; two without `invited`, which
    a list of rounds counts once)."""
    rows = list(pulse.answers.values_list("team__name", "enps", "equipped", "workload", "comment"))
    invited = invited_count() if invited is None else invited
    if len(rows) < PULSE_MIN_GROUP:
        return Results(pulse=pulse, invited=invited, answers=len(rows), figures=None)
    by_team: dict[str, list[tuple[int, int, int]]] = {}
    for team, e, q, w, _comment in rows:
        by_team.setdefault(team or "", []).append((e, q, w))
    shown = [
        TeamFigures(team=team, figures=_figures(values))
        for team, values in sorted(by_team.items())
        if team and len(values) >= PULSE_MIN_GROUP
    ]
    hidden = len(rows) - sum(t.figures.answers for t in shown)
    if 0 < hidden < PULSE_MIN_GROUP:
        # the round's figures less the teams shown would be the figures of that small group: no teams then
        shown, hidden = [], len(rows)
    return Results(
        pulse=pulse,
        invited=invited,
        answers=len(rows),
        figures=_figures([(e, q, w) for _t, e, q, w, _c in rows]),
        teams=shown,
        hidden_answers=hidden,
        comments=sorted(c for *_rest, c in rows if c),
    )
