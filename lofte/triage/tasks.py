"""Background work of text understanding: training a model, the starting models, and a new message's
suggestions."""

from __future__ import annotations

from django.tasks import task

from lofte.triage.models import TriageModel
from lofte.triage.services import model_train, starting_models_train
from lofte.triage.suggest import message_triage


@task()
def triage_train(model_id: int) -> str:
    """Train the model `model_id` (idempotent: a model no longer training is left alone)."""
    model = TriageModel.objects.filter(pk=model_id).first()
    if model is None:
        return "gone"
    return model_train(model=model).state


@task()
def triage_message(message_id: int, opened: bool, proven: bool) -> int:
    """Suggest (or apply) what the models say of a customer's message; answers how many suggestions were made."""
    return len(message_triage(message_id=message_id, opened=opened, proven=proven))


@task()
def triage_start_models() -> int:
    """Start training Lofte's starting models where a field has never had one (runs when a worker starts)."""
    return len(starting_models_train())
