"""Forms for callbacks and calls. They parse input; the services check the rules and do the work."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from lofte.callbacks.models import CallDirection, CallOutcome, Outcome


class SlotField(forms.CharField):
    """An ISO 8601 time with its offset, as the slot picker sends it."""

    def to_python(self, value: object) -> datetime | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        parsed = parse_datetime(text)
        if parsed is None or parsed.tzinfo is None:
            raise forms.ValidationError(_("Choose one of the times offered."))
        return parsed


class CallbackRequestForm(forms.Form):
    """The public page: a number, a name, a slot."""

    phone = forms.CharField(label=_("Your phone number"), max_length=40)
    name = forms.CharField(label=_("Your name"), max_length=200, required=False)
    slot = SlotField(label=_("When should we call?"), error_messages={"required": _("Choose a time.")})
    team = forms.IntegerField(required=False, widget=forms.HiddenInput)


class AgentBookForm(CallbackRequestForm):
    """An agent books on a customer's behalf, maybe on an existing case."""

    phone = forms.CharField(label=_("Number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    slot = SlotField(label=_("Slot (ISO time)"))
    case = forms.CharField(label=_("Case reference"), max_length=32, required=False)


def _choose_outcome() -> str:
    return _("Choose what happened: %(choices)s.") % {"choices": ", ".join(str(label) for label in Outcome.labels)}


class AttemptForm(forms.Form):
    """What happened on a call: nothing is preselected, so an attempt is never logged as reached by default."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose what happened…")), *Outcome.choices],
        error_messages={"required": lazy(_choose_outcome, str)()},
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CallForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=CallDirection.choices, initial=CallDirection.OUT)
    number = forms.CharField(label=_("Number"), max_length=40)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices)
    duration_minutes = forms.DecimalField(
        label=_("Duration (minutes)"), required=False, min_value=0, max_value=1440, decimal_places=1
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    acknowledge = forms.BooleanField(
        label=_("The caller wants the case number and when we will get back by SMS or email"), required=False
    )
    case = forms.CharField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
