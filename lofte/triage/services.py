"""Writes of text understanding: training examples, and models trained, switched on and restored.

Training runs in the background (`lofte.triage.tasks.triage_train`), never in a request: `model_train_start`
makes the model's row (state "training") and queues the task once the transaction commits; the task calls
`model_train`, which writes its progress on the row as it goes (an admin's page reads it) and then the trained
model, its thresholds and its evaluation on held-back examples. A model is switched on only by
`model_activate`, after an admin has seen that evaluation; switching on an earlier version restores it.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent
from lofte.cases.models import Case, Direction, Message
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.kb import dense
from lofte.triage import classifier
from lofte.triage.models import Field, FieldSetting, ModelState, Source, TrainingExample, TriageModel
from lofte.triage.suggest import field_setting, message_text

log = logging.getLogger(__name__)

MAX_EXAMPLES = 50_000  # a model learns from at most this many of a field's newest examples
MAX_TEXT = classifier.MAX_CHARS


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    language: str = ""


def _check_field(field: str) -> str:
    if field not in Field.values:
        raise ValidationFailed(_("'%(value)s' is not a field Lofte learns.") % {"value": field[:32]}, field="field")
    return field


def examples_add(*, field: str, examples: Iterable[Example], source: str = Source.IMPORT) -> int:
    """Store examples of `field` (texts cut to what a model reads); empty texts and labels are skipped. Answers
    how many were stored."""
    _check_field(field)
    rows = [
        TrainingExample(
            field=field, label=e.label.strip()[:64], text=e.text[:MAX_TEXT], language=e.language[:8], source=source
        )
        for e in examples
        if e.text.strip() and e.label.strip()
    ]
    TrainingExample.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


@transaction.atomic
def model_train_start(
    *, field: str, actor: Agent | None = None, run_now: bool = False, switch_on: bool = False
) -> TriageModel:
    """A new version of `field`'s model, to be trained in the background (or at once with `run_now`, for the
    command line and the benchmarks); `switch_on`: switched on when trained, unless another is on by then."""
    _check_field(field)
    if TriageModel.objects.filter(field=field, state=ModelState.TRAINING).exists():
        raise ValidationFailed(_("A model of this field is being trained already."), field="field")
    version = (TriageModel.objects.filter(field=field).aggregate(v=Max("version"))["v"] or 0) + 1
    model = TriageModel.objects.create(
        field=field,
        version=version,
        created_by=actor,
        progress_note=_("Waiting"),
        switch_on_when_trained=switch_on,
    )
    if not run_now:
        transaction.on_commit(lambda: _enqueue(model.pk))
    return model


def _enqueue(model_id: int) -> None:
    from lofte.triage.tasks import triage_train

    triage_train.enqueue(model_id)


def _progress(model: TriageModel, percent: int, note: str) -> None:
    TriageModel.objects.filter(pk=model.pk).update(progress=percent, progress_note=note[:200])


def model_train(*, model: TriageModel) -> TriageModel:
    """Train `model` on its field's newest examples (idempotent: a model no longer training is left alone)."""
    claimed = TriageModel.objects.filter(pk=model.pk, state=ModelState.TRAINING, artifact__isnull=True).update(
        progress=1
    )
    if not claimed:
        return TriageModel.objects.get(pk=model.pk)
    examples_from_solved(field=model.field)
    rows = list(
        TrainingExample.objects.filter(field=model.field)
        .order_by("-created_at", "-id")
        .values_list("text", "label")[:MAX_EXAMPLES]
    )
    try:
        trained = classifier.train(
            [text for text, _label in rows],
            [label for _text, label in rows],
            progress=lambda percent, note: _progress(model, max(1, percent), note),
            embed=dense.embed_queries,
            min_examples=field_setting(model.field).min_examples,
        )
    except classifier.TooLittleData as exc:
        return _failed(model, str(exc))
    except Exception as exc:  # a model that cannot be trained must say so on its row, not stay "training"
        log.exception("training %s failed", model)
        return _failed(model, f"{type(exc).__name__}: {exc}")
    model.state = ModelState.READY
    model.progress = 100
    model.progress_note = ""
    model.examples = len(rows)
    model.labels = trained.counts
    model.left_out = trained.left_out
    model.floor = trained.floor
    model.apply_at = trained.apply_at
    model.evaluation = (trained.held_back.as_dict() if trained.held_back else {}) | {
        "train_seconds": trained.train_seconds
    }
    model.artifact = trained.dumps()
    model.trained_at = clock.now()
    model.save()
    if model.switch_on_when_trained and not TriageModel.objects.filter(field=model.field, is_active=True).exists():
        model_activate(model=model)
    return model


# what a solved case teaches, per field: the case's column that holds the answer
SOLVED_COLUMNS = {Field.CASE_TYPE.value: "case_type_id", Field.TEAM.value: "team_id", Field.PRIORITY.value: "priority"}
SOLVED_MAX = 5000  # cases read per training


def examples_from_solved(*, field: str, limit: int = SOLVED_MAX) -> int:
    """Examples of `field` from the newest solved cases not read before: the customer's first message and what the
    case was in the end (its case type, team, priority). Answers how many were stored."""
    column = SOLVED_COLUMNS.get(field)
    if column is None:
        return 0
    read = TrainingExample.objects.filter(field=field, source=Source.CASE, case__isnull=False).values("case_id")
    cases = dict(
        Case.objects.filter(solved_at__isnull=False, **{f"{column}__isnull": False})
        .exclude(pk__in=read)
        .order_by("-solved_at", "-id")
        .values_list("pk", column)[:limit]
    )
    if not cases:
        return 0
    first: dict[int, tuple[str, str]] = {}
    rows = (
        Message.objects.filter(case_id__in=list(cases), direction=Direction.IN, internal=False)
        .order_by("case_id", "created_at", "id")
        .values_list("case_id", "subject", "visible_text", "body_text", "language")
    )
    for case_id, subject, visible, body, language in rows.iterator(chunk_size=1000):
        if case_id not in first:
            first[case_id] = (message_text(subject, visible, body), language)
    stored = [
        TrainingExample(
            field=field,
            label=str(cases[case_id]),
            text=text,
            language=language,
            source=Source.CASE,
            case_id=case_id,
        )
        for case_id, (text, language) in first.items()
        if text
    ]
    TrainingExample.objects.bulk_create(stored, batch_size=1000)
    return len(stored)


SEEDS = {Field.COMPLAINT.value: "complaint.csv", Field.STATUS_QUESTION.value: "status.csv"}


def seed_examples(field: str) -> list[Example]:
    """Lofte's own starting examples of `field` (written for it in the five languages; lofte/triage/seed)."""
    path = Path(__file__).parent / "seed" / SEEDS[field]
    with path.open(encoding="utf-8", newline="") as handle:
        return [Example(row["text"], row["label"], row.get("language", "")) for row in csv.DictReader(handle)]


def starting_models_train(*, run_now: bool = False) -> list[TriageModel]:
    """Lofte's starting models of complaints and status questions, for a company with no data of its own yet: for
    each field that has never had a model, its seed examples are stored and a model is trained from them and
    switched on when ready. A field with any model (an admin's, or one switched off) is left alone."""
    started = []
    for field in SEEDS:
        if TriageModel.objects.filter(field=field).exists():
            continue
        if not TrainingExample.objects.filter(field=field, source=Source.SEED).exists():
            examples_add(field=field, examples=seed_examples(field), source=Source.SEED)
        model = model_train_start(field=field, run_now=run_now, switch_on=True)
        started.append(model_train(model=model) if run_now else model)
    return started


def _failed(model: TriageModel, error: str) -> TriageModel:
    TriageModel.objects.filter(pk=model.pk).update(state=ModelState.FAILED, error=error[:2000], progress_note="")
    model.refresh_from_db()
    return model


@transaction.atomic
def model_activate(*, model: TriageModel, actor: Agent | None = None) -> TriageModel:
    """Switch `model` on for its field (the one switched on before goes off): a new version after its evaluation
    was seen, or an earlier one restored."""
    if model.state != ModelState.READY:
        raise ValidationFailed(_("Only a trained model can be switched on."), field="model")
    TriageModel.objects.filter(field=model.field, is_active=True).exclude(pk=model.pk).update(is_active=False)
    model.is_active = True
    model.activated_at = clock.now()
    model.save(update_fields=["is_active", "activated_at"])
    return model


def field_setting_save(*, field: str, auto_apply: bool, apply_at: float | None, min_examples: int) -> FieldSetting:
    """An admin's settings for `field` (see FieldSetting)."""
    _check_field(field)
    if apply_at is not None and not 0.5 <= apply_at <= 1.0:
        raise ValidationFailed(_("Apply from a confidence between 50 and 100 %."), field="apply_percent")
    if not 2 <= min_examples <= 1000:
        raise ValidationFailed(_("A label needs between 2 and 1,000 examples."), field="min_examples")
    setting, _created = FieldSetting.objects.update_or_create(
        field=field,
        defaults={
            "auto_apply": auto_apply,
            "apply_at": apply_at,
            "min_examples": min_examples,
            "updated_at": clock.now(),
        },
    )
    return setting


@transaction.atomic
def model_deactivate(*, field: str) -> None:
    """No model for `field`: nothing is suggested for it."""
    TriageModel.objects.filter(field=_check_field(field), is_active=True).update(is_active=False)
