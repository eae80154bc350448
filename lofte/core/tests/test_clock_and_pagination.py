"""The one clock, and keyset pagination: cursors that round-trip, refuse tampering and walk every row once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from lofte.cases.models import Case
from lofte.cases.tests.factories import make_case
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.pagination import SortKey, decode_cursor, encode_cursor, paginate, paginate_walk

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")

DUE = SortKey("next_due_at", descending=False, nullable=True)
DUE_DESC = SortKey("next_due_at", descending=True, nullable=True)
CREATED_DESC = SortKey("created_at", descending=True)
PRIORITY_DESC = SortKey("priority", descending=True, kind="int")
SUBJECT = SortKey("subject", descending=False, kind="str")


class TestClock:
    def test_at_sets_now_and_resets_it(self):
        before = timezone.now()
        with clock.at(T0) as moment:
            assert moment == T0
            assert clock.now() == T0
            assert clock.now() == T0  # fixed, not running
        after = clock.now()
        assert before <= after <= timezone.now()
        assert after.tzinfo is not None

    def test_the_innermost_at_wins_and_the_outer_comes_back(self):
        later = datetime(2026, 6, 1, 12, 0, tzinfo=STOCKHOLM)
        with clock.at(T0):
            with clock.at(later):
                assert clock.now() == later
            assert clock.now() == T0

    def test_at_resets_when_the_block_raises(self):
        with pytest.raises(RuntimeError), clock.at(T0):
            raise RuntimeError("boom")
        assert clock.now() != T0
        assert abs(clock.now() - timezone.now()) < timedelta(seconds=5)

    def test_a_naive_datetime_is_refused_and_nothing_changes(self):
        with clock.at(T0):
            with pytest.raises(ValueError, match="aware"), clock.at(datetime(2026, 3, 2, 9, 0)):
                pass  # pragma: no cover
            assert clock.now() == T0
        with pytest.raises(ValueError, match="aware"), clock.at(datetime(2026, 3, 2, 9, 0)):
            pass  # pragma: no cover
        assert abs(clock.now() - timezone.now()) < timedelta(seconds=5)


def cursor_of(data: object) -> str:
    """A cursor as a client could forge one."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.django_db
class TestCursor:
    @pytest.fixture
    def case(self) -> Case:
        case = make_case(subject="Fel belopp på fakturan")
        Case.objects.filter(pk=case.pk).update(next_due_at=datetime(2026, 3, 2, 10, 15, 30, 123456, tzinfo=STOCKHOLM))
        return Case.objects.get(pk=case.pk)

    @pytest.mark.parametrize(
        ("key", "field"),
        [(DUE, "next_due_at"), (CREATED_DESC, "created_at"), (PRIORITY_DESC, "priority"), (SUBJECT, "subject")],
    )
    def test_a_cursor_round_trips_the_sort_value_and_id(self, case, key, field):
        cursor = encode_cursor(case, key)
        assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        assert decode_cursor(cursor, key) == (getattr(case, field), case.pk)

    def test_a_datetime_keeps_its_microseconds_and_instant(self, case):
        value, _ = decode_cursor(encode_cursor(case, DUE), DUE)
        assert value == datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=UTC)
        assert value.tzinfo is not None

    def test_a_null_sort_value_round_trips(self, case):
        Case.objects.filter(pk=case.pk).update(next_due_at=None)
        case.refresh_from_db()
        assert decode_cursor(encode_cursor(case, DUE), DUE) == (None, case.pk)

    @pytest.mark.parametrize(
        ("key", "cursor"),
        [
            (DUE, "not a cursor at all!"),
            (DUE, "bm90LWpzb24"),  # base64 of "not-json"
            (DUE, base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode()),  # not UTF-8
            (DUE, cursor_of({"value": "2026-03-02T09:00:00+00:00", "id": 5})),
            (DUE, cursor_of(["2026-03-02T09:00:00+00:00", 5, 6])),
            (DUE, cursor_of(7)),
            (PRIORITY_DESC, cursor_of("12")),  # a 2-character string unpacks into two values
            (DUE, cursor_of([12345, 5])),  # a number for a datetime
            (DUE, cursor_of(["2026-03-02", 5])),  # a date: naive
            (DUE, cursor_of(["2026-03-02T09:00:00", 5])),  # naive datetime
            (DUE, cursor_of(["9999-12-31T23:59:59-14:00", 5])),  # beyond year 9999 in UTC
            (DUE, cursor_of(["0001-01-01T00:00:00+14:00", 5])),  # before year 1 in UTC
            (DUE, cursor_of(["2026-03-02T09:00:00+00:00", "5"])),  # id as a string
            (DUE, cursor_of(["2026-03-02T09:00:00+00:00", 5.5])),  # id as a float
            (DUE, cursor_of(["2026-03-02T09:00:00+00:00", None])),
            (DUE, cursor_of(["2026-03-02T09:00:00+00:00", True])),
            (CREATED_DESC, cursor_of([None, 5])),  # null for a key that has no nulls
            (PRIORITY_DESC, cursor_of(["3", 5])),  # a string for an int
            (PRIORITY_DESC, cursor_of([True, 5])),
            (PRIORITY_DESC, cursor_of([2.5, 5])),
            (SUBJECT, cursor_of([{"a": 1}, 5])),  # an object for a string
        ],
    )
    def test_a_tampered_cursor_is_a_validation_error_on_the_cursor_field(self, key, cursor):
        with pytest.raises(ValidationFailed) as raised:
            paginate(Case.objects.all(), key=key, cursor=cursor, limit=5)
        assert (raised.value.field, raised.value.code, raised.value.message) == (
            "cursor",
            "validation_error",
            "The cursor is not valid; start again from the first page.",
        )


def walk(key: SortKey, limit: int) -> tuple[list[int], int]:
    """Follow next_cursor from the first page to the last; the ids in order and the number of pages."""
    ids: list[int] = []
    cursor: str | None = None
    for pages in range(1, 100):
        page = paginate(Case.objects.all(), key=key, cursor=cursor, limit=limit)
        ids += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids, pages
    raise AssertionError("the walk did not end")  # pragma: no cover


@pytest.fixture
def cases() -> dict[str, int]:
    """Seven cases: three without a due time, two due at the same moment."""
    due = {
        "a": T0 + timedelta(hours=2),
        "b": None,
        "c": T0 + timedelta(hours=1),
        "d": T0 + timedelta(hours=1),
        "e": None,
        "f": T0 + timedelta(hours=3),
        "g": None,
    }
    ids = {}
    for name, at in due.items():
        case = make_case(subject=f"Case {name}")
        Case.objects.filter(pk=case.pk).update(next_due_at=at, created_at=T0, priority=2 if name < "d" else 3)
        ids[name] = case.pk
    return ids


@pytest.mark.django_db
class TestWalk:
    @pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 50])
    def test_nulls_come_last_ascending_and_every_row_comes_once(self, cases, limit):
        ids, pages = walk(DUE, limit)
        assert ids == [cases[n] for n in "cdafbeg"]
        assert pages == max(1, -(-7 // limit))

    @pytest.mark.parametrize("limit", [1, 2, 3, 6, 7, 50])
    def test_nulls_come_last_descending_and_every_row_comes_once(self, cases, limit):
        ids, pages = walk(DUE_DESC, limit)
        assert ids == [cases[n] for n in "fadcgeb"]
        assert pages == max(1, -(-7 // limit))

    @pytest.mark.parametrize("limit", [1, 2, 4])
    def test_ties_are_broken_by_id(self, cases, limit):
        assert walk(CREATED_DESC, limit)[0] == [cases[n] for n in "gfedcba"]
        assert walk(PRIORITY_DESC, limit)[0] == [cases[n] for n in "gfedcba"]
        assert walk(SUBJECT, limit)[0] == [cases[n] for n in "abcdefg"]

    def test_a_row_that_changes_behind_the_cursor_is_not_shown_twice(self, cases):
        first = paginate(Case.objects.all(), key=DUE, cursor=None, limit=3)
        assert [c.pk for c in first.items] == [cases[n] for n in "cda"]
        Case.objects.filter(pk=cases["c"]).update(next_due_at=T0)  # moves earlier, behind the cursor
        rest = paginate(Case.objects.all(), key=DUE, cursor=first.next_cursor, limit=10)
        assert [c.pk for c in rest.items] == [cases[n] for n in "fbeg"]
        assert rest.next_cursor is None


def walk_kept(
    key: SortKey, limit: int, keep: set[str], names: dict[str, int], *, chunk: int, chunks: int = 10
) -> list[int] | None:
    """Follow paginate_walk's cursors (keeping the cases named in `keep`, chunk by chunk); None when a walk gave up."""
    ids: list[int] = []
    cursor: str | None = None
    kept = {names[n] for n in keep}
    for _pages in range(1, 100):
        page = paginate_walk(
            Case.objects.all(),
            key=key,
            cursor=cursor,
            limit=limit,
            keep=lambda batch: {pk for pk in batch if pk in kept},
            rows_from=Case.objects.all(),
            chunk=chunk,
            chunks=chunks,
        )
        if page is None:
            return None
        ids += [c.pk for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("the walk did not end")  # pragma: no cover


@pytest.mark.django_db
class TestWalkKeeping:
    """paginate_walk: the pages of the rows a filter keeps, found by walking the candidates in order, are the
    pages paginate gives for the same filter put in the query."""

    @pytest.mark.parametrize("key", [DUE, DUE_DESC, CREATED_DESC, PRIORITY_DESC, SUBJECT])
    @pytest.mark.parametrize("limit", [1, 2, 3, 50])
    @pytest.mark.parametrize("chunk", [2, 3, 7])
    def test_the_walk_gives_the_pages_of_the_filtered_query(self, cases, key, limit, chunk):
        keep = {"a", "b", "d", "g"}  # due, not due, tied with c, last
        expected = []
        cursor: str | None = None
        while True:
            page = paginate(Case.objects.filter(pk__in=[cases[n] for n in keep]), key=key, cursor=cursor, limit=limit)
            expected += [c.pk for c in page.items]
            if (cursor := page.next_cursor) is None:
                break

        assert walk_kept(key, limit, keep, cases, chunk=chunk) == expected

    def test_a_walk_that_keeps_nothing_in_its_chunks_gives_up_and_one_at_the_end_answers_an_empty_page(self, cases):
        # 3 chunks of 2 candidates: 6 of the 7 cases, none kept; the caller asks the database instead
        assert walk_kept(DUE, 2, set(), cases, chunk=2, chunks=3) is None
        # 3 chunks of 3: all 7 seen, none kept: an empty last page, no cursor
        assert walk_kept(DUE, 2, set(), cases, chunk=3, chunks=3) == []

    def test_a_tampered_cursor_is_the_same_clear_error(self, cases):
        with pytest.raises(ValidationFailed):
            paginate_walk(
                Case.objects.all(),
                key=DUE,
                cursor="bm90IGEgY3Vyc29y",
                limit=2,
                keep=set,
                rows_from=Case.objects.all(),
                chunk=2,
                chunks=3,
            )
