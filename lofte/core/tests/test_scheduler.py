"""The periodic scheduler: each due job enqueued exactly once, however many workers tick."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from lofte.core import clock
from lofte.core.models import ScheduledJob
from lofte.core.scheduler import Job, tick
from lofte.core.tasks import prune_task_results

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


class CountingTask:
    """Stands in for a django.tasks Task: counts enqueue() calls (thread-safe)."""

    def __init__(self, fails: bool = False) -> None:
        self.calls = 0
        self.fails = fails
        self._lock = threading.Lock()

    def enqueue(self) -> None:
        with self._lock:
            self.calls += 1
        if self.fails:
            raise RuntimeError("the task queue is unavailable")


@pytest.fixture
def sweep() -> Job:
    return Job(name="test.sweep", task=CountingTask(), every=timedelta(seconds=15))


@pytest.fixture
def hourly() -> Job:
    return Job(name="test.hourly", task=CountingTask(), every=timedelta(hours=1))


def tick_at(at: datetime, jobs: list[Job], worker: str = "w1") -> list[str]:
    with clock.at(at):
        return tick(jobs, worker=worker)


@pytest.mark.django_db
class TestTick:
    def test_a_first_tick_enqueues_every_job_once_and_a_second_at_the_same_time_nothing(self, sweep, hourly):
        assert tick_at(T0, [sweep, hourly]) == ["test.sweep", "test.hourly"]
        assert tick_at(T0, [sweep, hourly]) == []
        assert (sweep.task.calls, hourly.task.calls) == (1, 1)
        rows = {j.name: (j.next_run_at, j.last_run_at, j.last_worker) for j in ScheduledJob.objects.all()}
        assert rows == {
            "test.sweep": (T0 + timedelta(seconds=15), T0, "w1"),
            "test.hourly": (T0 + timedelta(hours=1), T0, "w1"),
        }

    def test_a_job_is_next_due_after_its_interval(self, sweep, hourly):
        tick_at(T0, [sweep, hourly])
        assert tick_at(T0 + timedelta(seconds=15) - MICRO, [sweep, hourly]) == []
        assert tick_at(T0 + timedelta(seconds=15), [sweep, hourly]) == ["test.sweep"]
        assert tick_at(T0 + timedelta(seconds=30), [sweep, hourly]) == ["test.sweep"]
        assert tick_at(T0 + timedelta(hours=1), [sweep, hourly]) == ["test.sweep", "test.hourly"]
        assert (sweep.task.calls, hourly.task.calls) == (4, 2)

    def test_a_job_missed_for_a_long_time_runs_once_then_keeps_its_interval(self, sweep):
        tick_at(T0, [sweep])
        back = T0 + timedelta(days=3)  # no worker ran for three days: 17,280 missed runs
        assert tick_at(back, [sweep]) == ["test.sweep"]
        assert tick_at(back + timedelta(seconds=1), [sweep]) == []
        assert sweep.task.calls == 2
        assert ScheduledJob.objects.get(name="test.sweep").next_run_at == back + timedelta(seconds=15)

    def test_a_second_worker_at_the_same_time_enqueues_nothing(self, sweep, hourly):
        assert tick_at(T0, [sweep, hourly], worker="A") == ["test.sweep", "test.hourly"]
        assert tick_at(T0, [sweep, hourly], worker="B") == []
        assert tick_at(T0 + timedelta(seconds=15), [sweep, hourly], worker="B") == ["test.sweep"]
        assert dict(ScheduledJob.objects.values_list("name", "last_worker")) == {
            "test.sweep": "B",
            "test.hourly": "A",
        }

    def test_a_job_added_later_runs_at_once(self, sweep, hourly):
        tick_at(T0, [sweep])
        assert tick_at(T0 + timedelta(seconds=1), [sweep, hourly]) == ["test.hourly"]
        assert ScheduledJob.objects.count() == 2

    def test_a_job_that_cannot_be_enqueued_does_not_stop_the_others(self, hourly):
        broken = Job(name="test.broken", task=CountingTask(fails=True), every=timedelta(minutes=5))
        assert tick_at(T0, [broken, hourly]) == ["test.hourly"]
        assert (broken.task.calls, hourly.task.calls) == (1, 1)
        # the run that failed is not lost: it is tried again at each tick until it can be enqueued
        assert tick_at(T0 + timedelta(seconds=1), [broken, hourly]) == []
        broken.task.fails = False
        assert tick_at(T0 + timedelta(seconds=2), [broken, hourly]) == ["test.broken"]
        assert (broken.task.calls, hourly.task.calls) == (3, 1)
        assert ScheduledJob.objects.get(name="test.broken").next_run_at == T0 + timedelta(seconds=2, minutes=5)

    def test_real_tasks_are_enqueued_once_per_run(self):
        jobs = [
            Job(name="tasks.prune", task=prune_task_results, every=timedelta(hours=1)),
            Job(name="tasks.prune-often", task=prune_task_results, every=timedelta(minutes=1)),
        ]
        assert tick_at(T0, jobs) == ["tasks.prune", "tasks.prune-often"]
        assert tick_at(T0, jobs) == []
        assert tick_at(T0 + timedelta(minutes=1), jobs) == ["tasks.prune-often"]
        results = list(DBTaskResult.objects.values_list("task_path", "status"))
        assert results == [("lofte.core.tasks.prune_task_results", "READY")] * 3


@pytest.mark.django_db(transaction=True)
def test_workers_ticking_at_once_enqueue_each_job_exactly_once(sweep, hourly):
    """Real threads, each with its own database connection, tick the same schedule at the same moment."""
    count = 6
    barrier = threading.Barrier(count, timeout=10)
    started: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def run(worker: str) -> None:
        try:
            barrier.wait()
            started[worker] = tick_at(T0, [sweep, hourly], worker=worker)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(started) == count
    assert sorted(name for names in started.values() for name in names) == ["test.hourly", "test.sweep"]
    assert (sweep.task.calls, hourly.task.calls) == (1, 1)
    assert ScheduledJob.objects.count() == 2
