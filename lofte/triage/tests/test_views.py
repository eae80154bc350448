"""The admins' text-model pages: every field with its switched-on version and figures; a field's versions, its
settings (checked, saved), training started in the background, a version switched on, an earlier one restored,
switched off."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from lofte.accounts.models import Role
from lofte.accounts.tests.factories import AgentFactory
from lofte.triage.models import Field, FieldSetting, ModelState, TriageModel

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(AgentFactory(email="root@example.se", role=Role.ADMIN, language="en"))
    return client


def _model(field: str, version: int, **kwargs) -> TriageModel:
    return TriageModel.objects.create(field=field, version=version, state=ModelState.READY, artifact=b"-", **kwargs)


def test_the_overview_names_every_field_and_what_is_switched_on(admin_client):
    _model(
        Field.COMPLAINT,
        1,
        is_active=True,
        evaluation={"examples": 40, "accuracy": 0.9, "answered": 0.95, "answered_accuracy": 0.973, "per_label": {}},
    )
    html = admin_client.get("/configure/text-models/").content.decode()
    for label in ("Case type", "Team", "Priority", "Complaint", "Status question"):
        assert f">{label}</a>" in html
    assert html.count("none: nothing is suggested") == 4
    assert "version 1" in html and "97 %" in html


def test_a_fields_page_shows_its_versions_with_their_figures_per_label(admin_client):
    _model(
        Field.COMPLAINT,
        1,
        labels={"complaint": 120, "other": 130},
        left_out={"rude": 3},
        evaluation={
            "examples": 25,
            "accuracy": 0.92,
            "macro_f1": 0.9,
            "answered": 0.96,
            "answered_accuracy": 0.95,
            "per_label": {"complaint": {"precision": 0.91, "recall": 0.88, "f1": 0.89}},
        },
        apply_at=0.87,
    )
    TriageModel.objects.create(field=Field.COMPLAINT, version=2, state=ModelState.FAILED, error="TooLittleData")
    html = admin_client.get("/configure/text-models/complaint/").content.decode()
    assert 'data-model="1"' in html and 'data-model="2"' in html
    assert 'A complaint</td><td class="num">120</td>' in html  # the label's name, its examples
    assert "91 %" in html and "88 %" in html and "87 %" in html
    assert "rude (3)" in html and "TooLittleData" in html
    assert "Switch on" in html  # version 1 is ready and off


def test_an_unknown_field_is_not_found(admin_client):
    assert admin_client.get("/configure/text-models/mood/").status_code == 404
    assert admin_client.post("/configure/text-models/mood/train").status_code == 404


def test_settings_are_checked_and_saved(admin_client):
    response = admin_client.post("/configure/text-models/team/", {"apply_percent": "20", "min_examples": "1"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "50" in html and "2" in html  # the limits, beside the fields
    assert not FieldSetting.objects.exists()
    response = admin_client.post("/configure/text-models/team/", {"apply_percent": "90", "min_examples": "12"})
    assert response.status_code == 302
    setting = FieldSetting.objects.get()
    assert (setting.field, setting.auto_apply, setting.apply_at, setting.min_examples) == ("team", False, 0.9, 12)
    admin_client.post("/configure/text-models/team/", {"auto_apply": "on", "apply_percent": "", "min_examples": "5"})
    setting.refresh_from_db()
    assert (setting.auto_apply, setting.apply_at) == (True, None)


def test_training_is_started_in_the_background_once(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/configure/text-models/case_type/train")
    assert response.status_code == 302
    model = TriageModel.objects.get()
    assert (model.field, model.version, model.state) == ("case_type", 1, ModelState.TRAINING)
    assert DBTaskResult.objects.filter(task_path__endswith="triage_train").count() == 1
    page = admin_client.get("/configure/text-models/case_type/").content.decode()
    assert 'hx-trigger="every 3s"' in page  # the progress follows by itself
    admin_client.post("/configure/text-models/case_type/train")  # a second while the first trains: refused
    assert TriageModel.objects.count() == 1


def test_switching_on_restores_an_earlier_version_and_off_stops_suggesting(admin_client):
    old, new = _model(Field.TEAM, 1), _model(Field.TEAM, 2, is_active=True)
    assert admin_client.post(f"/configure/text-models/team/models/{old.pk}/switch-on").status_code == 302
    assert list(TriageModel.objects.filter(is_active=True)) == [old]
    # a version of another field is not found under this one
    other = _model(Field.PRIORITY, 1)
    assert admin_client.post(f"/configure/text-models/team/models/{other.pk}/switch-on").status_code == 404
    admin_client.post("/configure/text-models/team/switch-off")
    assert not TriageModel.objects.filter(is_active=True).exists()
    new.refresh_from_db()
    assert not new.is_active
