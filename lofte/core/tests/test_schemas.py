"""lofte.core.schemas: the bounds every API input shares."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from lofte.core.schemas import MAX_ID, Day, Id, InSchema, Moment, Text


class Probe(InSchema):
    id: Id | None = None
    day: Day | None = None
    moment: Moment | None = None
    text: Text = ""
    words: list[str] = []


def errors(value: object) -> list[tuple[tuple[object, ...], str]]:
    with pytest.raises(ValidationError) as raised:
        Probe.model_validate(value)
    return [(e["loc"], e["type"]) for e in raised.value.errors()]


@pytest.mark.parametrize("value", [[None, None], None, 5, "x", [], True])
def test_only_an_object_is_an_input(value):
    assert errors(value) == [((), "object_type")]


def test_an_object_reads_as_given():
    probe = Probe.model_validate({"id": MAX_ID, "day": "1900-01-01", "moment": "9999-12-31T23:59:59Z"})
    assert (probe.id, probe.day, probe.moment.year) == (MAX_ID, date(1900, 1, 1), 9999)


@pytest.mark.parametrize("value", [0, -1, MAX_ID + 1, 10**20])
def test_an_id_is_1_to_the_bigint(value):
    assert errors({"id": value})[0][0] == ("id",)


@pytest.mark.parametrize("value", ["1899-12-31", "0001-01-01"])
def test_a_day_is_in_1900_to_9999(value):
    assert errors({"day": value}) == [(("day",), "date_range")]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("1899-12-31T23:59:59Z", "datetime_range"),
        ("1900-01-01T00:30:00+01:00", "datetime_range"),  # 1899 in UTC
        ("9999-12-31T23:00:00-05:00", "datetime_range"),  # past datetime's range in UTC
        ("2026-06-18T16:45:00", "timezone_aware"),
    ],
)
def test_a_moment_has_an_offset_and_is_in_1900_to_9999_in_utc(value, kind):
    assert errors({"moment": value}) == [(("moment",), kind)]


def test_no_text_may_hold_a_nul_character():
    assert errors({"text": "a\x00b"}) == [(("text",), "nul_character")]
    assert errors({"words": ["ok", "a\x00"]}) == [(("words",), "nul_character")]
