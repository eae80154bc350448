"""Training in the background, with progress on the model's row; switching a version on, and an earlier one back;
a model that cannot be trained says why; one loaded model per field and process."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from lofte.core.errors import ValidationFailed
from lofte.triage import predict
from lofte.triage.models import Field, ModelState, Source, TrainingExample, TriageModel
from lofte.triage.services import (
    Example,
    examples_add,
    model_activate,
    model_deactivate,
    model_train,
    model_train_start,
)
from lofte.triage.tasks import triage_train
from lofte.triage.tests.data import LABELLED

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_process():
    predict.forget_all()
    yield
    predict.forget_all()


def _examples() -> int:
    return examples_add(field=Field.CASE_TYPE, examples=[Example(t, label, "") for t, label in LABELLED])


def test_examples_are_stored_cut_and_empty_ones_skipped():
    stored = examples_add(
        field=Field.CASE_TYPE,
        examples=[Example("x" * 5000, "invoice", "sv"), Example("  ", "invoice"), Example("text", " ")],
    )
    assert stored == 1
    row = TrainingExample.objects.get()
    assert (len(row.text), row.label, row.language, row.source) == (2000, "invoice", "sv", Source.IMPORT)


def test_an_unknown_field_is_refused_by_name():
    with pytest.raises(ValidationFailed) as exc:
        examples_add(field="mood", examples=[])
    assert exc.value.field == "field"


def test_training_starts_in_the_background_and_writes_its_result(django_capture_on_commit_callbacks):
    _examples()
    with django_capture_on_commit_callbacks(execute=True):
        model = model_train_start(field=Field.CASE_TYPE)
    assert (model.version, model.state, model.is_active) == (1, ModelState.TRAINING, False)
    queued = DBTaskResult.objects.get(task_path__endswith="triage_train")
    assert queued.args_kwargs["args"] == [model.pk]
    assert triage_train.call(model.pk) == ModelState.READY
    model.refresh_from_db()
    assert (model.state, model.progress, model.examples) == (ModelState.READY, 100, 36)
    assert model.labels == {"invoice": 12, "login": 12, "moving": 12}
    assert model.floor > 0 and 0 < model.apply_at <= 1  # the floor is on the surety scale (see classifier)
    assert {"accuracy", "macro_f1", "answered", "per_label", "train_seconds"} <= set(model.evaluation)
    assert model.artifact and not model.is_active
    assert triage_train.call(model.pk) == ModelState.READY  # again: nothing is trained twice
    assert predict.predict(Field.CASE_TYPE, "fakturan är fel") is None  # not switched on yet


def test_one_training_at_a_time_per_field():
    model_train_start(field=Field.CASE_TYPE)
    with pytest.raises(ValidationFailed, match="being trained already"):
        model_train_start(field=Field.CASE_TYPE)
    assert model_train_start(field=Field.COMPLAINT).version == 1


def test_too_little_data_fails_with_the_reason_on_the_row():
    examples_add(field=Field.COMPLAINT, examples=[Example("Jag är missnöjd", "complaint")])
    model = model_train(model=model_train_start(field=Field.COMPLAINT, run_now=True))
    assert model.state == ModelState.FAILED
    assert "at least two are needed" in model.error
    with pytest.raises(ValidationFailed, match="Only a trained model"):
        model_activate(model=model)


def test_switching_on_a_version_and_restoring_the_one_before():
    _examples()
    first = model_train(model=model_train_start(field=Field.CASE_TYPE, run_now=True))
    model_activate(model=first)
    answer = predict.predict(Field.CASE_TYPE, "fakturan är för hög")
    assert answer is not None and answer[0].pk == first.pk and answer[1].best == "invoice"
    second = model_train(model=model_train_start(field=Field.CASE_TYPE, run_now=True))
    model_activate(model=second)
    assert list(TriageModel.objects.filter(is_active=True)) == [second]
    assert predict.predict(Field.CASE_TYPE, "fakturan är för hög")[0].pk == second.pk
    model_activate(model=first)  # restored
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.is_active, second.is_active) == (True, False)
    model_deactivate(field=Field.CASE_TYPE)
    assert predict.predict(Field.CASE_TYPE, "fakturan är för hög") is None


def test_a_model_is_loaded_once_per_process(django_assert_num_queries):
    _examples()
    model = model_activate(model=model_train(model=model_train_start(field=Field.CASE_TYPE, run_now=True)))
    with django_assert_num_queries(2):  # which model is on, then its bytes
        predict.predict(Field.CASE_TYPE, "jag har glömt mitt lösenord")
    with django_assert_num_queries(1):  # which model is on
        assert predict.predict(Field.CASE_TYPE, "jag har glömt mitt lösenord")[1].best == "login"
    assert predict._loaded[Field.CASE_TYPE][0] == model.pk


def test_the_starting_models_are_trained_from_loftes_own_examples_and_switched_on():
    from lofte.triage.services import starting_models_train

    started = starting_models_train(run_now=True)
    assert sorted(m.field for m in started) == [Field.COMPLAINT, Field.STATUS_QUESTION]
    for model in started:
        assert (model.state, model.is_active, model.created_by) == (ModelState.READY, True, None)
        assert model.evaluation["answered_accuracy"] >= 0.85
    assert TrainingExample.objects.filter(source=Source.SEED).count() == 800
    said = predict.predict(Field.STATUS_QUESTION, "Hei, mikä on tilanne asiassani? En ole kuullut teistä mitään.")
    assert said is not None and said[1].label == "status"
    said = predict.predict(Field.COMPLAINT, "Jeg er meget utilfreds med jeres service og vil klage over det.")
    assert said is not None and said[1].label == "complaint"
    # a field that has had a model is left alone: an admin switched it off, or trained their own
    model_deactivate(field=Field.COMPLAINT)
    assert starting_models_train(run_now=True) == []
    assert TriageModel.objects.count() == 2 and TrainingExample.objects.filter(source=Source.SEED).count() == 800


def test_a_label_with_fewer_examples_than_the_admin_asks_for_is_not_learned():
    from lofte.triage.models import FieldSetting

    _examples()  # 12 of each of three labels
    rare = ["Jag vill säga upp mitt avtal", "Uppsägning av abonnemanget", "Irtisanon sopimukseni", "Cancel my plan"]
    examples_add(field=Field.CASE_TYPE, examples=[Example(t, "cancel", "") for t in rare + rare[:2]])
    FieldSetting.objects.create(field=Field.CASE_TYPE, min_examples=10)
    model = model_train(model=model_train_start(field=Field.CASE_TYPE, run_now=True))
    assert model.state == ModelState.READY
    assert model.left_out == {"cancel": 6}
    assert sorted(model.labels) == ["cancel", "invoice", "login", "moving"]  # counted, not learned
    model_activate(model=model)
    said = predict.predict(Field.CASE_TYPE, "Jag vill säga upp mitt abonnemang")
    assert said is not None and said[1].best != "cancel"
    FieldSetting.objects.filter(field=Field.CASE_TYPE).update(min_examples=13)  # no label has that many
    failed = model_train(model=model_train_start(field=Field.CASE_TYPE, run_now=True))
    assert failed.state == ModelState.FAILED and "at least 13 examples" in failed.error


def test_solved_cases_teach_their_case_type_team_and_priority_once(case, agent):
    from lofte.cases.models import CaseType
    from lofte.cases.services import case_add_inbound, case_transition, case_update
    from lofte.triage.services import examples_from_solved

    invoice = CaseType.objects.create(name="Invoice")
    case_add_inbound(case=case, body="En sak till: adressen är fel också.", channel="email")  # not the first
    case_update(case=case, actor=agent, case_type=invoice, priority=3)
    assert examples_from_solved(field=Field.CASE_TYPE) == 0  # open: nothing to learn yet
    case_transition(case=case, actor=agent, status="solved")
    assert examples_from_solved(field=Field.CASE_TYPE) == 1
    assert examples_from_solved(field=Field.PRIORITY) == 1
    assert examples_from_solved(field=Field.TEAM) == 1
    assert examples_from_solved(field=Field.COMPLAINT) == 0  # an agent's answer says that, not a solved case
    rows = {e.field: e for e in TrainingExample.objects.all()}
    assert rows[Field.CASE_TYPE].label == str(invoice.pk)
    assert rows[Field.PRIORITY].label == "3"
    assert rows[Field.TEAM].label == str(case.team_id)
    assert rows[Field.CASE_TYPE].text == "Fel belopp på fakturan\nHej! Fakturan är fel."  # the first message
    assert (rows[Field.CASE_TYPE].source, rows[Field.CASE_TYPE].case_id) == (Source.CASE, case.pk)
    assert examples_from_solved(field=Field.CASE_TYPE) == 0  # read once
