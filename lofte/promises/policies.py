"""SLA policies: validated as a whole before anything is saved."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.core import clock
from lofte.core.choices import Channel, Priority, Status
from lofte.core.errors import ValidationFailed
from lofte.customers.models import Tier
from lofte.promises.models import SlaPolicy

TARGETS = ("first_response", "next_update", "resolution")
FIELDS = (
    "name",
    "order",
    "is_active",
    "channel",
    "priority",
    "tier",
    "case_type",
    "team",
    "first_response_minutes",
    "first_response_calendar",
    "next_update_minutes",
    "next_update_calendar",
    "resolution_minutes",
    "resolution_calendar",
    "pause_statuses",
    "wall_clock",
)
# A target longer than a year of wall-clock minutes is a typo, and its due time could overflow a date.
MAX_MINUTES = 366 * 24 * 60
PAUSABLE = (Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY)


def policy_validate(values: dict[str, Any], *, instance: SlaPolicy | None = None) -> None:
    """Raise ValidationFailed naming the first wrong field; conditions that can never match are wrong too."""
    name = str(values.get("name") or "").strip()
    if not name:
        raise ValidationFailed(_("A policy needs a name."), field="name")
    clash = SlaPolicy.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationFailed(_("A policy named '%(name)s' already exists.") % {"name": name}, field="name")
    if (channel := values.get("channel") or "") and channel not in Channel.values:
        raise ValidationFailed(
            _("'%(value)s' is not a channel; this policy could never match.") % {"value": channel}, field="channel"
        )
    if (priority := values.get("priority")) is not None and priority not in Priority.values:
        raise ValidationFailed(
            _("'%(value)s' is not a priority; this policy could never match.") % {"value": priority}, field="priority"
        )
    if (tier := values.get("tier") or "") and tier not in Tier.values:
        raise ValidationFailed(
            _("'%(value)s' is not a customer tier; this policy could never match.") % {"value": tier}, field="tier"
        )
    case_type = values.get("case_type")
    if case_type is not None and not case_type.is_active:
        raise ValidationFailed(
            _("The case type %(name)s is not active; this policy could never match.") % {"name": case_type},
            field="case_type",
        )
    if not any(values.get(f"{t}_minutes") for t in TARGETS):
        raise ValidationFailed(_("A policy needs at least one target."), field="first_response_minutes")
    for target in TARGETS:
        minutes = values.get(f"{target}_minutes")
        if minutes is not None and (not isinstance(minutes, int) or minutes <= 0 or minutes > MAX_MINUTES):
            raise ValidationFailed(
                _("A target is a positive number of minutes, at most %(max)s (a year), not '%(value)s'.")
                % {"value": minutes, "max": MAX_MINUTES},
                field=f"{target}_minutes",
            )
    if not isinstance(values.get("wall_clock", False), bool):
        raise ValidationFailed(_("Expected true or false."), field="wall_clock")
    pauses = values.get("pause_statuses", [Status.WAITING_ON_CUSTOMER])
    if not isinstance(pauses, list) or any(s not in PAUSABLE for s in pauses):
        raise ValidationFailed(
            _("Pausing statuses are some of: %(choices)s.") % {"choices": ", ".join(PAUSABLE)}, field="pause_statuses"
        )


@transaction.atomic
def policy_create(**values: Any) -> SlaPolicy:
    values.setdefault("pause_statuses", [Status.WAITING_ON_CUSTOMER])
    policy_validate(values)
    now = clock.now()
    policy = SlaPolicy.objects.create(
        **{k: v for k, v in values.items() if k in FIELDS}, created_at=now, updated_at=now
    )
    transaction.on_commit(_forget)
    _forget()
    return policy


@transaction.atomic
def policy_update(*, policy: SlaPolicy, **changes: Any) -> SlaPolicy:
    """Change a policy. Promises already made keep their times; only new promises use the new targets."""
    values = {f: getattr(policy, f) for f in FIELDS} | {k: v for k, v in changes.items() if k in FIELDS}
    policy_validate(values, instance=policy)
    for key, value in values.items():
        setattr(policy, key, value)
    policy.updated_at = clock.now()
    policy.save()
    transaction.on_commit(_forget)
    _forget()
    return policy


def _forget() -> None:
    from lofte.promises.services import policy_cache_clear

    policy_cache_clear()
