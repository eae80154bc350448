"""Writes of the webhook-source settings page: create and change a source. Its secret is Lofte's to make
(models.new_webhook_secret) and to replace (services.webhook_source_new_secret): nobody types one in."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases.models import CaseType
from lofte.channels.webhooks.models import MAX_SOURCE_NAME, WebhookSource
from lofte.channels.webhooks.services import webhook_source_new_secret
from lofte.core.errors import ValidationFailed

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_DISPLAY_NAME = 100


def _clean_name(name: str, *, source: WebhookSource | None) -> str:
    name = (name or "").strip().lower()
    if not name:
        raise ValidationFailed(_("A webhook source needs a name; it is part of the address it posts to."), field="name")
    if len(name) > MAX_SOURCE_NAME or not _NAME.match(name):
        raise ValidationFailed(
            _(
                "Use at most %(max)d lower-case letters, digits, hyphens and underscores, starting with a letter "
                "or digit (it is part of the address)."
            )
            % {"max": MAX_SOURCE_NAME},
            field="name",
        )
    clash = WebhookSource.objects.filter(name=name)
    if source is not None:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        raise ValidationFailed(_("A webhook source named '%(name)s' already exists.") % {"name": name}, field="name")
    return name


def _clean_display_name(display_name: str) -> str:
    display_name = " ".join((display_name or "").split())
    if len(display_name) > MAX_DISPLAY_NAME:
        raise ValidationFailed(
            _("The display name is at most %(max)d characters.") % {"max": MAX_DISPLAY_NAME}, field="display_name"
        )
    return display_name


def _save(source: WebhookSource, *, created: bool) -> WebhookSource:
    try:
        with transaction.atomic():
            if created:
                source.save()
            else:
                source.save(update_fields=["name", "display_name", "team", "case_type", "is_active"])
    except IntegrityError as exc:  # the same name saved a moment ago by another admin
        raise ValidationFailed(
            _("A webhook source named '%(name)s' already exists.") % {"name": source.name}, field="name"
        ) from exc
    return source


@transaction.atomic
def webhook_source_create(
    *,
    actor: Agent,
    name: str,
    display_name: str = "",
    team: Team | None = None,
    case_type: CaseType | None = None,
    is_active: bool = True,
) -> WebhookSource:
    """A new source with a fresh secret (shown to the admin once, by the page that created it)."""
    access.require(actor, access.Perm.CONFIGURE)
    source = WebhookSource(
        name=_clean_name(name, source=None),
        display_name=_clean_display_name(display_name),
        team=team,
        case_type=case_type,
        is_active=is_active,
    )
    return _save(source, created=True)


@transaction.atomic
def webhook_source_rotate(*, actor: Agent, source: WebhookSource) -> WebhookSource:
    """A new secret for the source (shown once): requests signed with the old one are refused from now on."""
    access.require(actor, access.Perm.CONFIGURE)
    return webhook_source_new_secret(source=source)


@transaction.atomic
def webhook_source_update(
    *,
    actor: Agent,
    source: WebhookSource,
    name: str,
    display_name: str = "",
    team: Team | None = None,
    case_type: CaseType | None = None,
    is_active: bool = True,
) -> WebhookSource:
    """Change a source; its secret stays (webhook_source_new_secret replaces it). A new name is a new address:
    the sender must post to it from now on."""
    access.require(actor, access.Perm.CONFIGURE)
    source.name = _clean_name(name, source=source)
    source.display_name = _clean_display_name(display_name)
    source.team, source.case_type, source.is_active = team, case_type, is_active
    return _save(source, created=False)
