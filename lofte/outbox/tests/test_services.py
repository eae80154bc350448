"""The transactional outbox: written with the change, claimed with a lease, delivered once, retried, dead."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from lofte.accounts.models import Agent
from lofte.cases.models import Direction, Message
from lofte.cases.services import case_reply
from lofte.core import clock
from lofte.outbox import services
from lofte.outbox.models import OutboxMessage, OutboxState
from lofte.outbox.services import (
    backoff,
    outbox_claim,
    outbox_deliver_due,
    outbox_deliver_one,
    outbox_due_ids,
    outbox_enqueue,
    outbox_retry,
)
from lofte.outbox.tests.transports import REFUSING, SCRIPTED, ScriptedTransport
from lofte.outbox.transports import PermanentFailure

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)
MICRO = timedelta(microseconds=1)


class Rollback(Exception):
    pass


@pytest.fixture
def scripted(settings):
    """The channel "test" delivers through ScriptedTransport."""
    settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "test": SCRIPTED}
    settings.LOFTE_OUTBOX_LEASE_SECONDS = 120
    settings.LOFTE_OUTBOX_MAX_ATTEMPTS = 8
    ScriptedTransport.reset()
    yield ScriptedTransport
    ScriptedTransport.reset()


def enqueue(at: datetime = T0, **kwargs) -> OutboxMessage:
    kwargs.setdefault("channel", "test")
    kwargs.setdefault("to", "karin@example.se")
    kwargs.setdefault("payload", {"text": "Hej Karin"})
    kwargs.setdefault("external_id", "<fixed@lofte.localhost>")
    with clock.at(at):
        return outbox_enqueue(**kwargs)


def deliver_at(at: datetime, **kwargs) -> dict[str, int]:
    with clock.at(at):
        return outbox_deliver_due(**kwargs)


def fresh(row: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=row.pk)


@pytest.mark.django_db
class TestWrittenWithTheChange:
    def test_a_reply_rolled_back_leaves_no_row_wakes_nothing_and_sends_nothing(
        self, case, agent, mailoutbox, django_capture_on_commit_callbacks
    ):
        def reply_then_fail() -> None:
            with transaction.atomic():
                case_reply(case=case, author=agent, body="Hej Karin, vi rättar fakturan.")
                assert OutboxMessage.objects.count() == 1  # written inside the same transaction
                raise Rollback

        with django_capture_on_commit_callbacks() as callbacks, pytest.raises(Rollback):
            reply_then_fail()
        assert callbacks == []
        assert OutboxMessage.objects.count() == 0
        assert Message.objects.filter(direction=Direction.OUT).count() == 0
        assert outbox_deliver_due() == {}
        assert mailoutbox == []
        assert DBTaskResult.objects.count() == 0

    def test_a_committed_reply_writes_one_row_and_wakes_the_worker_after_commit(
        self, case, agent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            message = case_reply(case=case, author=agent, body="Hej Karin, vi rättar fakturan.")
            assert DBTaskResult.objects.count() == 0  # nothing is enqueued before the commit
        row = OutboxMessage.objects.get()
        assert message.outbox_message_id == row.pk
        assert (row.channel, row.to, row.state, row.attempts, row.claimed_until) == (
            "email",
            "karin@example.se",
            OutboxState.PENDING,
            0,
            None,
        )
        assert row.external_id == message.external_id
        assert row.external_id.startswith("<") and row.external_id.endswith("@lofte.localhost>")
        assert row.payload["text"] == "Hej Karin, vi rättar fakturan."
        assert len(callbacks) == 1

        callbacks[0]()  # what the commit runs
        task = DBTaskResult.objects.get()
        assert (task.task_path, task.status) == ("lofte.outbox.tasks.deliver_outbox", "READY")

    def test_each_reply_has_its_own_message_id(self, case, agent):
        first = case_reply(case=case, author=agent, body="Ett")
        second = case_reply(case=case, author=agent, body="Två")
        ids = list(OutboxMessage.objects.order_by("id").values_list("external_id", flat=True))
        assert ids == [first.external_id, second.external_id]
        assert ids[0] != ids[1]

    def test_rows_take_their_times_from_the_clock(self, scripted):
        row = enqueue(at=T0)
        assert (row.created_at, row.next_attempt_at) == (T0, T0)
        with clock.at(T0):
            assert outbox_due_ids() == [row.pk]
        with clock.at(T0 - MICRO):
            assert outbox_due_ids() == []


class TestBackoff:
    @pytest.mark.parametrize(
        ("attempts", "ceiling"),
        [(1, 30), (2, 60), (3, 120), (4, 240), (10, 15360), (11, 21600), (12, 21600), (100, 21600)],
    )
    def test_bounds_are_half_the_ceiling_to_the_ceiling(self, monkeypatch, attempts, ceiling):
        monkeypatch.setattr(services.random, "uniform", lambda low, high: low)
        assert backoff(attempts) == timedelta(seconds=ceiling / 2)
        monkeypatch.setattr(services.random, "uniform", lambda low, high: high)
        assert backoff(attempts) == timedelta(seconds=ceiling)

    @pytest.mark.parametrize(("attempts", "ceiling"), [(1, 30), (5, 480), (20, 21600)])
    def test_jitter_stays_within_the_bounds(self, attempts, ceiling):
        delays = {backoff(attempts) for _ in range(200)}
        assert all(timedelta(seconds=ceiling / 2) <= d <= timedelta(seconds=ceiling) for d in delays)
        assert len(delays) > 100  # jittered, not one fixed delay


@pytest.mark.django_db
class TestDeliver:
    def test_a_delivered_row_is_sent(self, scripted):
        row = enqueue()
        assert deliver_at(T0, worker="w1") == {"sent": 1}
        row = fresh(row)
        assert (row.state, row.sent_at, row.attempts, row.provider_id, row.claimed_until, row.last_error) == (
            OutboxState.SENT,
            T0,
            1,
            f"provider-{row.pk}",
            None,
            "",
        )
        assert scripted.sent == [(row.pk, "<fixed@lofte.localhost>")]

    def test_a_failed_attempt_backs_off_and_is_tried_again_when_due(self, scripted):
        row = enqueue()
        scripted.script = [RuntimeError("connection reset")]
        assert deliver_at(T0) == {"pending": 1}
        row = fresh(row)
        assert (row.state, row.attempts, row.last_error, row.claimed_until, row.sent_at) == (
            OutboxState.PENDING,
            1,
            "RuntimeError: connection reset",
            None,
            None,
        )
        assert T0 + timedelta(seconds=15) <= row.next_attempt_at <= T0 + timedelta(seconds=30)

        assert deliver_at(row.next_attempt_at - MICRO) == {}  # not before its time
        assert deliver_at(row.next_attempt_at) == {"sent": 1}
        again = fresh(row)
        assert (again.state, again.attempts, again.sent_at) == (OutboxState.SENT, 2, row.next_attempt_at)
        assert scripted.sent == [(row.pk, "<fixed@lofte.localhost>")] * 2  # the same Message-ID both times

    def test_the_last_allowed_failure_makes_the_row_dead(self, scripted, settings):
        settings.LOFTE_OUTBOX_MAX_ATTEMPTS = 3
        row = enqueue()
        scripted.script = [RuntimeError("down 1"), RuntimeError("down 2"), RuntimeError("down 3")]
        moment, results = T0, []
        for _ in range(3):
            results.append(deliver_at(moment))
            last, moment = moment, fresh(row).next_attempt_at
        assert results == [{"pending": 1}, {"pending": 1}, {"dead": 1}]
        row = fresh(row)
        assert (row.state, row.attempts, row.dead_at, row.last_error, row.claimed_until) == (
            OutboxState.DEAD,
            3,
            last,
            "RuntimeError: down 3",
            None,
        )
        assert deliver_at(T0 + timedelta(days=30)) == {}
        assert len(scripted.sent) == 3

    def test_a_permanent_failure_is_dead_at_once(self, scripted):
        row = enqueue()
        scripted.script = [PermanentFailure("The mail server refused the recipient karin@example.se.")]
        assert deliver_at(T0) == {"dead": 1}
        row = fresh(row)
        assert (row.state, row.attempts, row.dead_at, row.last_error) == (
            OutboxState.DEAD,
            1,
            T0,
            "The mail server refused the recipient karin@example.se.",
        )

    def test_a_channel_without_transport_is_dead_with_a_clear_error(self, scripted):
        row = enqueue(channel="pigeon")
        assert deliver_at(T0) == {"dead": 1}
        row = fresh(row)
        assert (row.state, row.last_error) == (OutboxState.DEAD, "No transport is configured for the channel 'pigeon'.")

    def test_a_reconfigured_channel_uses_its_new_transport(self, scripted, settings):
        settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "relay": REFUSING}
        first = enqueue(channel="relay")
        assert deliver_at(T0) == {"dead": 1}
        settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "relay": SCRIPTED}
        second = enqueue(channel="relay")
        assert deliver_at(T0) == {"sent": 1}
        assert (fresh(first).last_error, fresh(second).state) == ("Refused by the relay.", OutboxState.SENT)
        assert scripted.sent == [(second.pk, "<fixed@lofte.localhost>")]

    def test_a_transport_that_cannot_be_loaded_is_retried(self, scripted, settings):
        settings.LOFTE_TRANSPORTS = {**settings.LOFTE_TRANSPORTS, "relay": "lofte.outbox.tests.no_such.Transport"}
        row = enqueue(channel="relay")
        assert deliver_at(T0) == {"pending": 1}
        assert fresh(row).last_error == "ModuleNotFoundError: No module named 'lofte.outbox.tests.no_such'"

    def test_a_sent_row_is_never_sent_again(self, scripted):
        row = enqueue()
        assert deliver_at(T0) == {"sent": 1}
        for later in (T0, T0 + LEASE + MICRO, T0 + timedelta(days=7)):
            assert deliver_at(later) == {}
            with clock.at(later):
                assert outbox_claim(row_id=row.pk, worker="other") is False
                assert outbox_deliver_one(row_id=row.pk, worker="other") is None
        assert len(scripted.sent) == 1
        assert fresh(row).attempts == 1

    def test_due_rows_go_oldest_first_up_to_the_limit(self, scripted):
        late = enqueue(at=T0)
        early = enqueue(at=T0 - timedelta(minutes=2))
        middle = enqueue(at=T0 - timedelta(minutes=1))
        future = enqueue(at=T0 + timedelta(seconds=1))
        with clock.at(T0):
            assert outbox_due_ids() == [early.pk, middle.pk, late.pk]
        assert deliver_at(T0, limit=2) == {"sent": 2}
        assert [pk for pk, _ in scripted.sent] == [early.pk, middle.pk]
        assert deliver_at(T0) == {"sent": 1}
        assert fresh(future).state == OutboxState.PENDING


@pytest.mark.django_db
class TestLease:
    def test_a_claimed_row_is_not_claimable_until_the_lease_runs_out(self, scripted):
        row = enqueue()
        with clock.at(T0):
            assert outbox_claim(row_id=row.pk, worker="A") is True
            assert outbox_claim(row_id=row.pk, worker="B") is False
        claimed = fresh(row)
        assert (claimed.claimed_by, claimed.claimed_until, claimed.attempts) == ("A", T0 + LEASE, 1)
        with clock.at(T0 + LEASE):
            assert outbox_claim(row_id=row.pk, worker="B") is False
            assert outbox_due_ids() == []
        with clock.at(T0 + LEASE + MICRO):
            assert outbox_due_ids() == [row.pk]
            assert outbox_claim(row_id=row.pk, worker="B") is True
        claimed = fresh(row)
        assert (claimed.claimed_by, claimed.claimed_until, claimed.attempts) == ("B", T0 + 2 * LEASE + MICRO, 2)

    def test_a_worker_killed_mid_delivery_leaves_the_row_to_the_next_after_the_lease(self, scripted):
        row = enqueue()
        with clock.at(T0):
            assert outbox_claim(row_id=row.pk, worker="A") is True  # ... and A dies here
        assert deliver_at(T0 + LEASE / 2, worker="B") == {}
        assert deliver_at(T0 + LEASE + timedelta(seconds=1), worker="B") == {"sent": 1}
        row = fresh(row)
        assert (row.state, row.claimed_by, row.attempts) == (OutboxState.SENT, "B", 2)
        assert scripted.sent == [(row.pk, "<fixed@lofte.localhost>")]

    def test_a_worker_finishing_after_its_lease_does_not_overwrite_the_result_of_the_next(self, scripted):
        row = enqueue()
        late = T0 + LEASE + timedelta(seconds=1)
        outcomes = []

        def stalls_until_b_has_delivered(_row: OutboxMessage) -> None:
            with clock.at(late):
                outcomes.append(outbox_deliver_one(row_id=row.pk, worker="B"))
            raise TimeoutError("timed out")  # A's own attempt then fails

        scripted.script = [stalls_until_b_has_delivered]
        with clock.at(T0):  # A claims at T0, and its send outlasts the lease
            a_outcome = outbox_deliver_one(row_id=row.pk, worker="A")
        assert outcomes == [OutboxState.SENT]
        assert a_outcome is None  # A no longer held the lease: it decided nothing
        row = fresh(row)
        assert (row.state, row.sent_at, row.claimed_by, row.last_error, row.provider_id, row.attempts) == (
            OutboxState.SENT,
            late,
            "B",
            "",
            f"provider-{row.pk}",
            2,
        )

    def test_a_late_success_does_not_overwrite_the_next_workers_failure(self, scripted):
        row = enqueue()
        late = T0 + LEASE + timedelta(seconds=1)

        def stalls_until_b_has_failed(_row: OutboxMessage) -> None:
            scripted.script.insert(0, RuntimeError("B failed"))
            with clock.at(late):
                assert outbox_deliver_one(row_id=row.pk, worker="B") == OutboxState.PENDING

        scripted.script = [stalls_until_b_has_failed]
        with clock.at(T0):  # A claims at T0, and its send outlasts the lease
            assert outbox_deliver_one(row_id=row.pk, worker="A") is None
        row = fresh(row)
        assert (row.state, row.sent_at, row.claimed_by, row.last_error) == (
            OutboxState.PENDING,
            None,
            "B",
            "RuntimeError: B failed",
        )


@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_row_exactly_one_claims_it(scripted):
    """Real threads, each with its own database connection, claim the same row at once."""
    row = enqueue(at=clock.now() - timedelta(seconds=1))
    threads_count = 8
    barrier = threading.Barrier(threads_count, timeout=10)
    results: dict[str, bool] = {}
    errors: list[BaseException] = []

    def claim(worker: str) -> None:
        try:
            barrier.wait()
            results[worker] = outbox_claim(row_id=row.pk, worker=worker)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert errors == []
    assert len(results) == threads_count
    winners = [worker for worker, won in results.items() if won]
    assert len(winners) == 1
    row = fresh(row)
    assert (row.claimed_by, row.attempts) == (winners[0], 1)


@pytest.mark.django_db
class TestRetryAndAdmin:
    @pytest.fixture
    def rows(self, scripted):
        dead = enqueue(to="dead@example.se")
        sent = enqueue(to="sent@example.se")
        pending = enqueue(to="pending@example.se", at=T0 + timedelta(hours=1))
        scripted.script = [PermanentFailure("refused")]
        assert deliver_at(T0) == {"dead": 1, "sent": 1}
        # as if committed before the test acts (the test's transaction never commits): their wake-up was sent, so
        # a wake-up the test sees is the retry's own, not one already pending that a retry joins
        connection.run_on_commit.clear()
        return fresh(dead), fresh(sent), fresh(pending)

    @pytest.fixture
    def admin(self, client):
        user = Agent.objects.create_superuser("root@example.com", "pw-not-used-here", name="Root")
        client.force_login(user)
        return client

    def test_retry_requeues_a_dead_row_and_wakes_the_worker(self, rows, scripted, django_capture_on_commit_callbacks):
        dead, _, _ = rows
        later = T0 + timedelta(hours=2)
        with django_capture_on_commit_callbacks() as callbacks, clock.at(later):
            row = outbox_retry(row=dead)
        assert len(callbacks) == 1
        assert (row.state, row.attempts, row.next_attempt_at, row.dead_at, row.claimed_until) == (
            OutboxState.PENDING,
            0,
            later,
            None,
            None,
        )
        assert deliver_at(later) == {"sent": 2}  # the retried row and the one that was waiting
        assert fresh(dead).state == OutboxState.SENT

    def test_retry_leaves_a_row_that_is_not_dead_alone(self, rows):
        _, sent, _ = rows
        with clock.at(T0 + timedelta(hours=2)):
            row = outbox_retry(row=sent)
        assert (row.state, row.attempts, row.sent_at) == (OutboxState.SENT, 1, T0)

    def test_the_admin_lists_dead_rows_by_state(self, rows, admin):
        dead, sent, pending = rows
        response = admin.get("/admin/outbox/outboxmessage/", {"state__exact": "dead"})
        assert response.status_code == 200
        assert [r.pk for r in response.context["cl"].result_list] == [dead.pk]
        assert "dead@example.se" in response.text
        assert "sent@example.se" not in response.text
        everything = admin.get("/admin/outbox/outboxmessage/")
        assert {r.pk for r in everything.context["cl"].result_list} == {dead.pk, sent.pk, pending.pk}

    def test_the_admin_retry_action_requeues_only_dead_rows(self, rows, admin, django_capture_on_commit_callbacks):
        dead, sent, pending = rows
        with django_capture_on_commit_callbacks() as callbacks:
            response = admin.post(
                "/admin/outbox/outboxmessage/",
                {"action": "retry", "_selected_action": [dead.pk, sent.pk, pending.pk]},
                follow=True,
            )
        assert response.status_code == 200
        assert [str(m) for m in response.context["messages"]] == ["1 delivery queued again."]
        assert len(callbacks) == 1
        assert (fresh(dead).state, fresh(dead).attempts) == (OutboxState.PENDING, 0)
        assert (fresh(sent).state, fresh(sent).attempts, fresh(sent).sent_at) == (OutboxState.SENT, 1, T0)
        assert fresh(pending).next_attempt_at == T0 + timedelta(hours=1)

    def test_the_admin_shows_a_row_read_only(self, rows, admin):
        dead, _, _ = rows
        response = admin.get(f"/admin/outbox/outboxmessage/{dead.pk}/change/")
        assert response.status_code == 200
        assert "refused" in response.text
        assert admin.get("/admin/outbox/outboxmessage/add/").status_code == 403


@pytest.mark.django_db
def test_many_rows_in_one_transaction_wake_the_worker_once_and_a_rolled_back_savepoint_keeps_none(
    django_capture_on_commit_callbacks,
):
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for n in range(3):
            services.outbox_enqueue(channel="email", to=f"k{n}@example.se", payload={"text": "Hej"})
    assert [c.__name__ for c in callbacks] == ["_wake_worker"]
    # a wake-up asked for in a savepoint that is rolled back is gone with it: the next row asks again
    connection.run_on_commit.clear()
    with django_capture_on_commit_callbacks():
        try:
            with transaction.atomic():
                services.outbox_enqueue(channel="email", to="gone@example.se", payload={"text": "Hej"})
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        services.outbox_enqueue(channel="email", to="kept@example.se", payload={"text": "Hej"})
    assert [f.__name__ for _ids, f, _robust in connection.run_on_commit] == ["_wake_worker"]
    assert list(OutboxMessage.objects.values_list("to", flat=True).order_by("id"))[-1] == "kept@example.se"
    assert not OutboxMessage.objects.filter(to="gone@example.se").exists()
