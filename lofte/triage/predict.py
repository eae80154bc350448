"""Suggestions from the switched-on models: each field's model is loaded once per process, when first asked, and
kept until another version of that field is switched on (one query per field and call tells which one is on)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from lofte.kb import dense
from lofte.triage.classifier import Classifier, Prediction
from lofte.triage.models import ModelState, TriageModel

_lock = threading.Lock()
_loaded: dict[str, tuple[int, Classifier]] = {}  # field -> (model id, its classifier)


def classifier_for(model: TriageModel) -> Classifier:
    """The classifier stored on `model` (a trained one), loaded once per process; the field's model loaded
    before it is let go."""
    found = _loaded.get(model.field)
    if found is None or found[0] != model.pk:
        with _lock:
            found = _loaded.get(model.field)
            if found is None or found[0] != model.pk:
                data = TriageModel.objects.filter(pk=model.pk).values_list("artifact", flat=True).get()
                if data is None:
                    raise ValueError(f"{model} has no trained model")
                found = (model.pk, Classifier.loads(bytes(data)))
                _loaded[model.field] = found
    return found[1]


def predict(field: str, text: str) -> tuple[TriageModel, Prediction] | None:
    """The switched-on model of `field` and what it says of `text`; None when no model of it is on."""
    return predict_fields([field], text).get(field)


def active_models(fields: Sequence[str]) -> dict[str, TriageModel]:
    """The switched-on model of each of `fields` that has one: one query."""
    rows = TriageModel.objects.filter(field__in=list(fields), is_active=True, state=ModelState.READY).only(
        "pk", "field", "version", "floor", "apply_at"
    )
    return {m.field: m for m in rows}


def predict_fields(fields: Sequence[str], text: str) -> dict[str, tuple[TriageModel, Prediction]]:
    """What the switched-on models of `fields` say of `text` (fields without a model are left out). The text's
    meaning is read once, however many models ask for it."""
    models = active_models(fields)
    if not models:
        return {}
    embed = _Once(dense.embed_queries)
    return {
        field: (model, classifier_for(model).predict_one(text, embed=embed)) for field, model in sorted(models.items())
    }


class _Once:
    """An embed function that embeds each text once per call site (every model reads the same message)."""

    def __init__(self, embed: Callable[[Sequence[str]], Any]) -> None:
        self._embed = embed
        self._seen: dict[tuple[str, ...], Any] = {}

    def __call__(self, texts: Sequence[str]) -> Any:
        key = tuple(texts)
        if key not in self._seen:
            self._seen[key] = self._embed(texts)
        return self._seen[key]


def forget_all() -> None:
    """Drop every loaded model (tests, benchmarks)."""
    with _lock:
        _loaded.clear()
