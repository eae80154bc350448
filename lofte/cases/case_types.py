"""Case types: validated as a whole before anything is saved; retired rather than deleted once in use.

    case_type_create(values=...)                 -> CaseType
    case_type_update(case_type=..., values=...)  -> CaseType
    case_type_remove(case_type=...)              -> "deleted" | "deactivated"

A case type that cases, SLA policies or acknowledgement templates use is deactivated instead of deleted: its
cases keep it (reports, the timeline), a policy on it would otherwise be deleted with it (the policy's
foreign key cascades), and it leaves the pickers and the contact form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lofte.accounts.models import Team
from lofte.cases.models import AcknowledgementTemplate, Case, CaseType
from lofte.core.choices import Priority
from lofte.core.errors import ValidationFailed
from lofte.promises.models import SlaPolicy

NAME_MAX_LENGTH = 100
PUBLIC_NAME_MAX_LENGTH = 100
# A handling time or an update interval longer than a year is a typo.
MAX_DURATION = timedelta(days=366)
MAX_BREACH_NOTICE_HOURS = 24 * 31


@dataclass(frozen=True)
class CaseTypeValues:
    """Everything a case type holds that people set."""

    name: str
    description: str = ""
    default_team: Team | None = None
    default_priority: int = Priority.NORMAL
    is_complaint: bool = False
    expected_handling_time: timedelta | None = None
    update_interval: timedelta | None = None
    breach_notice: bool = False
    breach_notice_hours: int = 4
    answers_status_questions: bool = True
    is_active: bool = True
    is_public: bool = False
    public_names: dict[str, str] | None = None


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _check_duration(value: timedelta | None, field: str) -> timedelta | None:
    if value is None:
        return None
    if value <= timedelta(0) or value > MAX_DURATION:
        raise ValidationFailed(_("A time here is more than zero and at most a year."), field=field)
    return value


def case_type_validate(values: CaseTypeValues, *, instance: CaseType | None = None) -> dict[str, Any]:
    """The model's field values, normalised; raises ValidationFailed naming the first wrong field."""
    name = " ".join((values.name or "").split())
    if not name:
        raise ValidationFailed(_("A case type needs a name."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed(
            _("A case type's name can be at most %(max)s characters.") % {"max": NAME_MAX_LENGTH}, field="name"
        )
    clash = CaseType.objects.filter(name__iexact=name)
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        raise ValidationFailed(_("There is already a case type named %(name)s.") % {"name": name}, field="name")
    if values.default_priority not in Priority.values:
        raise ValidationFailed(
            _("'%(value)s' is not a priority.") % {"value": values.default_priority}, field="default_priority"
        )
    if values.default_team is not None and values.default_team.pk is None:
        raise ValidationFailed(_("Choose a saved team."), field="default_team")
    if not 1 <= values.breach_notice_hours <= MAX_BREACH_NOTICE_HOURS:
        raise ValidationFailed(
            _("The new time after a broken promise is 1 to %(max)s business hours.") % {"max": MAX_BREACH_NOTICE_HOURS},
            field="breach_notice_hours",
        )
    names: dict[str, str] = {}
    for language, text in (values.public_names or {}).items():
        if language not in _languages():
            raise ValidationFailed(
                _("'%(value)s' is not one of the site's languages.") % {"value": language}, field="public_names"
            )
        text = " ".join(str(text or "").split())
        if len(text) > PUBLIC_NAME_MAX_LENGTH:
            raise ValidationFailed(
                _("A name for customers can be at most %(max)s characters.") % {"max": PUBLIC_NAME_MAX_LENGTH},
                field=f"public_name_{language}",
            )
        if text:
            names[language] = text
    return {
        "name": name,
        "description": (values.description or "").strip(),
        "default_team": values.default_team,
        "default_priority": int(values.default_priority),
        "is_complaint": bool(values.is_complaint),
        "expected_handling_time": _check_duration(values.expected_handling_time, "expected_handling_time"),
        "update_interval": _check_duration(values.update_interval, "update_interval"),
        "breach_notice": bool(values.breach_notice),
        "breach_notice_hours": int(values.breach_notice_hours),
        "answers_status_questions": bool(values.answers_status_questions),
        "is_active": bool(values.is_active),
        "is_public": bool(values.is_public),
        "public_names": names,
    }


def _name_taken(name: str) -> ValidationFailed:
    return ValidationFailed(_("There is already a case type named %(name)s.") % {"name": name}, field="name")


@transaction.atomic
def case_type_create(*, values: CaseTypeValues) -> CaseType:
    fields = case_type_validate(values)
    try:
        with transaction.atomic():
            return CaseType.objects.create(**fields)
    except IntegrityError:
        raise _name_taken(fields["name"]) from None


@transaction.atomic
def case_type_update(*, case_type: CaseType, values: CaseTypeValues) -> CaseType:
    """Change every field; cases already made keep what they were given (team, priority, promises)."""
    row = CaseType.objects.select_for_update().get(pk=case_type.pk)
    fields = case_type_validate(values, instance=row)
    for attribute, value in fields.items():
        setattr(row, attribute, value)
    try:
        with transaction.atomic():
            row.save(update_fields=list(fields))
    except IntegrityError:
        raise _name_taken(fields["name"]) from None
    for attribute, value in fields.items():
        setattr(case_type, attribute, value)
    return case_type


def case_type_in_use(case_type: CaseType) -> bool:
    """Whether cases, SLA policies or acknowledgement templates use the case type."""
    return (
        Case.objects.filter(case_type=case_type).exists()
        or SlaPolicy.objects.filter(case_type=case_type).exists()
        or AcknowledgementTemplate.objects.filter(case_type=case_type).exists()
    )


@transaction.atomic
def case_type_remove(*, case_type: CaseType) -> Literal["deleted", "deactivated"]:
    """Delete an unused case type; deactivate one that is in use (see the module docstring)."""
    row = CaseType.objects.select_for_update().get(pk=case_type.pk)
    if case_type_in_use(row):
        if row.is_active:
            row.is_active = False
            row.save(update_fields=["is_active"])
        case_type.is_active = False
        return "deactivated"
    row.delete()
    return "deleted"
