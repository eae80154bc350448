"""The employee pulse: an admin opens a round; every agent answers once; the answer is stored without the person;
leads and admins see the figures, never of a group of fewer than five answers (nor one found by subtraction)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory, TeamFactory
from lofte.core import clock
from lofte.core.errors import PermissionDenied, ValidationFailed
from lofte.surveys import pulse
from lofte.surveys.models import PulseAnswer, PulseRound, PulseTaken

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return AgentFactory(email="admin@example.com", role=Role.ADMIN)


@pytest.fixture
def open_round(admin):  # type: ignore[no-untyped-def]
    return pulse.pulse_open(actor=admin, title="November", days=7, now=T0)


def answer(agent, round_, enps=8, equipped=4, workload=3, comment=""):  # type: ignore[no-untyped-def]
    with clock.at(T0 + timedelta(hours=1)):
        pulse.pulse_answer(agent=agent, pulse=round_, enps=enps, equipped=equipped, workload=workload, comment=comment)


def team_of(name: str, n: int):  # type: ignore[no-untyped-def]
    team = TeamFactory(name=name)
    return [AgentFactory(email=f"{name.lower()}{i}@example.com", teams=[team]) for i in range(n)]


def test_an_answer_is_stored_without_the_person_once(open_round, agent):
    answer(agent, open_round, comment="More <b>headsets</b>")
    stored = PulseAnswer.objects.get()
    fields = {f.name for f in PulseAnswer._meta.get_fields()}
    assert fields == {"id", "round", "team", "enps", "equipped", "workload", "comment"}  # no agent, no time
    assert (stored.enps, stored.equipped, stored.workload, stored.comment) == (8, 4, 3, "More <b>headsets</b>")
    assert PulseTaken.objects.filter(round=open_round, agent=agent).exists()
    assert {f.name for f in PulseTaken._meta.get_fields()} == {"id", "round", "agent"}  # no time, no answer
    with pytest.raises(ValidationFailed, match="already answered"):
        answer(agent, open_round, enps=0)
    assert PulseAnswer.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"enps": 11}, "enps"),
        ({"enps": -1}, "enps"),
        ({"enps": "ten"}, "enps"),
        ({"equipped": 0}, "equipped"),
        ({"workload": 6}, "workload"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
def test_an_answer_out_of_range_is_refused_and_nothing_stored(open_round, agent, values, field):
    with pytest.raises(ValidationFailed) as refused:
        answer(agent, open_round, **values)
    assert refused.value.field == field
    assert not PulseAnswer.objects.exists() and not PulseTaken.objects.exists()


def test_a_closed_round_takes_no_answer(open_round, agent):
    with clock.at(T0 + timedelta(days=8)), pytest.raises(ValidationFailed, match="closed"):
        pulse.pulse_answer(agent=agent, pulse=open_round, enps=5, equipped=3, workload=3)
    assert not PulseTaken.objects.exists()


def test_only_admins_open_a_round_and_a_new_one_closes_the_open_one(open_round, admin, agent):
    with pytest.raises(PermissionDenied):
        pulse.pulse_open(actor=agent, title="Mine", days=7)
    with pytest.raises(ValidationFailed):
        pulse.pulse_open(actor=admin, title="Long", days=61, now=T0)
    later = pulse.pulse_open(actor=admin, title="December", days=7, now=T0 + timedelta(days=2))
    open_round.refresh_from_db()
    assert open_round.closes_at == T0 + timedelta(days=2)
    assert pulse.pulse_current(T0 + timedelta(days=3)) == later


def test_no_figure_below_five_answers(open_round):
    for agent in team_of("Support", 4):
        answer(agent, open_round, enps=0, comment="I am the only one who says this")
    results = pulse.pulse_results(open_round)
    assert (results.answers, results.figures, results.teams, results.comments) == (4, None, [], [])


def test_figures_from_five_with_enps_and_teams_of_five(open_round):
    support = team_of("Support", 5)
    billing = team_of("Billing", 5)
    for i, agent in enumerate(support):
        answer(agent, open_round, enps=[10, 9, 8, 6, 3][i], equipped=4, workload=2, comment=f"s{i}")
    for agent in billing:
        answer(agent, open_round, enps=9, equipped=5, workload=5)
    results = pulse.pulse_results(open_round)
    assert results.figures is not None
    assert (results.figures.answers, results.figures.enps) == (10, 50)  # 7 promoters, 2 detractors of 10
    assert [(t.team, t.figures.enps, t.figures.equipped) for t in results.teams] == [
        ("Billing", 100, 5.0),
        ("Support", 0, 4.0),  # 2 promoters, 2 detractors of 5
    ]
    assert results.comments == ["s0", "s1", "s2", "s3", "s4"]  # by their text, never by when


def test_a_small_team_cannot_be_found_by_subtraction(open_round):
    for agent in team_of("Support", 5):
        answer(agent, open_round, enps=9)
    [lonely] = team_of("Night", 1)
    answer(lonely, open_round, enps=0)
    results = pulse.pulse_results(open_round)
    assert results.figures is not None and results.figures.answers == 6
    # Support's figures beside everyone's would give the night shift's one answer: no team is shown
    assert results.teams == [] and results.hidden_answers == 6


def test_the_pages_answer_and_show_only_to_leads_and_admins(client, open_round, agent, admin):
    lead = AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD)
    client.force_login(agent)
    with clock.at(T0 + timedelta(hours=1)):
        page = client.get("/pulse/").content.decode()
        assert "November" in page and 'name="enps"' in page
        refused = client.post("/pulse/", {"enps": "12", "equipped": "3", "workload": "3", "comment": "keep me"})
        assert refused.status_code == 422 and "keep me" in refused.content.decode()
        done = client.post("/pulse/", {"enps": "7", "equipped": "3", "workload": "3"}, follow=True)
        assert "You have answered this pulse." in done.content.decode()
        assert client.get("/pulse/results/").status_code == 403
        client.force_login(lead)
        html = client.get("/pulse/results/").content.decode()
        assert "November" in html and "Too few answers to show" in html and "Open a new pulse" not in html
        assert client.post("/pulse/results/", {"title": "Lead's", "days": "7"}).status_code == 403
        client.force_login(admin)
        assert client.post("/pulse/results/", {"title": "December", "days": "7"}).status_code == 302
    assert PulseRound.objects.filter(title="December").exists()


def test_the_results_page_never_shows_a_person(client, open_round, admin):
    people = team_of("Support", 5)
    for agent in people:
        answer(agent, open_round, comment="Quiet corner please")
    client.force_login(admin)
    html = client.get("/pulse/results/").content.decode()
    assert "Quiet corner please" in html
    for agent in people:
        assert agent.email not in html and agent.name not in html


def test_the_api_gives_the_same_figures_and_never_a_small_group(open_round, admin, agent):
    from lofte.accounts.tests.api_client import Api

    lead = AgentFactory(email="lead@example.com", role=Role.TEAM_LEAD)
    for person in team_of("Support", 4):
        answer(person, open_round, enps=0, comment="only four of us")
    small = Api(lead).get(f"/pulses/{open_round.pk}").json()
    assert (small["answers"], small["figures"], small["teams"], small["comments"]) == (4, None, [], [])
    answer(team_of("Billing", 1)[0], open_round, enps=10)
    body = Api(admin).get("/pulses").json()
    [first] = body
    assert first["figures"] == {"answers": 5, "enps": -60, "equipped": 4.0, "workload": 3.0}
    assert first["teams"] == [] and first["hidden_answers"] == 5  # Support's four beside Billing's one: no teams
    assert "agent" not in str(body) and "email" not in str(body)
    assert Api(agent).get("/pulses").status_code == 403
    assert Api(lead).get("/pulses/999999").status_code == 404


def test_the_results_page_reads_one_query_per_round(client, open_round, admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin)
    client.get("/pulse/results/")
    with CaptureQueriesContext(connection) as one:
        client.get("/pulse/results/")
    for n in range(2):
        pulse.pulse_open(actor=admin, title=f"Round {n}", days=7, now=T0 + timedelta(days=n + 1))
    with CaptureQueriesContext(connection) as three:
        client.get("/pulse/results/")
    assert len(three) == len(one) + 2  # each further round: its answers, and nothing else (agents counted once)
