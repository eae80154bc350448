"""`lofte triage_evaluate`: trains in a database of its own, never the user's; the figures the issue names, with
out-of-scope rows and the complaint flag; bad input named by file and line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from benchmarks.tests.helpers import bench_databases
from lofte.kb.dense import embed_queries
from lofte.triage.classifier import train as train_classifier
from lofte.triage.models import TrainingExample, TriageModel
from lofte.triage.services import Example, examples_add
from lofte.triage.tests.data import LABELLED

pytestmark = pytest.mark.bench

TEST = [
    ("fakturan är för hög igen", "invoice", "sv"),
    ("we are moving to a new address in May", "moving", "en"),
    ("en pääse kirjautumaan, salasana unohtui", "login", "fi"),
    ("Kan ni rekommendera en bra pizzeria i Rom?", "oos", "sv"),
]


def write(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = ("text", "label", "language")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        if header:
            out.writerow(header)
        out.writerows(rows)
    return path


def run(*args: str) -> dict:
    stdout = io.StringIO()
    call_command("triage_evaluate", *args, "--json", stdout=stdout, stderr=io.StringIO())
    return json.loads(stdout.getvalue())


@pytest.mark.django_db(transaction=True)
def test_it_trains_and_measures_in_a_database_of_its_own(tmp_path: Path) -> None:
    examples_add(field="case_type", examples=[Example("the user's own example", "mine")])
    train = write(tmp_path / "train.csv", [(t, label, "") for t, label in LABELLED])
    result = run("--train", str(train), "--test", str(write(tmp_path / "test.csv", TEST)))
    assert (result["train"], result["test"], result["labels"]) == (36, 4, 3)
    assert result["accuracy"] == 1.0 and result["macro_f1"] == 1.0
    # the same training, done here: the out-of-scope row is turned away exactly when it scores under the floor
    same = train_classifier([t for t, _l in LABELLED], [label for _t, label in LABELLED], embed=embed_queries)
    assert result["floor"] == same.floor
    turned_away = same.predict_one(TEST[3][0], embed_queries).label == ""
    assert result["oos_recall"] == (1.0 if turned_away else 0.0)
    answered = [same.predict_one(text, embed_queries).label == label for text, label, _l in TEST[:3]]
    assert result["in_scope_accuracy"] == round(sum(answered) / 3, 4)
    assert result["train_s"] > 0 and result["predict_p95_ms"] > 0
    assert set(result["by_language"]) == {"sv", "en", "fi"}
    assert result["by_language"]["sv"]["oos_recall"] == result["oos_recall"]
    # the user's database: as it was
    assert list(TrainingExample.objects.values_list("text", flat=True)) == ["the user's own example"]
    assert not TriageModel.objects.exists()
    assert bench_databases("triage_eval") == []


@pytest.mark.django_db(transaction=True)
def test_without_out_of_scope_rows_those_figures_are_null(tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", [(t, label) for t, label in LABELLED], header=())
    result = run("--train", str(train), "--test", str(write(tmp_path / "t.csv", [r[:2] for r in TEST[:3]], ())))
    assert result["oos_recall"] is None and result["in_scope_accuracy"] is None
    assert "by_language" not in result


@pytest.mark.django_db(transaction=True)
def test_the_complaint_flag_has_precision_recall_and_f1(tmp_path: Path) -> None:
    complaints = [
        "Jag är mycket missnöjd med hur ni har behandlat mig",
        "Detta är tredje gången ni skickar fel faktura, jag vill ha ersättning",
        "Personalen var otrevlig och ingen ringde tillbaka som utlovat",
        "I want to make a formal complaint about your service",
        "Your technician never showed up and nobody apologised",
        "Olen todella tyytymätön palveluunne ja haluan hyvityksen",
    ] * 2
    others = [
        "Hur byter jag betalningsdag?",
        "Kan ni skicka fakturan till en annan adress?",
        "Vilka öppettider har kundtjänst i jul?",
        "How do I change my password?",
        "Can I pay the invoice in two parts?",
        "Milloin asentaja tulee?",
    ] * 2
    train = write(tmp_path / "c.csv", [(t, "complaint", "") for t in complaints] + [(t, "other", "") for t in others])
    test = write(
        tmp_path / "ct.csv",
        [("Jag vill klaga, ni har inte ringt tillbaka som ni lovade", "complaint", "sv"),
         ("When does the technician come?", "other", "en")],
    )  # fmt: skip
    result = run("--train", str(train), "--test", str(test), "--complaint")
    assert {"precision", "recall", "f1"} <= set(result)
    assert result["by_language"]["sv"]["f1"] in (0.0, 1.0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("", "invoice")], "line 2: the text is empty"),
        ([("text", "")], "line 2: the label is empty"),
        ([("only one column",)], "line 2: expected text,label"),
        ([("Kan ni rekommendera en pizzeria?", "oos")], "'oos' rows belong in the test file only"),
    ],
)
def test_bad_training_rows_are_named_by_file_and_line(tmp_path: Path, rows, message) -> None:
    train = write(tmp_path / "train.csv", rows, header=("text", "label"))
    with pytest.raises(CommandError, match=message):
        run("--train", str(train), "--test", str(write(tmp_path / "t.csv", TEST)))


def test_complaint_mode_takes_only_complaint_and_other(tmp_path: Path) -> None:
    train = write(tmp_path / "train.csv", [("Jag är arg", "angry")])
    with pytest.raises(CommandError, match="with --complaint a label is 'complaint' or 'other'"):
        run("--train", str(train), "--test", str(train), "--complaint")


def test_a_missing_or_binary_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot be read"):
        run("--train", str(tmp_path / "nope.csv"), "--test", str(tmp_path / "nope.csv"))
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00text,label\n")
    with pytest.raises(CommandError, match="is not UTF-8 text"):
        run("--train", str(binary), "--test", str(binary))
