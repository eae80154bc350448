"""Background work of text understanding: training a model."""

from __future__ import annotations

from django.tasks import task

from lofte.triage.models import TriageModel
from lofte.triage.services import model_train


@task()
def triage_train(model_id: int) -> str:
    """Train the model `model_id` (idempotent: a model no longer training is left alone)."""
    model = TriageModel.objects.filter(pk=model_id).first()
    if model is None:
        return "gone"
    return model_train(model=model).state
