"""Text understanding, measured: `lofte triage_evaluate --train FILE.csv --test FILE.csv [--complaint] [--json]`.

In a database of its own (benchmarks.database), the training rows become the product's training examples
(lofte.triage.services.examples_add), a model is trained by the product's own training (model_train, as the
background task does, with its thresholds chosen on a held-back tenth of the training rows only), switched on,
and asked about each test row one at a time through the product's predictor (lofte.triage.predict).

- accuracy and macro-F1: of the label the model leans to, over the test rows whose label was trained on;
- out-of-scope rows (label `oos`, never in training): the share turned away as "don't know" (below the model's
  floor) is `oos_recall`; `in_scope_accuracy` is the share of the other rows answered with the right label (a
  "don't know" counts as wrong);
- `--complaint`: labels `complaint` and `other`; precision, recall and F1 of the complaint flag;
- `predict_p95_ms`: one message at a time, as a new case asks; `train_s`: the whole training (thresholds and
  the final model); `max_rss_mb`: the process's peak memory.

CSV rows are `text,label`, with an optional header (`text,label`) and an optional third column `language`: with
it, the figures are also given per language.
"""

from __future__ import annotations

import csv
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.command import InputError, percentile
from benchmarks.database import bench_database
from lofte.triage import predict
from lofte.triage.classifier import evaluate
from lofte.triage.models import Field, ModelState
from lofte.triage.services import Example, examples_add, model_activate, model_train, model_train_start

OOS = "oos"


@dataclass(frozen=True)
class Row:
    text: str
    label: str
    language: str


def read_rows(path: Path, *, complaint: bool = False, test: bool = False) -> list[Row]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    rows: list[Row] = []
    with handle:
        try:
            for number, record in enumerate(csv.reader(handle), start=1):
                if not record or not any(part.strip() for part in record):
                    continue
                if number == 1 and [p.strip().lower() for p in record[:2]] == ["text", "label"]:
                    continue
                if len(record) < 2:
                    raise InputError(f"{path}, line {number}: expected text,label.")
                text, label = record[0].strip(), record[1].strip()
                language = record[2].strip() if len(record) > 2 else ""
                if not text:
                    raise InputError(f"{path}, line {number}: the text is empty.")
                if not label:
                    raise InputError(f"{path}, line {number}: the label is empty.")
                if complaint and label not in ("complaint", "other"):
                    raise InputError(f"{path}, line {number}: with --complaint a label is 'complaint' or 'other'.")
                if label == OOS and not test:
                    raise InputError(f"{path}, line {number}: 'oos' rows belong in the test file only.")
                rows.append(Row(text, label, language))
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: is not UTF-8 text.") from exc
        except csv.Error as exc:
            raise InputError(f"{path}: not CSV ({exc}).") from exc
    if not rows:
        raise InputError(f"{path}: no rows.")
    return rows


def evaluate_files(
    *, train_path: Path, test_path: Path, complaint: bool = False, progress: Callable[[str], None]
) -> dict[str, Any]:
    train_rows = read_rows(train_path, complaint=complaint)
    test_rows = read_rows(test_path, complaint=complaint, test=True)
    field = Field.COMPLAINT if complaint else Field.CASE_TYPE
    with bench_database("triage_eval"):
        examples_add(field=field, examples=[Example(r.text, r.label, r.language) for r in train_rows])
        model = model_train_start(field=field, run_now=True)
        started = time.perf_counter()
        model = model_train(model=model)
        train_s = time.perf_counter() - started
        if model.state != ModelState.READY:
            raise RuntimeError(f"training failed: {model.error}")
        progress(f"trained on {model.examples} rows of {len(model.labels)} labels in {train_s:.1f} s")
        model_activate(model=model)
        predict.forget_all()
        predict.predict(field, "warm up")  # the model loads once per process, as in the product
        took, answers = [], []
        for row in test_rows:
            t0 = time.perf_counter()
            found = predict.predict(field, row.text)
            took.append((time.perf_counter() - t0) * 1000)
            assert found is not None
            answers.append(found[1])
        trained_labels = set(model.labels) - set(model.left_out)
        predict.forget_all()
    result: dict[str, Any] = {
        "train": len(train_rows),
        "test": len(test_rows),
        "labels": len(trained_labels),
    }
    result |= _figures(test_rows, answers, trained_labels, model.floor, complaint=complaint)
    result["train_s"] = round(train_s, 2)
    result["predict_p95_ms"] = round(percentile(took, 0.95), 2)
    result["predict_p50_ms"] = round(percentile(took, 0.50), 2)
    result["floor"] = model.floor
    result["apply_at"] = model.apply_at
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    languages = sorted({r.language for r in test_rows if r.language})
    if languages:
        result["by_language"] = {}
        for language in languages:
            pairs = [(r, a) for r, a in zip(test_rows, answers, strict=True) if r.language == language]
            result["by_language"][language] = {"test": len(pairs)} | _figures(
                [r for r, _a in pairs], [a for _r, a in pairs], trained_labels, model.floor, complaint=complaint
            )
    return result


def _figures(rows: list[Row], answers: list[Any], trained: set[str], floor: float, *, complaint: bool) -> dict:
    in_scope = [(r, a) for r, a in zip(rows, answers, strict=True) if r.label != OOS]
    oos = [(r, a) for r, a in zip(rows, answers, strict=True) if r.label == OOS]
    figures: dict[str, Any] = {}
    graded = None
    if in_scope:
        graded = evaluate([a.best for _r, a in in_scope], [a.surety for _r, a in in_scope],
                          [r.label for r, _a in in_scope], floor)  # fmt: skip
        figures["accuracy"] = graded.accuracy
        figures["macro_f1"] = graded.macro_f1
    else:
        figures["accuracy"] = figures["macro_f1"] = None
    if oos:
        figures["oos_recall"] = round(sum(a.label == "" for _r, a in oos) / len(oos), 4)
        figures["in_scope_accuracy"] = (
            round(sum(a.label == r.label for r, a in in_scope) / len(in_scope), 4) if in_scope else None
        )
    else:
        figures["oos_recall"] = figures["in_scope_accuracy"] = None
    if complaint and in_scope:
        # the flag as the product raises it: "complaint" above the floor; under it ("don't know") no flag
        flagged = evaluate([a.label or "other" for _r, a in in_scope], [1.0] * len(in_scope),
                           [r.label for r, _a in in_scope], 0.0)  # fmt: skip
        flag = flagged.per_label.get("complaint") or {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        figures |= {key: flag[key] for key in ("precision", "recall", "f1")}
    elif complaint:
        figures |= {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    unknown = sorted({r.label for r, _a in in_scope} - trained)
    if unknown:
        figures["untrained_test_labels"] = unknown[:20]
    return figures


def evaluation_table(result: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        return "-" if value is None else f"{value:.3f}"

    lines = [
        f"trained on {result['train']} rows ({result['labels']} labels) in {result['train_s']:.1f} s; "
        f"{result['test']} test rows",
        f"accuracy {show(result['accuracy'])}, macro-F1 {show(result['macro_f1'])}; out of scope: recall "
        f"{show(result['oos_recall'])}, in-scope accuracy {show(result['in_scope_accuracy'])} "
        f"(floor {result['floor']:.3f})",
    ]
    if "f1" in result:
        lines.append(
            f"complaint flag: precision {result['precision']:.3f}, recall {result['recall']:.3f}, F1 {result['f1']:.3f}"
        )
    lines.append(
        f"prediction p50 {result['predict_p50_ms']:.1f} ms, p95 {result['predict_p95_ms']:.1f} ms; "
        f"peak memory {result['max_rss_mb']} MB"
    )
    for language, figures in result.get("by_language", {}).items():
        extra = f", complaint F1 {figures['f1']:.3f}" if "f1" in figures else ""
        oos = (
            f", oos recall {show(figures['oos_recall'])}, in-scope accuracy {show(figures['in_scope_accuracy'])}"
            if figures.get("oos_recall") is not None
            else ""
        )
        lines.append(
            f"  {language}: {figures['test']} rows, accuracy {show(figures['accuracy'])}, "
            f"macro-F1 {show(figures['macro_f1'])}{oos}{extra}"
        )
    return "\n".join(lines) + "\n"
