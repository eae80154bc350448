"""The classifier: learns labels from few examples in three languages, says "don't know" below its floor, leaves
out labels with too few examples, and is stored and read back as it was."""

from __future__ import annotations

import dataclasses

import pytest

from lofte.triage import classifier
from lofte.triage.classifier import Classifier, Prediction, TooLittleData, train
from lofte.triage.tests.data import LABELLED


@pytest.fixture(scope="module")
def trained() -> Classifier:
    return train([t for t, _l in LABELLED], [label for _t, label in LABELLED])


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("fakturan är för hög igen", "invoice"),
        ("laskuni on väärin", "invoice"),
        ("we are moving to a new address", "moving"),
        ("flyttar till Göteborg i maj", "moving"),
        ("kan inte logga in, glömt lösenordet", "login"),
        ("en pääse kirjautumaan", "login"),
    ],
)
def test_it_leans_to_the_right_label_in_each_language(trained, text, label):
    assert trained.predict_one(text).best == label


def test_below_the_floor_it_does_not_know(trained):
    text = "Vad tycker ni om vädret i Paris?"
    found = trained.predict_one(text)
    strict = dataclasses.replace(trained, floor=found.confidence + 0.001)
    assert strict.predict_one(text) == Prediction("", found.confidence, found.best, found.surety)
    assert found.surety == found.confidence  # without embeddings, the surety is the confidence
    assert dataclasses.replace(trained, floor=found.confidence).predict_one(text).label == found.best


def test_the_thresholds_come_from_held_back_examples(trained):
    assert trained.floor > 0 and 0 < trained.apply_at <= 1
    assert trained.held_back is not None and trained.held_back.examples == 3  # a tenth, one per label at least
    assert trained.counts == {"invoice": 12, "login": 12, "moving": 12}


def test_a_label_with_too_few_examples_is_never_suggested():
    texts = [t for t, _l in LABELLED] + ["Jag vill säga upp mitt avtal", "Cancel my contract please"]
    labels = [label for _t, label in LABELLED] + ["cancel", "cancel"]
    model = train(texts, labels)
    assert model.left_out == {"cancel": 2}
    assert "cancel" not in model.labels
    assert model.predict_one("Jag vill säga upp mitt avtal").best != "cancel"


def test_too_little_data_is_said_plainly():
    with pytest.raises(TooLittleData, match="at least two are needed"):
        train(["a b c", "d e f", "g h i"], ["x", "x", "y"])


def test_stored_and_read_back_it_answers_the_same(trained):
    again = Classifier.loads(trained.dumps())
    for text, _label in LABELLED[:5]:
        assert again.predict_one(text) == trained.predict_one(text)


def test_anything_but_a_stored_classifier_is_refused():
    import io

    import joblib

    buffer = io.BytesIO()
    joblib.dump({"not": "a model"}, buffer)
    with pytest.raises(TypeError):
        Classifier.loads(buffer.getvalue())


@pytest.mark.parametrize("text", ["", "   ", "x" * 1_000_000, "🙂" * 100, "\x00\x01"])
def test_any_text_gets_an_answer(trained, text):
    found = trained.predict_one(text)
    assert 0 <= found.confidence <= 1


def test_evaluate_counts_the_answered_and_the_right():
    graded = classifier.evaluate(["a", "b", "a", "b"], [0.9, 0.2, 0.8, 0.9], ["a", "b", "b", "b"], floor=0.5)
    assert (graded.accuracy, graded.answered, graded.answered_accuracy) == (0.75, 0.75, 0.6667)
    assert graded.per_label["a"] == {"precision": 0.5, "recall": 1.0, "f1": 0.6667}


def test_with_embeddings_the_meaning_counts_too():
    from lofte.kb import dense

    model = train([t for t, _l in LABELLED], [label for _t, label in LABELLED], embed=dense.embed_queries)
    assert model.meaning is not None
    with pytest.raises(ValueError, match="pass `embed`"):
        model.predict_one("fakturan är fel")
    # no word in common with any example: the meaning carries it
    assert model.predict_one("Betalningen för december stämmer inte", embed=dense.embed_queries).best == "invoice"
    again = Classifier.loads(model.dumps())
    text = "vi ska flytta snart"
    assert again.predict_one(text, dense.embed_queries) == model.predict_one(text, dense.embed_queries)


def test_the_meaning_is_read_for_a_sample_spread_over_the_labels(monkeypatch):
    from lofte.kb import dense

    read: list[str] = []

    def embed(texts):
        read.extend(texts)
        return dense.embed_queries(texts)

    monkeypatch.setattr(classifier, "MEANING_MAX", 9)
    model = train([t for t, _l in LABELLED], [label for _t, label in LABELLED], embed=embed)
    assert len(read) == 9 + 3  # the sample of the fitted part, and the held-back examples
    sampled = {label for text, label in LABELLED if " ".join(text.split()) in read[:9]}
    assert sampled == {"invoice", "login", "moving"}
    assert model.meaning is not None and list(model.meaning.classes_) == ["invoice", "login", "moving"]


def test_spread_takes_each_labels_in_turn():
    labels = ["a"] * 6 + ["b"] * 2 + ["c"] * 1
    assert classifier._spread(labels, list(range(9)), 5) == [0, 1, 6, 7, 8]
    assert classifier._spread(labels, list(range(9)), 20) == list(range(9))
