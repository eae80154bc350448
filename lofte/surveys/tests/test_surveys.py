"""Surveys after solving: CSAT an hour after a case is solved on the customer's channel (a rule per case type and
channel may change the delay, switch it off or ask CES), a quarantine per customer, a signed single-use link that
records nothing on opening; the answer on the timeline, a negative one told to the team's leads; altered, used
and expired links and out-of-range answers record nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.cases.models import CaseEvent
from lofte.cases.services import case_transition
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.customers.services import customer_create
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.surveys import services
from lofte.surveys.models import Survey, SurveyKind, SurveyRule, SurveyState

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 8, 0, tzinfo=UTC)  # Monday 09:00 in Stockholm


@pytest.fixture
def lead(team):  # type: ignore[no-untyped-def]
    return AgentFactory(role=Role.TEAM_LEAD, teams=[team], name="Lena Lead")


@pytest.fixture
def ella(db):  # type: ignore[no-untyped-def]
    return customer_create(name="Ella English", email="ella@example.com", language="en")


def solve(customer, team, agent, *, at=T0, channel="email", case_type=None):  # type: ignore[no-untyped-def]
    with clock.at(at):
        case = make_case(customer=customer, team=team, channel=channel, case_type=case_type)
        case_transition(case=case, actor=agent, status="open")
        case_transition(case=case, actor=agent, status="solved")
    return case


def run(at: datetime) -> dict[str, int]:
    with clock.at(at):
        return services.surveys_run(now=at)


def sent(case) -> Survey:  # type: ignore[no-untyped-def]
    run(T0 + timedelta(minutes=1))
    run(T0 + timedelta(minutes=61))
    return Survey.objects.get(case=case, kind=SurveyKind.CSAT)


def asked(to: str) -> list[str]:
    return [
        m.payload["text"]
        for m in OutboxMessage.objects.filter(to=to, automatic=True).order_by("id")
        if "How did we do?" in m.payload["text"] or "Did we help you?" in m.payload["text"]
    ]


def test_a_solved_case_is_asked_an_hour_later_on_its_channel(ella, team, agent):
    case = solve(ella, team, agent)
    assert run(T0 + timedelta(minutes=1))["scheduled"] == 1
    assert run(T0 + timedelta(minutes=2))["scheduled"] == 0  # once per solving
    survey = Survey.objects.get()
    assert (survey.state, survey.due_at, survey.team_id, survey.channel) == (
        SurveyState.SCHEDULED,
        case.solved_at + timedelta(minutes=60),
        team.pk,
        "email",
    )
    assert run(T0 + timedelta(minutes=30))["sent"] == 0  # not yet
    assert run(T0 + timedelta(minutes=61))["sent"] == 1
    survey.refresh_from_db()
    assert (survey.state, survey.sent_on) == (SurveyState.SENT, "email")
    assert survey.expires_at == T0 + timedelta(minutes=61, days=14)
    [text] = asked("ella@example.com")
    url = services.survey_url(survey)
    assert f"{url}?score=1" in text and f"{url}?score=0" in text and case.reference in text


def test_an_answer_is_recorded_on_the_timeline_and_the_link_then_closes(ella, team, agent, lead):
    case = solve(ella, team, agent)
    survey = sent(case)
    token = services.survey_token(survey)
    with clock.at(T0 + timedelta(hours=3)):
        services.survey_answer(token=token, score="1", helped="yes", comment="Quick and kind")
        survey.refresh_from_db()
        assert (survey.state, survey.score, survey.helped, survey.comment) == (
            SurveyState.ANSWERED,
            1,
            True,
            "Quick and kind",
        )
        event = CaseEvent.objects.get(case=case, kind=services.EVENT)
        assert event.data == {"kind": "csat", "score": 1, "helped": True, "reason": "", "comment": "Quick and kind"}
        assert not Notification.objects.filter(kind=services.NOTIFY_KIND).exists()  # a good answer tells nobody
        with pytest.raises(services.LinkUsed):
            services.survey_answer(token=token, score="0")
    survey.refresh_from_db()
    assert survey.score == 1


def test_a_negative_answer_tells_the_teams_lead(ella, team, agent, lead):
    survey = sent(solve(ella, team, agent))
    with clock.at(T0 + timedelta(hours=3)):
        services.survey_answer(token=services.survey_token(survey), score="1", helped="no", reason="not_solved")
    [notice] = Notification.objects.filter(kind=services.NOTIFY_KIND)
    assert notice.agent_id == lead.pk and survey.case.reference in notice.text


def test_bad_answers_and_links_record_nothing(ella, team, agent):
    survey = sent(solve(ella, team, agent))
    token = services.survey_token(survey)
    with clock.at(T0 + timedelta(hours=3)):
        for bad in (token[:-2] + "xx", "nonsense", "", token.replace(":", ";")):
            with pytest.raises(services.LinkInvalid):
                services.survey_answer(token=bad, score="1")
        for score in ("2", "-1", "ten", "", "1.5"):
            with pytest.raises(ValidationFailed) as refused:
                services.survey_answer(token=token, score=score)
            assert refused.value.field == "score"
        with pytest.raises(ValidationFailed):
            services.survey_answer(token=token, score="1", helped="maybe")
        with pytest.raises(ValidationFailed):
            services.survey_answer(token=token, score="0", reason="bribe")
        with pytest.raises(ValidationFailed):
            services.survey_answer(token=token, score="0", comment="x" * 2001)
        Survey.objects.filter(pk=survey.pk).update(nonce="another")  # sent again: the older link is void
        with pytest.raises(services.LinkInvalid):
            services.survey_answer(token=token, score="1")
    survey.refresh_from_db()
    assert (survey.state, survey.score) == (SurveyState.SENT, None)
    assert not CaseEvent.objects.filter(kind=services.EVENT).exists()


def test_silence_expires_the_link(ella, team, agent):
    survey = sent(solve(ella, team, agent))
    assert run(T0 + timedelta(days=15))["expired"] == 1
    survey.refresh_from_db()
    assert survey.state == SurveyState.EXPIRED
    with clock.at(T0 + timedelta(days=15)), pytest.raises(services.LinkExpired):
        services.survey_answer(token=services.survey_token(survey), score="1")


def test_one_customer_is_asked_once_in_the_quarantine(ella, team, agent):
    first = solve(ella, team, agent)
    second = solve(ella, team, agent, at=T0 + timedelta(minutes=5))
    later = solve(ella, team, agent, at=T0 + timedelta(days=15))
    run(T0 + timedelta(minutes=10))
    run(T0 + timedelta(minutes=70))
    run(T0 + timedelta(days=15, minutes=1))
    states = {s.case_id: (s.state, s.note) for s in Survey.objects.all()}
    assert states[first.pk][0] == SurveyState.EXPIRED  # sent, never answered
    assert states[second.pk] == (SurveyState.QUARANTINED, "asked within 14 days")
    assert states[later.pk][0] == SurveyState.SCHEDULED  # 15 days on: asked again


def test_a_survey_the_worker_comes_to_days_late_is_not_sent(ella, team, agent):
    solve(ella, team, agent)
    run(T0 + timedelta(minutes=1))
    assert run(T0 + timedelta(days=3))["cancelled"] == 1
    assert Survey.objects.get().note == "too late: the worker was not running"
    assert asked("ella@example.com") == []


def test_a_rule_per_case_type_and_channel(ella, team, agent):
    quiet, billing = CaseTypeFactory(name="Legal"), CaseTypeFactory(name="Billing")
    SurveyRule.objects.create(kind=SurveyKind.CSAT, case_type=quiet, enabled=False)
    SurveyRule.objects.create(kind=SurveyKind.CSAT, channel="email", delay_minutes=5)
    SurveyRule.objects.create(kind=SurveyKind.CES, case_type=billing, delay_minutes=10, quarantine_days=0)
    legal = solve(ella, team, agent, case_type=quiet)
    bill = solve(customer_create(name="Bo", email="bo@example.com", language="en"), team, agent, case_type=billing)
    run(T0 + timedelta(minutes=1))
    assert list(Survey.objects.filter(case=legal).values_list("kind", "state", "note")) == [
        ("csat", SurveyState.CANCELLED, "off")  # one row: the case is not looked at again
    ]
    kinds = {s.kind: s.due_at for s in Survey.objects.filter(case=bill)}
    assert kinds == {"csat": bill.solved_at + timedelta(minutes=5), "ces": bill.solved_at + timedelta(minutes=10)}
    run(T0 + timedelta(minutes=11))
    ces = Survey.objects.get(case=bill, kind="ces")
    assert ces.state == SurveyState.SENT
    with clock.at(T0 + timedelta(minutes=12)):
        for score in ("0", "8"):
            with pytest.raises(ValidationFailed):
                services.survey_answer(token=services.survey_token(ces), score=score)
        assert services.survey_answer(token=services.survey_token(ces), score="3").negative


def test_the_most_specific_rule_wins():
    billing_id = 7
    rules = [
        SurveyRule(kind="csat", delay_minutes=1),
        SurveyRule(kind="csat", channel="sms", delay_minutes=2),
        SurveyRule(kind="csat", case_type_id=billing_id, delay_minutes=3),
        SurveyRule(kind="csat", case_type_id=billing_id, channel="sms", delay_minutes=4),
        SurveyRule(kind="ces", case_type_id=billing_id, channel="sms", delay_minutes=5),
    ]
    pick = services.rule_for
    assert pick(rules, kind="csat", case_type_id=None, channel="email").delay_minutes == 1
    assert pick(rules, kind="csat", case_type_id=None, channel="sms").delay_minutes == 2
    assert pick(rules, kind="csat", case_type_id=billing_id, channel="email").delay_minutes == 3
    assert pick(rules, kind="csat", case_type_id=billing_id, channel="sms").delay_minutes == 4
    assert pick([], kind="ces", case_type_id=None, channel="sms").enabled is False


def test_a_case_reopened_before_the_survey_cancels_it(ella, team, agent):
    case = solve(ella, team, agent)
    run(T0 + timedelta(minutes=1))
    with clock.at(T0 + timedelta(minutes=30)):
        case_transition(case=case, actor=agent, status="open")
    assert run(T0 + timedelta(minutes=61))["cancelled"] == 1
    assert Survey.objects.get().state == SurveyState.CANCELLED
    assert asked("ella@example.com") == []


def test_cases_solved_long_ago_or_without_a_customer_channel_are_not_asked(ella, team, agent):
    solve(ella, team, agent, at=T0 - timedelta(days=30))
    solve(ella, team, agent, channel="api")
    assert run(T0 + timedelta(minutes=1))["scheduled"] == 0
    assert not Survey.objects.exists()


def test_no_address_leaves_it_unsent(team, agent):
    nobody = customer_create(name="No Address", language="en")
    case = solve(nobody, team, agent, channel="phone")
    run(T0 + timedelta(minutes=1))
    assert run(T0 + timedelta(minutes=61))["unsent"] == 1
    assert Survey.objects.get(case=case).state == SurveyState.UNSENT


def test_by_sms_the_question_is_short(team, agent):
    karin = customer_create(name="Karin", phone="+46701234567", language="sv")
    case = solve(karin, team, agent, channel="sms")
    survey = sent(case)
    assert survey.sent_on == "sms"
    [message] = OutboxMessage.objects.filter(to="+46701234567", automatic=True).order_by("-id")[:1]
    text = message.payload["text"]
    assert "Hjälpte vi dig?" in text and f"{services.survey_url(survey)}?score=0" in text
    assert len(text) < 320


# --- the page --------------------------------------------------------------------------------------------------


def test_the_page_asks_on_get_and_records_on_post(client, ella, team, agent):
    survey = sent(solve(ella, team, agent))
    url = f"/survey/{services.survey_token(survey)}"
    with clock.at(T0 + timedelta(hours=2)):
        page = client.get(f"{url}?score=0")
        assert page.status_code == 200
        html = page.content.decode()
        assert "How did we do?" in html and 'value="0" checked' in html and "Did we help you?" in html
        survey.refresh_from_db()
        assert survey.state == SurveyState.SENT  # a mail scanner opening the link answers nothing
        response = client.post(url, {"score": "0", "helped": "no", "comment": "<script>alert(1)</script>"})
        assert response.status_code == 200 and "We are sorry it was not good." in response.content.decode()
        again = client.post(url, {"score": "1"})
        assert again.status_code == 409 and "already answered" in again.content.decode()
        assert client.get("/survey/forged-token").status_code == 404
    survey.refresh_from_db()
    assert (survey.score, survey.comment) == (0, "<script>alert(1)</script>")


def test_a_refused_answer_keeps_what_was_written(client, ella, team, agent):
    survey = sent(solve(ella, team, agent))
    with clock.at(T0 + timedelta(hours=2)):
        response = client.post(f"/survey/{services.survey_token(survey)}", {"score": "5", "comment": "Keep me"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose good or not good." in html and "Keep me" in html
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT


def test_the_timeline_shows_the_answer_as_text(client, ella, team, agent):
    case = solve(ella, team, agent)
    survey = sent(case)
    with clock.at(T0 + timedelta(hours=2)):
        services.survey_answer(token=services.survey_token(survey), score="0", reason="slow", comment="<b>late</b>")
    client.force_login(agent)
    html = client.get(f"/cases/{case.reference}/").content.decode()
    assert "answered the survey: not good" in html and "It took too long" in html
    assert "&lt;b&gt;late&lt;/b&gt;" in html and "<b>late</b>" not in html


def test_the_page_speaks_the_customers_language(client, team, agent):
    karin = customer_create(name="Karin", email="karin@example.se", language="fi")
    survey = sent(solve(karin, team, agent))
    with clock.at(T0 + timedelta(hours=2)):
        html = client.get(f"/survey/{services.survey_token(survey)}").content.decode()
    assert 'lang="fi"' in html


def test_an_admins_own_text_is_sent_and_the_built_in_one_otherwise(ella, team, agent):
    from lofte.cases.models import NoticeTemplate

    NoticeTemplate.objects.create(
        kind="survey_csat", language="en", body="Hi {customer_name}! {reference}: 👍 {good} 👎 {not_good} ({until})"
    )
    case = solve(ella, team, agent)
    survey = sent(case)
    [message] = OutboxMessage.objects.filter(to="ella@example.com", automatic=True).order_by("-id")[:1]
    url = services.survey_url(survey)
    assert message.payload["text"].startswith(f"Hi Ella English! {case.reference}: 👍 {url}?score=1 👎 {url}?score=0 (")


# --- NPS, the customer page, the loyalty light ---------------------------------------------------------------


def test_nps_is_asked_once_per_customer_in_its_days_and_instead_of_csat(ella, team, agent):
    SurveyRule.objects.create(kind=SurveyKind.NPS, delay_minutes=60, quarantine_days=90)
    first = solve(ella, team, agent)
    again = solve(ella, team, agent, at=T0 + timedelta(days=20))
    run(T0 + timedelta(minutes=1))
    run(T0 + timedelta(minutes=61))
    run(T0 + timedelta(days=20, minutes=1))
    got = {(s.case_id, s.kind): (s.state, s.note) for s in Survey.objects.all()}
    assert got[(first.pk, "nps")][0] == SurveyState.EXPIRED  # sent; unanswered in its 14 days
    assert got[(first.pk, "csat")] == (SurveyState.QUARANTINED, "NPS asked instead")  # one question at a time
    assert got[(again.pk, "nps")] == (SurveyState.QUARANTINED, "asked within 90 days")
    assert got[(again.pk, "csat")][0] == SurveyState.SCHEDULED  # CSAT's own quarantine (14 days) is over
    [text] = [
        m.payload["text"]
        for m in OutboxMessage.objects.filter(to="ella@example.com", automatic=True)
        if "recommend" in m.payload["text"]
    ]
    nps = Survey.objects.get(case=first, kind="nps")
    assert services.survey_url(nps) in text and first.reference in text


def test_an_nps_answer_is_0_to_10_and_why(client, ella, team, agent, lead):
    SurveyRule.objects.create(kind=SurveyKind.NPS, delay_minutes=60, quarantine_days=90)
    case = solve(ella, team, agent)
    run(T0 + timedelta(minutes=1))
    run(T0 + timedelta(minutes=61))
    nps = Survey.objects.get(case=case, kind="nps")
    url = f"/survey/{services.survey_token(nps)}"
    with clock.at(T0 + timedelta(hours=2)):
        html = client.get(url).content.decode()
        assert "Would you recommend us?" in html and 'value="10"' in html and 'value="0"' in html
        assert "Did we help you?" not in html  # NPS asks for a score and why, nothing else
        for score in ("11", "-1"):
            assert client.post(url, {"score": score}).status_code == 422
        assert client.post(url, {"score": "6", "helped": "no"}).status_code == 422
        assert client.post(url, {"score": "6", "comment": "Slow answers"}).status_code == 200
    nps.refresh_from_db()
    assert (nps.score, nps.comment, nps.negative) == (6, "Slow answers", True)  # a detractor
    assert Notification.objects.filter(kind=services.NOTIFY_KIND, agent=lead).count() == 1


def test_the_customer_page_shows_the_answers_of_cases_the_reader_sees(client, ella, team, agent, outsider, other_team):
    mine = solve(ella, team, agent)
    theirs = solve(ella, other_team, outsider, at=T0 + timedelta(days=20))
    for case, at in ((mine, T0), (theirs, T0 + timedelta(days=20))):
        run(at + timedelta(minutes=1))
        run(at + timedelta(minutes=61))
        survey = Survey.objects.get(case=case, kind="csat")
        with clock.at(at + timedelta(hours=2)):
            services.survey_answer(
                token=services.survey_token(survey), score="0", comment=f"secret about {case.reference}"
            )
    client.force_login(agent)
    html = client.get(f"/customers/{ella.pk}/").content.decode()
    assert "Survey answers" in html and f"secret about {mine.reference}" in html
    assert f"secret about {theirs.reference}" not in html  # a case of another team: not this reader's


def test_a_negative_answer_makes_the_loyalty_light_yellow(ella, team, agent):
    from lofte.customers.lights import lights_for

    assert lights_for([ella.pk])[ella.pk].color == "green"
    survey = sent(solve(ella, team, agent))
    with clock.at(T0 + timedelta(hours=2)):
        services.survey_answer(token=services.survey_token(survey), score="0")
        light = lights_for([ella.pk])[ella.pk]
    assert (light.color, light.reason) == ("yellow", "Answered a survey negatively within 90 days")
    with clock.at(T0 + timedelta(days=91)):
        assert lights_for([ella.pk])[ella.pk].color == "green"  # an old answer no longer counts


def test_a_used_link_says_so_in_the_customers_language(client, team, agent):
    karin = customer_create(name="Karin", email="karin@example.se", language="sv")
    survey = sent(solve(karin, team, agent))
    url = f"/survey/{services.survey_token(survey)}"
    with clock.at(T0 + timedelta(hours=2)):
        assert client.post(url, {"score": "1"}, HTTP_ACCEPT_LANGUAGE="en").status_code == 200
        again = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    html = again.content.decode()
    assert again.status_code == 409 and 'lang="sv"' in html and "Du har redan svarat. Tack!" in html


def test_the_api_lists_a_cases_surveys_to_those_who_see_the_case(ella, team, agent, outsider):
    from lofte.accounts.tests.api_client import Api

    case = solve(ella, team, agent)
    survey = sent(case)
    with clock.at(T0 + timedelta(hours=2)):
        services.survey_answer(token=services.survey_token(survey), score="1", helped="yes", comment="Thanks")
    [row] = Api(agent).get(f"/cases/{case.reference}/surveys").json()
    assert (row["kind"], row["state"], row["score"], row["helped"], row["comment"]) == (
        "csat",
        "answered",
        1,
        True,
        "Thanks",
    )
    assert "nonce" not in row
    assert Api(outsider).get(f"/cases/{case.reference}/surveys").status_code == 404
