"""Acknowledged ETAs: the rolling figures, the prediction (calibrated on a simulated stationary history, and
stretched when the queue doubles), the sentence told to the customer, and `promise_set_eta`."""

from __future__ import annotations

import math
import random
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from lofte.cases import services as case_services
from lofte.cases.models import Case, Status
from lofte.cases.tests.factories import CaseTypeFactory, make_case
from lofte.core.errors import ValidationFailed
from lofte.customers.tests.factories import CustomerFactory
from lofte.promises import eta
from lofte.promises.calendars import calendar_create
from lofte.promises.eta import (
    BUCKETS,
    bucket_bounds,
    bucket_of,
    eta_predict,
    eta_record_first_response,
    eta_round,
    eta_round_down,
    eta_text,
    open_queue,
    quantile_minutes,
    queue_factor,
)
from lofte.promises.models import Promise, PromiseKind, PromiseOrigin, PromiseState, QueueStat, ResponseTimeStat
from lofte.promises.policies import policy_create
from lofte.promises.services import promise_set_eta

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 23 November 2026, 10:00 in Stockholm
TYPE = 7  # a case type id: the figures keep plain ids


def record(wait_minutes: float, *, responded_at: datetime = NOW, channel: str = "email", case_type=TYPE, team=None):  # type: ignore[no-untyped-def]
    eta_record_first_response(
        channel=channel,
        case_type_id=case_type,
        team_id=team,
        created_at=responded_at - timedelta(minutes=wait_minutes),
        responded_at=responded_at,
        calendar=None,
    )


def predict(*, channel: str = "email", case_type=TYPE, team=None, now=NOW, calendar=None, cap=None):  # type: ignore[no-untyped-def]
    return eta_predict(channel=channel, case_type_id=case_type, team_id=team, now=now, calendar=calendar, cap=cap)


def open_cases(n: int, *, team, status=Status.NEW, answered=False):  # type: ignore[no-untyped-def]
    """n cases in the team's queue (or answered, or in another status), written directly."""
    customer = CustomerFactory()
    first = Case.objects.count()
    Case.objects.bulk_create(
        [
            Case(
                reference=f"T-{first + i}",
                subject="Queued",
                customer=customer,
                channel="email",
                team=team,
                status=status,
                first_response_at=NOW if answered else None,
            )
            for i in range(n)
        ]
    )


def lognormal_minutes(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


class TestBuckets:
    def test_edges_and_bounds(self):
        assert (bucket_of(0), bucket_of(0.99), bucket_of(1.0)) == (0, 0, 1)
        assert (bucket_of(43_199), bucket_of(43_200), bucket_of(10**9)) == (BUCKETS - 2, BUCKETS - 1, BUCKETS - 1)
        for minutes in (1.5, 17.0, 60.0, 480.0, 2_000.0, 40_000.0):
            low, high = bucket_bounds(bucket_of(minutes))
            assert low <= minutes < high
            assert high / low == pytest.approx(1.1879, abs=1e-4)

    def test_quantile_interpolates_inside_the_bucket(self):
        # 10 responses in the bucket of 60 minutes: the median is halfway up it, geometrically
        b = bucket_of(60)
        low, high = bucket_bounds(b)
        assert quantile_minutes({b: 10}, 0.5) == pytest.approx(math.sqrt(low * high))
        assert quantile_minutes({0: 4, b: 4}, 0.25) == pytest.approx(0.5)  # linear in the first bucket
        assert quantile_minutes({0: 4, b: 4}, 1.0) == pytest.approx(high)
        assert quantile_minutes({BUCKETS - 1: 3}, 0.8) == 43_200.0
        assert quantile_minutes({}, 0.8) == 0.0

    def test_quantile_of_many_samples_is_within_the_bucket_resolution(self):
        rng = random.Random(1)
        samples = sorted(lognormal_minutes(rng, 120, 1.0) for _ in range(20_000))
        counts: dict[int, int] = {}
        for s in samples:
            counts[bucket_of(s)] = counts.get(bucket_of(s), 0) + 1
        for q in (0.5, 0.8, 0.95):
            exact = samples[int(q * len(samples))]
            assert quantile_minutes(counts, q) == pytest.approx(exact, rel=0.02)


class TestRecording:
    def test_a_first_response_counts_in_its_three_groups_and_the_teams_queue(self, team):
        open_cases(3, team=team)
        open_cases(2, team=team, answered=True)  # answered: not queued
        open_cases(4, team=None)  # another queue
        open_cases(1, team=team, status=Status.SOLVED)

        record(61, team=team.pk)
        record(62, team=team.pk)  # same bucket, same day: the same rows, counted up
        record(5, team=team.pk, responded_at=NOW - timedelta(days=1))

        rows = sorted(ResponseTimeStat.objects.values_list("channel", "case_type", "day", "bucket", "count"))
        today, yesterday, hour, five = date(2026, 11, 23), date(2026, 11, 22), bucket_of(61), bucket_of(5)
        assert bucket_of(62) == hour
        assert rows == sorted(
            [
                ("", 0, yesterday, five, 1),
                ("", 0, today, hour, 2),
                ("email", 0, yesterday, five, 1),
                ("email", 0, today, hour, 2),
                ("email", TYPE, yesterday, five, 1),
                ("email", TYPE, today, hour, 2),
            ]
        )
        queues = sorted(QueueStat.objects.values_list("team", "day", "responses", "queue_sum"))
        assert queues == [(team.pk, yesterday, 1, 3), (team.pk, today, 2, 6)]

    def test_without_a_case_type_two_groups_and_the_queue_of_cases_without_a_team(self):
        open_cases(2, team=None)
        record(30, case_type=None)
        assert sorted(ResponseTimeStat.objects.values_list("channel", "case_type", "count")) == [
            ("", 0, 1),
            ("email", 0, 1),
        ]
        assert list(QueueStat.objects.values_list("team", "responses", "queue_sum")) == [(0, 1, 2)]

    def test_the_wait_is_measured_in_business_minutes(self):
        office = calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
        # Friday 16:30 to Monday 09:30 in Stockholm: 30 + 90 business minutes
        eta_record_first_response(
            channel="web",
            case_type_id=None,
            team_id=None,
            created_at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC),
            responded_at=datetime(2026, 11, 23, 8, 30, tzinfo=UTC),
            calendar=office,
        )
        assert set(ResponseTimeStat.objects.values_list("bucket", flat=True)) == {bucket_of(120)}

    def test_the_reply_service_records_the_first_response_only_with_the_case_in_its_queue(self, case, agent):
        # given: the conftest case (email, Support) is the only one in the queue
        kind = CaseTypeFactory(name="Faktura")
        case.case_type = kind
        case.save(update_fields=["case_type"])

        case_services.case_reply(case=case, author=agent, body="Hej!")
        case.refresh_from_db()
        case_services.case_reply(case=case, author=agent, body="Och en sak till.")

        assert sorted(ResponseTimeStat.objects.values_list("channel", "case_type", "count")) == [
            ("", 0, 1),
            ("email", 0, 1),
            ("email", kind.pk, 1),
        ]
        # the queue seen at the first response counts the case itself, as a prediction's does
        assert list(QueueStat.objects.values_list("team", "responses", "queue_sum")) == [(case.team_id, 1, 1)]

    @pytest.mark.django_db(transaction=True)
    def test_concurrent_first_responses_of_one_group_all_count(self):
        # SQLite serialises writers; on PostgreSQL the upsert's ON CONFLICT waits for the other's row
        errors: list[BaseException] = []
        barrier = threading.Barrier(4)

        def respond() -> None:
            try:
                barrier.wait()
                record(42)
            except BaseException as exc:
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=respond) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert sorted(ResponseTimeStat.objects.values_list("case_type", "channel", "count")) == [
            (0, "", 4),
            (0, "email", 4),
            (TYPE, "email", 4),
        ]
        assert list(QueueStat.objects.values_list("responses", flat=True)) == [4]


class TestPredict:
    def test_without_data_the_default_in_business_time(self, settings):
        settings.LOFTE_ETA_DEFAULT_MINUTES = 480
        office = calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
        # Monday 10:00 in Stockholm + 8 business hours (08-17): Tuesday 09:00, 23 hours away: on the quarter
        result = predict(calendar=office)
        assert result == eta.Eta(
            due_at=datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
            basis="default",
            samples=0,
            quantile_minutes=480.0,
            queue_factor=1.0,
        )

    def test_the_most_specific_group_with_enough_responses(self, settings):
        settings.LOFTE_ETA_MIN_SAMPLES = 30
        for _ in range(30):
            record(60, case_type=TYPE)  # email, type 7: an hour
        for _ in range(30):
            record(600, channel="web", case_type=TYPE)  # web: ten hours
        for _ in range(29):
            record(10, case_type=8)  # email, type 8: too few on their own

        typed = predict(case_type=TYPE)
        assert (typed.basis, typed.samples) == ("channel_case_type", 30)
        assert bucket_of(typed.quantile_minutes) == bucket_of(60)

        other_type = predict(case_type=8)  # falls back to email: 30 x 60 and 29 x 10 minutes
        assert (other_type.basis, other_type.samples) == ("channel", 59)
        assert bucket_of(other_type.quantile_minutes) == bucket_of(60)

        sms = predict(channel="sms", case_type=TYPE)  # nothing on sms: every case
        assert (sms.basis, sms.samples) == ("all", 89)
        assert bucket_of(sms.quantile_minutes) == bucket_of(600)
        assert sms.due_at == eta_round(due_at=NOW + timedelta(minutes=math.ceil(sms.quantile_minutes)), now=NOW)

    def test_too_few_responses_anywhere_is_the_default(self, settings):
        settings.LOFTE_ETA_MIN_SAMPLES = 30
        for _ in range(29):
            record(60)
        result = predict()
        assert (result.basis, result.samples, result.quantile_minutes) == ("default", 29, 480.0)

    def test_only_the_window_counts(self, settings):
        settings.LOFTE_ETA_MIN_SAMPLES = 10
        settings.LOFTE_ETA_WINDOW_DAYS = 30
        for _ in range(10):
            record(60, responded_at=NOW - timedelta(days=29))  # the first day of the window
            record(5000, responded_at=NOW - timedelta(days=30))  # the day before: left out
        result = predict()
        assert (result.basis, result.samples) == ("channel_case_type", 10)
        assert bucket_of(result.quantile_minutes) == bucket_of(60)

    def test_never_later_than_the_cap(self, settings):
        settings.LOFTE_ETA_MIN_SAMPLES = 5
        for _ in range(5):
            record(300)
        free = predict()
        assert free.basis == "channel_case_type"
        assert free.due_at - NOW >= timedelta(minutes=bucket_bounds(bucket_of(300))[0])
        cap = NOW + timedelta(hours=2, minutes=10)
        capped = predict(cap=cap)
        # the latest time on the sentence's grid before the SLA's due time: within 2 hours
        assert (capped.due_at, capped.basis, capped.samples) == (NOW + timedelta(hours=2), "sla", 5)
        assert predict(cap=NOW + timedelta(days=3)).due_at == free.due_at

    def test_the_default_is_capped_too(self):
        result = predict(cap=NOW + timedelta(minutes=50))
        assert (result.due_at, result.basis) == (NOW + timedelta(minutes=45), "sla")

    @pytest.mark.parametrize("calendar_kind", ["always", "office"])
    def test_three_queries_whatever_the_history(self, settings, team, calendar_kind):
        settings.LOFTE_ETA_MIN_SAMPLES = 5
        calendar = (
            calendar_create(name="Dygnet runt", always_open=True)
            if calendar_kind == "always"
            else calendar_create(name="Kontor", time_zone="Europe/Stockholm", country="SE")
        )
        rng = random.Random(5)

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                result = predict(team=team.pk, calendar=calendar)
            assert result.basis == "channel_case_type"
            return len(ctx.captured_queries)

        for day in range(5):
            record(lognormal_minutes(rng, 90, 1), team=team.pk, responded_at=NOW - timedelta(days=day))
        few = count()
        for i in range(500):
            record(lognormal_minutes(rng, 90, 1), team=team.pk, responded_at=NOW - timedelta(days=i % 40))
        open_cases(20, team=team)
        assert count() == few == 3  # the figures, the team's typical queue, its queue now

    def test_without_data_one_query(self):
        with CaptureQueriesContext(connection) as ctx:
            assert predict().basis == "default"
        assert len(ctx.captured_queries) == 1


class TestQueue:
    def test_open_queue_counts_the_teams_active_unanswered_cases(self, team, other_team):
        open_cases(3, team=team)
        open_cases(1, team=team, status=Status.WAITING_ON_THIRD_PARTY)
        open_cases(2, team=team, answered=True)
        open_cases(2, team=team, status=Status.CLOSED)
        open_cases(5, team=other_team)
        open_cases(6, team=None)
        assert (open_queue(team.pk), open_queue(other_team.pk), open_queue(None)) == (4, 5, 6)

    def test_the_factor_is_the_queue_against_the_typical_one_never_below_one(self):
        assert queue_factor(current=20, typical=10.0) == 2.0
        assert queue_factor(current=5, typical=10.0) == 1.0
        assert queue_factor(current=3, typical=0.0) == 3.0  # a typical queue under one case reads as one
        assert queue_factor(current=50, typical=None) == 1.0  # nothing known of the queue


class TestCalibration:
    """A stationary history of lognormal first-response times (median 3 hours, sigma 0.9) on a 24/7 clock."""

    HISTORY = 3000
    NEW = 1500

    def _history(self, rng: random.Random, *, team_id: int | None, scale: float = 1.0) -> None:
        for _ in range(self.HISTORY):
            responded = NOW - timedelta(minutes=rng.uniform(0, 29 * 24 * 60))
            record(lognormal_minutes(rng, 180 * scale, 0.9), responded_at=responded, team=team_id)

    def _held(
        self, rng: random.Random, *, team_id: int | None, scale: float
    ) -> tuple[float, float, list[tuple[eta.Eta, float]]]:
        """New cases arriving every 10 minutes from NOW, each told its ETA; their waits drawn from the
        history's distribution times `scale`. Returns the share answered by the ETA told, the share by the
        unrounded predicted time, and each ETA with its wait in minutes."""
        held = held_exact = 0
        told_and_waited = []
        for i in range(self.NEW):
            now = NOW + timedelta(minutes=10 * i)
            told = predict(now=now, team=team_id)
            wait = lognormal_minutes(rng, 180 * scale, 0.9)
            held += timedelta(minutes=wait) <= told.due_at - now
            held_exact += wait <= told.quantile_minutes * told.queue_factor
            told_and_waited.append((told, wait))
        return held / self.NEW, held_exact / self.NEW, told_and_waited

    def test_about_80_percent_of_first_responses_come_by_the_eta_told(self, settings):
        settings.LOFTE_ETA_QUANTILE = 0.8
        rng = random.Random(2026)
        self._history(rng, team_id=None)

        held, held_exact, told_and_waited = self._held(rng, team_id=None, scale=1.0)
        etas = [told for told, _ in told_and_waited]

        assert {e.basis for e in etas} == {"channel_case_type"}
        assert {e.queue_factor for e in etas} == {1.0}
        # the true 80th percentile is 180 * e^(0.9 * 0.8416) = 383 minutes
        assert etas[0].quantile_minutes == pytest.approx(180 * math.exp(0.9 * 0.8416), rel=0.05)
        assert held_exact == pytest.approx(0.8, abs=0.03)
        assert held == pytest.approx(0.8, abs=0.05)  # rounded up to the quarter hour: a little more

    def test_at_the_90th_percentile_setting_about_90_percent(self, settings):
        settings.LOFTE_ETA_QUANTILE = 0.9
        rng = random.Random(7)
        self._history(rng, team_id=None)
        held, _, _ = self._held(rng, team_id=None, scale=1.0)
        assert held == pytest.approx(0.9, abs=0.05)

    def test_when_the_queue_doubles_the_eta_doubles_and_stays_calibrated(self, settings, team):
        settings.LOFTE_ETA_QUANTILE = 0.8
        rng = random.Random(11)
        open_cases(10, team=team)
        self._history(rng, team_id=team.pk)  # made while 10 cases waited
        usual = predict(team=team.pk)
        assert usual.queue_factor == 1.0

        open_cases(10, team=team)  # now 20 wait: the waits are twice as long
        longer = predict(team=team.pk)
        assert longer.queue_factor == 2.0
        assert longer.quantile_minutes == usual.quantile_minutes
        ratio = (longer.due_at - NOW) / (usual.due_at - NOW)
        assert ratio == pytest.approx(2.0, abs=0.1)

        held, _, told_and_waited = self._held(rng, team_id=team.pk, scale=2.0)
        assert {told.queue_factor for told, _ in told_and_waited} == {2.0}
        assert held == pytest.approx(0.8, abs=0.05)
        # the history's quantile alone would have held for about half of them: P(Z <= 0.8416 - ln 2 / 0.9) = 0.53
        unstretched = sum(wait <= told.quantile_minutes for told, wait in told_and_waited) / self.NEW
        assert unstretched == pytest.approx(0.53, abs=0.05)


class TestRounding:
    @pytest.mark.parametrize(
        ("delta", "rounded"),
        [
            (timedelta(0), timedelta(minutes=15)),
            (timedelta(minutes=-5), timedelta(minutes=15)),
            (timedelta(minutes=1), timedelta(minutes=15)),
            (timedelta(minutes=15), timedelta(minutes=15)),
            (timedelta(hours=2), timedelta(hours=2)),
            (timedelta(hours=2, seconds=1), timedelta(hours=2, minutes=15)),
            (timedelta(hours=23, minutes=50), timedelta(days=1)),  # a day: on the hour (NOW is on the hour)
            (timedelta(days=2, minutes=1), timedelta(days=2, hours=1)),
        ],
    )
    def test_up_to_a_quarter_under_a_day_and_an_hour_beyond(self, delta, rounded):
        assert eta_round(due_at=NOW + delta, now=NOW) == NOW + rounded

    def test_quarters_count_from_now_and_hours_are_whole(self):
        now = NOW + timedelta(minutes=7, seconds=30)
        assert eta_round(due_at=now + timedelta(minutes=50), now=now) == now + timedelta(hours=1)
        assert eta_round(due_at=now + timedelta(hours=30), now=now) == NOW + timedelta(hours=31)

    def test_rounding_is_idempotent_and_round_down_stays_under_the_cap(self):
        rng = random.Random(3)
        for _ in range(500):
            now = NOW + timedelta(seconds=rng.randint(0, 10**6))
            due = now + timedelta(seconds=rng.randint(-600, 5 * 86400))
            up = eta_round(due_at=due, now=now)
            assert up >= due and eta_round(due_at=up, now=now) == up
            down = eta_round_down(cap=due, now=now)
            assert down <= due
            if due - now >= timedelta(minutes=15):
                assert eta_round(due_at=down, now=now) == down  # the sentence states it exactly


class TestText:
    @pytest.mark.parametrize(
        ("delta", "text"),
        [
            (timedelta(minutes=40), "We will get back to you within 45 minutes."),
            (timedelta(minutes=1), "We will get back to you within 15 minutes."),
            (timedelta(hours=1), "We will get back to you within 1 hour."),
            (timedelta(hours=2), "We will get back to you within 2 hours."),
            (timedelta(hours=1, minutes=20), "We will get back to you within 1 hour and 30 minutes."),
            (timedelta(hours=2, minutes=1), "We will get back to you within 2 hours and 15 minutes."),
            (timedelta(hours=23, minutes=46), "We will get back to you by Tuesday 24 November 10:00."),
            # Thursday 26 November 14:05 in Stockholm, rounded up to the hour
            (timedelta(days=3, hours=4, minutes=5), "We will get back to you by Thursday 26 November 15:00."),
        ],
    )
    def test_english_in_stockholm(self, delta, text):
        assert eta_text(due_at=NOW + delta, now=NOW, language="en", time_zone="Europe/Stockholm") == text

    def test_the_customers_time_zone(self):
        due = NOW + timedelta(days=3)
        assert eta_text(due_at=due, now=NOW, language="en", time_zone="Europe/Helsinki").endswith(
            "by Thursday 26 November 11:00."
        )
        assert eta_text(due_at=due, now=NOW, language="en", time_zone="America/New_York").endswith(
            "by Thursday 26 November 04:00."
        )
        # an unknown zone reads as the site's
        assert eta_text(due_at=due, now=NOW, language="en", time_zone="Mars/Olympus").endswith("10:00.")

    def test_the_customers_language(self):
        # the Swedish catalogue may not have these sentences yet; Django's activation does switch language
        text = eta_text(due_at=NOW + timedelta(days=3), now=NOW, language="sv", time_zone="Europe/Stockholm")
        assert "26" in text and "10" in text
        assert eta_text(due_at=NOW, now=NOW, language="sv", time_zone="Europe/Stockholm")

    def test_a_predicted_time_is_stated_exactly(self, settings):
        settings.LOFTE_ETA_MIN_SAMPLES = 1
        for minutes in (7, 95, 1000, 4000):
            ResponseTimeStat.objects.all().delete()
            record(minutes)
            told = predict()
            text = eta_text(due_at=told.due_at, now=NOW, language="en", time_zone="Europe/Stockholm")
            assert eta_round(due_at=told.due_at, now=NOW) == told.due_at, text


class TestSetEta:
    def _first(self, case, now, **kw):  # type: ignore[no-untyped-def]
        return Promise.objects.create(
            kind=kw.pop("kind", PromiseKind.FIRST_RESPONSE),
            case=case,
            due_at=now + timedelta(hours=8),
            origin=PromiseOrigin.POLICY,
            created_at=now,
            remind_at=now + timedelta(hours=7),
            **kw,
        )

    def test_moves_the_due_time_and_the_reminder_and_marks_the_eta(self, case):
        first = self._first(case, NOW)
        due = NOW + timedelta(hours=2)
        result = promise_set_eta(promise=first, due_at=due, customer_text=" Within 2 hours. ", basis="channel", now=NOW)
        first.refresh_from_db()
        assert result.pk == first.pk
        assert (first.due_at, first.customer_text, first.eta_basis, first.state) == (
            due,
            "Within 2 hours.",
            "channel",
            PromiseState.PENDING,
        )
        # 20 % of the two-hour window before the due time, as for a new promise
        assert first.remind_at == due - timedelta(minutes=24)
        assert first.reminded_at is None

    def test_a_paused_promise_keeps_its_pause_with_the_time_left(self, case):
        first = self._first(case, NOW, paused_at=NOW, remaining=timedelta(hours=8))
        promise_set_eta(promise=first, due_at=NOW + timedelta(hours=3), customer_text="x", basis="all", now=NOW)
        first.refresh_from_db()
        assert (first.paused_at, first.remaining) == (NOW, timedelta(hours=3))

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"due_at": NOW + timedelta(hours=9)}, "due_at"),
            ({"due_at": datetime(2026, 11, 23, 11, 0)}, "due_at"),  # naive on purpose
            ({"basis": ""}, "basis"),
        ],
    )
    def test_refuses_a_later_or_naive_time_or_no_basis(self, case, change, field):
        first = self._first(case, NOW)
        values = {"due_at": NOW + timedelta(hours=1), "basis": "all"} | change
        with pytest.raises(ValidationFailed) as err:
            promise_set_eta(promise=first, customer_text="x", now=NOW, **values)
        assert err.value.field == field
        first.refresh_from_db()
        assert (first.due_at, first.eta_basis) == (NOW + timedelta(hours=8), "")

    def test_refuses_other_kinds_and_decided_promises(self, case):
        resolution = self._first(case, NOW, kind=PromiseKind.RESOLUTION)
        kept = self._first(case, NOW, state=PromiseState.KEPT, kept_at=NOW)
        for promise, field in ((resolution, "kind"), (kept, "state")):
            with pytest.raises(ValidationFailed) as err:
                promise_set_eta(
                    promise=promise, due_at=NOW + timedelta(hours=1), customer_text="", basis="all", now=NOW
                )
            assert err.value.field == field

    def test_through_a_policy_the_cap_is_the_policys_due_time(self, customer, team):
        policy_create(name="Standard", first_response_minutes=60)
        case = make_case(customer=customer, team=team, channel="email")
        first = Promise.objects.get(case=case, kind=PromiseKind.FIRST_RESPONSE)
        told = predict(now=first.created_at, cap=first.due_at, team=team.pk)
        assert told.basis == "sla"  # the default 8 hours is later than the policy's hour
        promise_set_eta(promise=first, due_at=told.due_at, customer_text="soon", basis=told.basis, now=first.created_at)
        first.refresh_from_db()
        assert first.due_at <= first.created_at + timedelta(minutes=60)
        assert first.eta_basis == "sla"
