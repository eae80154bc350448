"""`lofte worker` end to end: a reply written by the case service reaches a real SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from lofte.cases.services import case_reply
from lofte.core.models import ScheduledJob
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import outbox_enqueue
from lofte.outbox.tests.smtp import HOST, Recorder, smtp_server, use_smtp
from lofte.outbox.tests.transports import SCRIPTED, ScriptedTransport
from lofte.triage.models import ModelState, TriageModel

DELIVER = "lofte.outbox.tasks.deliver_outbox"
PRUNE = "lofte.core.tasks.prune_task_results"
TICK = "lofte.promises.tasks.promise_tick"
ANALYZE = "lofte.core.tasks.analyze_database"
POLL = "lofte.channels.tasks.poll_mailboxes"
ACK = "lofte.cases.tasks.acknowledge_cases"
PORTAL_PRUNE = "lofte.portal.tasks.prune_portal_tokens"
WEBHOOK_PRUNE = "lofte.channels.webhooks.tasks.prune_webhook_rejections"
REROUTE = "lofte.routing.tasks.reroute_away_cases"
SEARCH_LOG_PRUNE = "lofte.kb.tasks.prune_search_log"
START_MODELS = "lofte.triage.tasks.triage_start_models"
SURVEYS = "lofte.surveys.tasks.run_surveys"
CHECKS = "lofte.complaints.tasks.run_temperature_checks"
MAINTENANCE = "lofte.incidents.tasks.finish_maintenance"


@pytest.fixture
def smtp(settings) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    with smtp_server(recorder) as port:
        use_smtp(settings, port)
        yield recorder, port


def task_results() -> list[tuple[str, str]]:
    return sorted(DBTaskResult.objects.values_list("task_path", "status"))


@pytest.mark.django_db(transaction=True)
def test_worker_once_delivers_a_reply_and_records_the_tasks(case, agent, smtp):
    recorder, _ = smtp
    handlers = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM))
    # the starting models were trained before (lofte.triage's own tests train them): the job finds them
    for field in ("complaint", "status_question"):
        TriageModel.objects.create(field=field, version=1, state=ModelState.FAILED)
    message = case_reply(case=case, author=agent, body="Hej Karin! Fakturan är rättad.")
    row = OutboxMessage.objects.get()
    assert task_results() == [(DELIVER, "READY")]  # woken by the commit

    out = StringIO()
    call_command("worker", "--once", stdout=out)

    [received] = recorder.messages
    assert received["Message-ID"] == row.external_id == message.external_id
    assert received["Subject"] == f"Re: Fel belopp på fakturan [{case.reference}]"
    assert received.get_body(("plain",)).get_content().replace("\r\n", "\n") == "Hej Karin! Fakturan är rättad.\n"
    row.refresh_from_db()
    assert (row.state, row.attempts, row.claimed_until) == (OutboxState.SENT, 1, None)
    assert row.sent_at is not None
    # the woken delivery, the scheduler's sweep and the housekeeping job all ran
    assert task_results() == [
        (ACK, "SUCCESSFUL"),
        (POLL, "SUCCESSFUL"),
        (WEBHOOK_PRUNE, "SUCCESSFUL"),
        (CHECKS, "SUCCESSFUL"),
        (ANALYZE, "SUCCESSFUL"),
        (PRUNE, "SUCCESSFUL"),
        (MAINTENANCE, "SUCCESSFUL"),
        (SEARCH_LOG_PRUNE, "SUCCESSFUL"),
        (DELIVER, "SUCCESSFUL"),
        (DELIVER, "SUCCESSFUL"),
        (PORTAL_PRUNE, "SUCCESSFUL"),
        (TICK, "SUCCESSFUL"),
        (REROUTE, "SUCCESSFUL"),
        (SURVEYS, "SUCCESSFUL"),
        (START_MODELS, "SUCCESSFUL"),
    ]
    returned = [r.return_value for r in DBTaskResult.objects.filter(task_path=DELIVER).order_by("enqueued_at")]
    assert returned == [{"sent": 1}, {}]
    assert set(ScheduledJob.objects.values_list("name", flat=True)) == {
        "outbox.deliver",
        "promises.tick",
        "database.analyze",
        "tasks.prune",
        "email.poll",
        "cases.acknowledge",
        "portal.prune",
        "webhooks.prune",
        "routing.reroute_away",
        "kb.search_log_prune",
        "triage.start_models",
        "complaints.checks",
        "incidents.maintenance",
        "surveys.run",
    }
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Lofte worker ") and lines[0].endswith(" started (14 periodic jobs).")
    assert lines[-1] == "Lofte worker stopped."
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers  # given back


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_finishes_the_task_at_hand_and_starts_no_other(settings):
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "test": SCRIPTED}
    ScriptedTransport.reset()
    ScriptedTransport.script = [lambda row: os.kill(os.getpid(), signal.SIGINT)]  # Ctrl-C during the send
    try:
        row = outbox_enqueue(channel="test", to="karin@example.se", payload={"text": "Hej"})  # wakes once
        from lofte.outbox.tasks import deliver_outbox

        deliver_outbox.enqueue()
        deliver_outbox.enqueue()
        out = StringIO()
        call_command("worker", "--no-schedule", "--interval", "0", stdout=out)
    finally:
        ScriptedTransport.reset()
    row.refresh_from_db()
    assert row.state == OutboxState.SENT  # the delivery under way was finished and recorded
    assert task_results() == [(DELIVER, "READY"), (DELIVER, "READY"), (DELIVER, "SUCCESSFUL")]
    assert out.getvalue().splitlines()[-1] == "Lofte worker stopped."


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker process of its own."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_delivers_and_stops_cleanly_on_ctrl_c(case, agent, tmp_path):
    """`lofte worker` as a real process, against the test database and a real SMTP server."""
    recorder = Recorder()
    with smtp_server(recorder) as port:
        case_reply(case=case, author=agent, body="Hej Karin! Fakturan är rättad.")
        row = OutboxMessage.objects.get()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "LOFTE_DATA_DIR": str(django_settings.DATA_DIR),
            "EMAIL_BACKEND": "smtp",
            "EMAIL_HOST": HOST,
            "EMAIL_PORT": str(port),
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
        }
        log = tmp_path / "worker.log"
        with log.open("w") as output:
            proc = subprocess.Popen(
                [sys.executable, "-m", "config.manage", "worker", "--interval", "0.2"],
                env=env,
                cwd=Path(django_settings.BASE_DIR),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
            try:
                arrived = recorder.wait(timeout=20)
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and not OutboxMessage.objects.filter(state="sent").exists():
                    time.sleep(0.05)
                proc.send_signal(signal.SIGINT)
                code = proc.wait(timeout=5)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait(timeout=5)
        text = log.read_text()
        assert arrived, text
        assert code == 0, text
    assert [m["Message-ID"] for m in recorder.messages] == [row.external_id]
    row.refresh_from_db()
    assert row.state == OutboxState.SENT
    assert text.splitlines()[-1] == "Lofte worker stopped.", text
    assert "Traceback" not in text
