"""The demo data set of `make run`: a story told relative to now, the same at any time of day, that the first
worker pass does not turn into a flood of mail and notifications."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from lofte.accounts.models import Agent, Role
from lofte.callbacks.models import Callback, CallbackCapacity
from lofte.callbacks.selectors import callback_queue, callback_slots
from lofte.cases.models import Case, Macro, Message
from lofte.cases.tasks import acknowledge_cases
from lofte.core import clock
from lofte.customers.models import Customer, CustomerIdentity
from lofte.incidents.models import Incident
from lofte.notifications.models import Notification
from lofte.outbox.models import OutboxMessage
from lofte.outbox.tasks import deliver_outbox
from lofte.promises.board import board_for
from lofte.promises.models import Promise, ResponseTimeStat
from lofte.promises.stats import eta_held_rates, eta_held_total, kept_rate_period
from lofte.promises.tasks import promise_tick

pytestmark = pytest.mark.django_db

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A Tuesday morning in office hours; the Sunday morning the clocks go forward (the office closed, today's
# story compressed into three hours); Christmas Eve seven minutes after midnight (holidays ahead, today's
# story compressed into seven minutes).
# In UTC, as the clock gives it.
MOMENTS = [
    datetime(2026, 3, 10, 10, 30, tzinfo=STOCKHOLM).astimezone(UTC),
    datetime(2026, 3, 29, 3, 10, tzinfo=STOCKHOLM).astimezone(UTC),
    datetime(2026, 12, 24, 0, 7, tzinfo=STOCKHOLM).astimezone(UTC),
]


@pytest.fixture
def sent_sms(settings, tmp_path) -> Path:
    """The console SMS provider (the embedded default) writes here."""
    assert settings.LOFTE_SMS_PROVIDER == "console"
    assert "sms" in settings.LOFTE_TRANSPORTS
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    return tmp_path / "sent-sms"


def _sms_lines(directory: Path) -> list[dict[str, str]]:
    return [json.loads(line) for f in sorted(directory.glob("*.jsonl")) for line in f.read_text().splitlines()]


def _worker_pass() -> dict[str, object]:
    """The scheduler's jobs once each, as a worker's first round runs them."""
    return {
        "acknowledged": acknowledge_cases.call(),
        "tick": promise_tick.call(),
        "delivered": deliver_outbox.call(),
    }


@pytest.mark.parametrize("moment", MOMENTS, ids=["tuesday-10:30", "dst-sunday-03:10", "christmas-eve-00:07"])
def test_the_demo_tells_the_same_story_at_any_time_and_the_first_worker_pass_sends_a_handful(
    moment, capsys, sent_sms, mailoutbox
):
    with clock.at(moment):
        call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Log in as anna@demo.lofte.se / lofte-demo" in out
    assert "qa@demo.lofte.se" in out

    # the desk: two teams, the published logins, a QA reviewer in Kundservice
    assert Agent.objects.count() == 6
    roles = {a.email: (a.role, sorted(t.name for t in a.teams.all())) for a in Agent.objects.all()}
    assert roles["anna@demo.lofte.se"] == (Role.TEAM_LEAD, ["Kundservice"])
    assert roles["admin@demo.lofte.se"] == (Role.ADMIN, ["Fakturering", "Kundservice"])
    assert roles["qa@demo.lofte.se"] == (Role.QA_REVIEWER, ["Kundservice"])
    for email in ("anna@demo.lofte.se", "admin@demo.lofte.se", "qa@demo.lofte.se"):
        assert Agent.objects.get(email=email).check_password("lofte-demo")

    # macros: everyone's in Swedish and English, Fakturering's, and Anna's own
    assert sorted(Macro.objects.values_list("name", "owner__email", "team__name", "language")) == [
        ("Behöver kundnummer", "anna@demo.lofte.se", None, "sv"),
        ("Fakturan krediterad", None, "Fakturering", "sv"),
        ("Tack, vi återkommer", None, None, "sv"),
        ("Thanks, we will get back", None, None, "en"),
    ]

    # customers with email addresses, mobile numbers, or both (two more booked a callback on /callback)
    assert Customer.objects.count() == 32
    kinds = Counter(
        tuple(sorted(CustomerIdentity.objects.filter(customer=c).values_list("kind", flat=True)))
        for c in Customer.objects.all()
    )
    assert kinds == {("email", "phone"): 15, ("email",): 10, ("phone",): 7}

    # the cases: a month of history, all solved or closed, and today's
    assert Case.objects.count() == 99
    assert Counter(Case.objects.values_list("status", flat=True)) == {
        "solved": 59,
        "closed": 22,
        "open": 8,
        "new": 6,
        "waiting_on_customer": 3,
        "waiting_on_third_party": 1,
    }
    assert Counter(Case.objects.values_list("channel", flat=True)) == {"email": 51, "web": 17, "phone": 16, "sms": 15}
    complaints = Case.objects.filter(case_type__is_complaint=True, status__in=["new", "open"])
    assert sorted(complaints.values_list("status", "priority")) == [("new", 3), ("open", 3)]
    assert all(c.created_at > moment - timedelta(hours=6) for c in complaints)

    # the promises, per state and kind: the same at every moment
    on_cases = Promise.objects.exclude(subject_type="incident")
    assert Counter(on_cases.values_list("state", flat=True)) == {"kept": 222, "pending": 42, "broken": 7}
    # the status page's history: each past incident's updates kept; the planned maintenance promises none
    incident_promises = Promise.objects.filter(subject_type="incident")
    assert Counter(incident_promises.values_list("state", flat=True)) == {"kept": 7}
    assert Incident.objects.filter(resolved_at__isnull=False).count() == 3
    assert Incident.objects.get(resolved_at__isnull=True).kind == "maintenance"
    assert Counter(on_cases.filter(state="pending").values_list("kind", flat=True)) == {
        "resolution": 19,
        "next_update": 10,
        "first_response": 6,
        "follow_up": 4,
        "callback": 3,
    }
    paused = Promise.objects.filter(state="pending", paused_at__isnull=False)
    assert paused.count() == 6
    assert set(paused.values_list("case__status", flat=True)) == {"waiting_on_customer"}

    # callbacks: capacity for both teams, slots offered, one due now, two to come, four made
    capacities = {c.team.name: (c.per_slot, c.slot_minutes, c.calendar.name) for c in CallbackCapacity.objects.all()}
    assert capacities == {"Kundservice": (2, 30, "Dygnet runt"), "Fakturering": (1, 15, "Kontorstid")}
    for capacity in CallbackCapacity.objects.all():
        assert callback_slots(team=capacity.team, start=moment, days=5, limit=1)
    assert Counter(Callback.objects.values_list("state", flat=True)) == {"reached": 4, "pending": 3}
    admin = Agent.objects.get(email="admin@demo.lofte.se")
    queue = callback_queue(agent=admin, now=moment)
    assert (len(queue.due_now), len(queue.upcoming), len(queue.overdue)) == (1, 2, 0)
    assert queue.due_now[0].name == "Greta Lund"
    assert queue.due_now[0].attempts == 1

    # recent first responses, so the acknowledgement's predicted time has data; most came by the time stated
    since = (moment - timedelta(days=30)).date()
    responses = ResponseTimeStat.objects.filter(day__gte=since)
    assert sum(responses.filter(channel="", case_type=0).values_list("count", flat=True)) == 93
    assert sum(responses.filter(channel="email", case_type=0).values_list("count", flat=True)) == 49
    start, end = kept_rate_period(date_from=None, date_to=None, today=timezone.localdate(moment))
    held = eta_held_total(
        eta_held_rates(agent=Agent.objects.get(email="admin@demo.lofte.se"), date_from=start, date_to=end)
    )
    assert (held.held, held.missed) == (51, 14)

    # the board: something in every column for anna (Kundservice's lead), for James and for the admin
    anna = Agent.objects.get(email="anna@demo.lofte.se")
    board = board_for(agent=anna, now=moment)
    # overdue: what is still owed; the first response broken on the case waiting on a third party was answered
    # late since (settled), so only the broken follow-up is
    assert (len(board.due_soon), len(board.overdue), board.kept_today, board.broken_today) == (4, 1, 10, 1)
    assert board.overdue_count == 1
    assert {(r["owner_agent__email"], r["due_soon"], r["kept_today"], r["broken_today"]) for r in board.by_agent} == {
        ("anna@demo.lofte.se", 1, 1, 0),
        ("erik@demo.lofte.se", 1, 3, 1),
        ("sara@demo.lofte.se", 1, 6, 0),
    }
    james = Agent.objects.get(email="james@demo.lofte.se")
    board = board_for(agent=james, now=moment)
    assert (len(board.due_soon), len(board.overdue), board.kept_today, board.broken_today) == (1, 1, 3, 1)
    board = board_for(agent=admin, now=moment)
    assert (len(board.due_soon), len(board.overdue), board.kept_today, board.broken_today) == (5, 2, 13, 2)
    assert {(r["owner_team__name"], r["due_soon"], r["kept_today"], r["broken_today"]) for r in board.by_team} == {
        ("Kundservice", 4, 10, 1),
        ("Fakturering", 1, 3, 1),
    }
    qa = Agent.objects.get(email="qa@demo.lofte.se")
    assert len(board_for(agent=qa, now=moment).due_soon) == 4

    # the past is settled: its messages were sent, its cases acknowledged, its breaches escalated
    assert OutboxMessage.objects.filter(state="pending").count() == 1
    assert Case.objects.filter(acknowledged_at__isnull=True).count() == 2
    assert set(Promise.objects.filter(state="broken").values_list("escalation_level", "next_escalation_at")) == {
        (3, None)
    }
    assert Notification.objects.count() == 0
    rows_before = set(OutboxMessage.objects.values_list("id", flat=True))

    # one worker pass a minute later: two acknowledgements (email and SMS), the confirmation of the callback
    # booked a minute ago, and one reminder (anna's follow-up, due in 55 minutes); nothing else
    with clock.at(moment + timedelta(minutes=1)):
        assert _worker_pass() == {
            "acknowledged": {"sent": 2, "skipped": 0},
            "tick": {"reminded": 1, "broken": 0, "escalated": 0, "notices": 0},
            "delivered": {"sent": 4},
        }
    new_rows = OutboxMessage.objects.exclude(id__in=rows_before)
    assert Counter(new_rows.values_list("channel", "automatic")) == {
        ("email", True): 1,
        ("sms", True): 1,
        ("email", False): 1,
    }
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [new_rows.get(channel="email", automatic=True).to, "anna@demo.lofte.se"]
    )
    sms = _sms_lines(sent_sms)
    assert sorted(line["to"] for line in sms) == sorted(["+46739876543", new_rows.get(channel="sms").to])
    assert len(mailoutbox) + len(sms) <= 5  # a handful, where the old demo sent about three hundred
    assert list(Notification.objects.values_list("agent__email", "kind")) == [
        ("anna@demo.lofte.se", "promise_reminder")
    ]
    acknowledged = Message.objects.filter(outbox_message__in=new_rows, direction="out").select_related("case")
    assert sorted(m.case.channel for m in acknowledged) == ["email", "sms"]

    # a second pass finds nothing to do
    with clock.at(moment + timedelta(minutes=1, seconds=30)):
        assert _worker_pass() == {
            "acknowledged": {"sent": 0, "skipped": 0},
            "tick": {"reminded": 0, "broken": 0, "escalated": 0, "notices": 0},
            "delivered": {},
        }

    # loaded once
    call_command("seed_demo", "--if-empty")
    assert "Demo data already loaded." in capsys.readouterr().out
    assert Case.objects.count() == 99
    with pytest.raises(CommandError):
        call_command("seed_demo")


def test_without_sms_the_demo_loads_and_the_first_pass_writes_email_only(settings, mailoutbox, tmp_path):
    """LOFTE_SMS_PROVIDER=none: no customer is written to by SMS, and nobody is left without an answer route."""
    settings.LOFTE_SMS_PROVIDER = ""
    settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    moment = MOMENTS[0]
    with clock.at(moment):
        call_command("seed_demo")
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    # today's story is the same (the history's customers differ: SMS cases come from customers with an address)
    states = Counter(Promise.objects.values_list("state", flat=True))
    assert (states["pending"], states["broken"]) == (42, 7)
    with clock.at(moment + timedelta(minutes=1)):
        result = _worker_pass()
    assert result["acknowledged"] == {"sent": 2, "skipped": 0}
    assert result["tick"] == {"reminded": 1, "broken": 0, "escalated": 0, "notices": 0}
    # the acknowledgements and the reminder; Olle, who left only a number on /callback, is told nothing
    assert result["delivered"] == {"sent": 3}
    assert len(mailoutbox) == 3
    olle = Callback.objects.get(name="Olle Berg")
    assert not Message.objects.filter(case=olle.case, direction="out").exists()
    assert not (tmp_path / "sent-sms").exists()
