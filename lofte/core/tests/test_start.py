"""`lofte start --port N`: the web server and the worker it starts link to http://localhost:N in everything
Lofte sends, unless LOFTE_BASE_URL says otherwise; the embedded defaults, read by a fresh settings import."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from lofte.cases.acknowledgements import acknowledge_case
from lofte.core import clock
from lofte.core.management.commands.start import child_environment, listening_sockets
from lofte.customers.services import customer_create
from lofte.notifications.services import notify_many
from lofte.outbox.services import outbox_deliver_due
from lofte.portal.services import portal_link_send

START_8101 = "http://localhost:8101"


def test_the_web_server_and_worker_get_the_port_and_a_base_url_for_it():
    env = child_environment({"PATH": "/usr/bin", "LOFTE_BASE_URL": ""}, host="127.0.0.1", port=8101)
    assert env == {"PATH": "/usr/bin", "PORT": "8101", "LOFTE_BASE_URL": START_8101}
    assert child_environment({}, host="0.0.0.0", port=8101)["LOFTE_BASE_URL"] == START_8101  # noqa: S104
    assert child_environment({}, host="192.168.1.5", port=9000)["LOFTE_BASE_URL"] == "http://192.168.1.5:9000"
    assert child_environment({}, host="fd00::5", port=9000)["LOFTE_BASE_URL"] == "http://[fd00::5]:9000"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_each_web_process_gets_a_socket_of_its_own_and_the_kernel_spreads_the_connections():
    # given: two web processes' sockets on one address
    port = _free_port()
    sockets = listening_sockets("127.0.0.1", port, 2)
    clients = []
    try:
        # when: a burst of connections, as keep-alive clients open them
        for _ in range(64):
            client = socket.create_connection(("127.0.0.1", port), timeout=2)
            clients.append(client)
        # then: each socket has connections of its own to accept (on one shared socket, the process that woke
        # first took them all), and together they have every one
        accepted = []
        for sock in sockets:
            sock.setblocking(False)
            n = 0
            while True:
                try:
                    conn, _address = sock.accept()
                except BlockingIOError:
                    break
                conn.close()
                n += 1
            accepted.append(n)
        assert sum(accepted) == 64
        assert min(accepted) > 0, accepted
    finally:
        for c in [*clients, *sockets]:
            c.close()


def test_a_port_another_program_holds_is_an_error_before_anything_starts():
    port = _free_port()
    with socket.socket() as other:  # without SO_REUSEPORT: the port is not shared
        other.bind(("127.0.0.1", port))
        other.listen()
        with pytest.raises(OSError):
            listening_sockets("127.0.0.1", port, 2)


def test_a_base_url_that_is_set_is_the_one_used():
    env = child_environment({"LOFTE_BASE_URL": "https://help.example.se"}, host="127.0.0.1", port=8101)
    assert (env["PORT"], env["LOFTE_BASE_URL"]) == ("8101", "https://help.example.se")


def _settings_in_a_fresh_process(env: dict[str, str], tmp_path: Path) -> dict[str, object]:
    """config.settings as a process started with `env` reads it (as the worker `lofte start` starts does)."""
    code = (
        "import json, config.settings as s; "
        "print(json.dumps([s.LOFTE_BASE_URL, s.LOFTE_SMS_PROVIDER, sorted(s.LOFTE_TRANSPORTS)]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOFTE_") and k not in ("PORT", "DATABASE_URL")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "LOFTE_DATA_DIR": str(tmp_path), **env},
        cwd=django_settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    base_url, provider, transports = json.loads(done.stdout)
    return {"base_url": base_url, "sms": provider, "transports": transports}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # `lofte start --port 8101`'s children
        (child_environment({}, host="127.0.0.1", port=8101), START_8101),
        # a worker started on its own with the port in PORT (as `make run PORT=8101` exports it)
        ({"PORT": "8101"}, START_8101),
        ({}, "http://localhost:8000"),
        ({"PORT": "8101", "LOFTE_BASE_URL": "https://help.example.se/"}, "https://help.example.se"),
    ],
    ids=["start-8101", "port-only", "nothing", "set"],
)
def test_the_base_url_setting(env, expected, tmp_path):
    assert _settings_in_a_fresh_process(env, tmp_path)["base_url"] == expected


@pytest.mark.parametrize(
    ("value", "provider", "transports"),
    [
        (None, "console", ["email", "sms"]),  # the embedded default: every SMS written to var/sent-sms
        ("46elks", "46elks", ["email", "sms"]),
        # the SMS transport is always installed; with no provider, channel_on("sms") says no (and the SMS
        # settings page can turn a provider on without a restart)
        ("none", "", ["email", "sms"]),
        ("", "", ["email", "sms"]),
        (" None ", "", ["email", "sms"]),
    ],
    ids=["unset", "46elks", "none", "empty", "None-spaced"],
)
def test_the_sms_provider_setting(value, provider, transports, tmp_path):
    env = {} if value is None else {"LOFTE_SMS_PROVIDER": value}
    got = _settings_in_a_fresh_process(env, tmp_path)
    assert (got["sms"], got["transports"]) == (provider, transports)


@pytest.fixture
def started_on_8101(settings, tmp_path):
    """The settings a worker started by `lofte start --port 8101` has (the embedded SMS default, files in tmp)."""
    settings.LOFTE_BASE_URL = child_environment({}, host="127.0.0.1", port=8101)["LOFTE_BASE_URL"]
    settings.LOFTE_SMS_FILE_PATH = str(tmp_path / "sent-sms")
    assert "sms" in settings.LOFTE_TRANSPORTS
    return tmp_path / "sent-sms"


def _sms_texts(directory: Path) -> list[str]:
    return [json.loads(line)["message"] for f in directory.glob("*.jsonl") for line in f.read_text().splitlines()]


@pytest.mark.django_db
def test_portal_links_acknowledgements_and_notifications_point_at_the_port_started_on(
    started_on_8101, case, agent, mailoutbox
):
    customer_create(name="Nils Nummer", phone="070-555 12 33", language="sv")  # a number only: the link by SMS
    with clock.at(case.created_at):
        assert acknowledge_case(case_id=case.pk, now=case.created_at)
        # the worker's half of a link request (the request itself only queues it)
        assert portal_link_send(kind="email", value="karin@example.se", ip="127.0.0.1", language="sv")
        assert portal_link_send(kind="phone", value="+46705551233", ip="127.0.0.1", language="sv")
        notify_many(
            [(agent, "test", "Look at this case", f"/cases/{case.reference}/", "start-test")],
            now=case.created_at,
            email=True,
        )
    assert outbox_deliver_due() == {"sent": 4}

    to_customer = sorted((m.body for m in mailoutbox if m.to == ["karin@example.se"]), key=lambda b: "login" in b)
    acknowledgement, portal_mail = to_customer
    (notification,) = [m.body for m in mailoutbox if m.to == [agent.email]]
    (portal_sms,) = _sms_texts(started_on_8101)
    assert case.reference in acknowledgement
    assert f"{START_8101}/portal/" in acknowledgement
    assert f"{START_8101}/portal/login/" in portal_mail
    assert f"{START_8101}/portal/login/" in portal_sms
    assert f"{START_8101}/cases/{case.reference}/" in notification
    for text in (acknowledgement, portal_mail, portal_sms, notification):
        assert "localhost:8000" not in text
