"""`lofte kb_evaluate` and `lofte bench_kb`: in a database of their own, never the user's; exact recall on a
corpus small enough to know the answers; bad input named by file and line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from benchmarks.tests.helpers import bench_databases
from lofte.kb.models import Article
from lofte.kb.tests.factories import article

pytestmark = pytest.mark.bench

ARTICLES = [
    {
        "id": "water",
        "title": "Hur anmäler jag en vattenskada?",
        "body": "Anmäl vattenskadan på Mina sidor.",
        "language": "sv",
    },
    {"id": "due", "title": "Byta betalningsdag", "body": "Välj den 1:a eller den 25:e varje månad.", "language": "sv"},
    {"id": "router", "title": "", "body": "Unplug the router for 30 seconds and plug it back in.", "language": "en"},
]
QUERIES = [
    {"query": "försäkring för hemmet vatten", "relevant": ["water"], "language": "sv"},
    {"query": "ändra förfallodag på fakturan", "relevant": ["due"], "language": "sv"},
    {"query": "internet not working router", "relevant": ["router"], "language": "en"},
]


def jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db(transaction=True)
def test_kb_evaluate_measures_in_a_database_of_its_own(tmp_path: Path) -> None:
    mine = article("Användarens egen artikel", "Finns bara i användarens databas.")
    stdout = io.StringIO()
    call_command(
        "kb_evaluate",
        "--articles",
        str(jsonl(tmp_path / "a.jsonl", ARTICLES)),
        "--queries",
        str(jsonl(tmp_path / "q.jsonl", QUERIES)),
        "--k",
        "1,3",
        "--json",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    result = json.loads(stdout.getvalue())
    assert (result["articles"], result["queries"]) == (3, 3)
    assert result["fused"] == {"r1": 1.0, "r3": 1.0, "mrr": 1.0}
    assert set(result["lexical"]) == set(result["dense"]) == {"r1", "r3", "mrr"}
    assert result["search_p95_ms"] > 0
    assert list(Article.objects.values_list("pk", flat=True)) == [mine.article_id]  # the user's data, untouched
    assert bench_databases("kb_eval") == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 1: not JSON"),
        ('{"id": "a", "title": "t", "body": "", "language": "sv"}', "line 1: 'body' is empty."),
        ('{"id": "a", "title": "t", "body": "b", "language": "de"}', "line 1: language 'de' is not one of"),
    ],
)
def test_kb_evaluate_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    (tmp_path / "a.jsonl").write_text(line + "\n", encoding="utf-8")
    jsonl(tmp_path / "q.jsonl", QUERIES)
    with pytest.raises(CommandError) as error:
        call_command("kb_evaluate", "--articles", str(tmp_path / "a.jsonl"), "--queries", str(tmp_path / "q.jsonl"))
    assert message in str(error.value)


def test_kb_evaluate_names_an_unknown_relevant_id(tmp_path: Path) -> None:
    jsonl(tmp_path / "a.jsonl", ARTICLES)
    jsonl(tmp_path / "q.jsonl", [{"query": "x", "relevant": ["nope"], "language": "sv"}])
    with pytest.raises(CommandError) as error:
        call_command("kb_evaluate", "--articles", str(tmp_path / "a.jsonl"), "--queries", str(tmp_path / "q.jsonl"))
    assert "relevant article 'nope' is not among the articles" in str(error.value)


@pytest.mark.django_db(transaction=True)
def test_bench_kb_prints_its_figures(tmp_path: Path) -> None:
    stdout = io.StringIO()
    call_command("bench_kb", "--articles", "20", "--searches", "10", "--json", stdout=stdout, stderr=io.StringIO())
    result = json.loads(stdout.getvalue())
    assert (result["articles"], result["translations"]) == (20, 40)
    assert result["index_per_s"] > 0
    for mode in ("lexical", "dense", "fused"):
        assert 0 < result[f"{mode}_p50_ms"] <= result[f"{mode}_p95_ms"]
    assert 0 < result["article_page_p50_ms"] <= result["article_page_p95_ms"]
    assert result["article_page_queries"] == 4
    assert bench_databases("kb_bench") == []
