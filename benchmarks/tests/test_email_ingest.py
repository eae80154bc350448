"""`lofte bench_email`: ingests a generated mix in a database and a media root of its own, leaving the user's alone."""

from __future__ import annotations

import email
import email.policy
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from benchmarks.email_ingest import AUTO_REPLY, BOUNCE, NEW, PLACEHOLDER, REFERENCE, REPLY, format_table, generate
from benchmarks.tests.helpers import bench_databases
from lofte.cases.models import Case
from lofte.channels.models import InboundEmail

pytestmark = pytest.mark.bench

REQUIRED = [
    "messages",
    "ingest_per_s",
    "parse_only_per_s",
    "ratio",
    "queries_per_message",
    "outcomes",
    "database",
]


def _media_roots() -> set[Path]:
    return set(Path(settings.DATA_DIR).glob("bench_email_media_*"))


@pytest.mark.django_db(transaction=True)
def test_bench_email_ingests_in_a_database_of_its_own(case):
    # given: the user's (here: the test) database with one case, and whatever is in the media root
    name = connection.settings_dict["NAME"]
    media_before = _media_roots()
    stdout, stderr = io.StringIO(), io.StringIO()

    # when
    call_command("bench_email", "--messages", "60", "--suggestions", "0", "--json", stdout=stdout, stderr=stderr)

    # then: one JSON object and nothing else on stdout, progress on stderr
    output = stdout.getvalue().strip()
    assert "\n" not in output
    result = json.loads(output)
    assert set(REQUIRED) <= set(result)
    assert result["messages"] == 60
    assert result["database"] == connection.vendor
    for key in ("ingest_per_s", "parse_only_per_s", "ratio"):
        assert isinstance(result[key], float), key
        assert result[key] > 0, key
    assert result["parse_only_per_s"] > result["ingest_per_s"]
    assert result["query_sample"] == 100
    assert 0 < result["queries_per_message"] < 50
    assert 0 < result["language_p50_ms"] <= result["language_p95_ms"]
    assert result["suggest_p95_ms"] is None and result["suggest_sample"] == 0  # --suggestions 0: no models
    # every kind of the mix ended as it should: nothing quarantined
    outcomes = result["outcomes"]
    assert {"created", "appended", "auto_reply", "bounce"} <= set(outcomes)
    assert "quarantined" not in outcomes
    assert sum(outcomes.values()) == 60
    assert outcomes == result["outcomes_expected"]
    assert result["mismatches"] == 0
    assert "database:" in stderr.getvalue()
    # and the user's database is back and untouched; the benchmark's database and files are gone
    assert connection.settings_dict["NAME"] == name
    assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]
    assert not InboundEmail.objects.exists()
    assert bench_databases("benchemail") == []
    assert _media_roots() == media_before


def test_the_mix_is_deterministic_and_has_every_kind():
    mix = generate(200, seed=7, sample=20)
    again = generate(200, seed=7, sample=20)

    assert [m.raw for m in mix.mails] == [m.raw for m in again.mails]
    assert len(mix.mails) == 220
    assert mix.kinds == {NEW: 90, REPLY: 70, REFERENCE: 20, AUTO_REPLY: 10, BOUNCE: 10}
    assert [m.raw for m in generate(200, seed=8, sample=20).mails] != [m.raw for m in mix.mails]
    parsed = [email.message_from_bytes(m.raw, policy=email.policy.default) for m in mix.mails]
    assert all(p["Message-ID"] and p["From"] for p in parsed)
    assert len({p["Message-ID"] for p in parsed}) == 220
    for mail, message in zip(mix.mails, parsed, strict=True):
        if mail.kind == REPLY:
            assert message["In-Reply-To"] and message["References"]
        if mail.kind == REFERENCE:  # the reference goes into the subject at ingest time
            assert mail.parent is not None and mail.parent < mix.mails.index(mail)
            assert PLACEHOLDER in mail.raw and not message["In-Reply-To"]
        if mail.kind == AUTO_REPLY:
            assert message["Auto-Submitted"]
        if mail.kind == BOUNCE:
            assert message.get_content_type() == "multipart/report"
    assert any(b'charset="windows-1252"' in m.raw for m in mix.mails)
    assert any(b"=?utf-8?" in m.raw.lower() for m in mix.mails)
    assert any(b"application/pdf" in m.raw for m in mix.mails)


def test_format_table_reports_the_figures_and_the_target():
    result = {
        "messages": 2000,
        "seed": 1,
        "database": "sqlite",
        "mix": {"auto_reply": 100, "bounce": 100, "new": 900, "reference": 200, "reply": 700},
        "senders": 700,
        "median_bytes": 5628,
        "mean_bytes": 13336,
        "total_mb": 25.44,
        "ingest_per_s": 300.0,
        "ingest_s": 6.667,
        "parse_only_per_s": 1000.0,
        "parse_only_s": 2.0,
        "ratio": 0.3,
        "target_ratio": 0.25,
        "ingest_p50_ms": 3.1,
        "ingest_p95_ms": 6.0,
        "ingest_ms_by_kind": {"new": 4.0, "reply": 3.0},
        "language_p50_ms": 0.8,
        "language_p95_ms": 2.25,
        "queries_per_message": 14.7,
        "queries_max": 17,
        "query_sample": 100,
        "queries_by_outcome": {"created": 16.1},
        "outcomes": {"appended": 900, "auto_reply": 100, "bounce": 100, "created": 900},
        "outcomes_expected": {"appended": 900, "auto_reply": 100, "bounce": 100, "created": 900},
        "mismatches": 0,
    }

    table = format_table(result)

    assert "2,000 messages (seed 1) on sqlite" in table
    assert "A: email_ingest (store, parse, file)" in table
    assert "ingest >= parse only / 4: ok (ratio 0.300)" in table
    assert "queries per message: 14.7" in table
    assert "of which language detection: p50 0.80 ms, p95 2.25 ms" in table
    assert "MISSED (ratio 0.100)" in format_table(result | {"ratio": 0.1})
