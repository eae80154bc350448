"""Models for the tests: switched on, trained from the words alone (fast), with the thresholds a test asks for."""

from __future__ import annotations

import csv
from pathlib import Path

from lofte.triage import classifier
from lofte.triage.models import ModelState, TriageModel

SEED = Path(__file__).resolve().parents[1] / "seed"


def install(field: str, pairs: list[tuple[str, str]], *, apply_at: float = 0.0, floor: float = 0.0) -> TriageModel:
    """A switched-on model of `field` trained on `pairs` from the words alone, with the thresholds given."""
    trained = classifier.train([t for t, _ in pairs], [label for _, label in pairs])
    trained.floor = floor
    version = TriageModel.objects.filter(field=field).count() + 1
    return TriageModel.objects.create(
        field=field,
        version=version,
        state=ModelState.READY,
        is_active=True,
        floor=floor,
        apply_at=apply_at,
        artifact=trained.dumps(),
    )


def seed_pairs(name: str) -> list[tuple[str, str]]:
    """(text, label) of one of Lofte's seed sets ("complaint.csv", "status.csv")."""
    with (SEED / name).open(encoding="utf-8") as handle:
        return [(row["text"], row["label"]) for row in csv.DictReader(handle)]
