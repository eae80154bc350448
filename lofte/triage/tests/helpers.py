"""Models for the tests: switched on, trained from the words alone (fast), with the thresholds a test asks for."""

from __future__ import annotations

from lofte.triage import classifier
from lofte.triage.models import ModelState, TriageModel
from lofte.triage.services import seed_examples


def install(
    field: str, pairs: list[tuple[str, str]], *, apply_at: float = 0.0, floor: float | None = 0.0
) -> TriageModel:
    """A switched-on model of `field` trained on `pairs` from the words alone, with the thresholds given (`floor`
    None: the one training chose on its held-back examples)."""
    trained = classifier.train([t for t, _ in pairs], [label for _, label in pairs])
    if floor is not None:
        trained.floor = floor
    version = TriageModel.objects.filter(field=field).count() + 1
    return TriageModel.objects.create(
        field=field,
        version=version,
        state=ModelState.READY,
        is_active=True,
        floor=trained.floor,
        apply_at=apply_at,
        artifact=trained.dumps(),
    )


def seed_pairs(field: str) -> list[tuple[str, str]]:
    """(text, label) of Lofte's starting examples of `field` (complaint, status question)."""
    return [(e.text, e.label) for e in seed_examples(field)]
