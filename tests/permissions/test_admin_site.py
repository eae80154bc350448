"""The Django admin site (/admin/): admins only, by role. Every other actor, anonymous included, is sent to the
admin site's login page from every registered model's pages, and a POST there changes nothing."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.permissions import snapshot
from tests.permissions.world import ACTORS, ADMIN, World

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)


def admin_urls(model: type) -> tuple[str, str]:
    info = (model._meta.app_label, model._meta.model_name)
    return reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))


def test_the_matrix_knows_the_admin_site_has_models() -> None:
    labels = {m._meta.label for m in MODELS}
    assert {"cases.Case", "accounts.Agent", "promises.SlaPolicy", "lofte_channels.Mailbox"} <= labels


@pytest.mark.parametrize("actor", ACTORS)
def test_every_admin_page_is_for_admins_only(w: World, actor: str) -> None:
    client = w.client(actor)
    for model in MODELS:
        changelist, _add = admin_urls(model)
        response = client.get(changelist)
        if actor == ADMIN:
            assert response.status_code == 200, changelist
        else:
            assert response.status_code == 302, (actor, changelist)
            assert response["Location"].startswith("/admin/login/?next="), (actor, changelist)


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != ADMIN])
def test_a_post_to_the_admin_site_changes_nothing_for_non_admins(w: World, actor: str) -> None:
    client = w.client(actor)
    before = snapshot.take()
    for model in MODELS:
        _changelist, add = admin_urls(model)
        response = client.post(add, {"name": "Injected", "email": "injected@example.com"})
        assert response.status_code == 302, (actor, add)
        assert response["Location"].startswith("/admin/login/?next="), (actor, add)
    assert snapshot.changed(before, snapshot.take()) == []
