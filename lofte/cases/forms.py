"""Forms of the case page. They parse and validate input; the services do the work."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lofte.cases.models import Priority, Status


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 5}), strip=True)
    status = forms.ChoiceField(
        label=_("and set status"),
        required=False,
        choices=[
            ("", _("(keep)")),
            (Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_CUSTOMER.label),
            (Status.WAITING_ON_THIRD_PARTY, Status.WAITING_ON_THIRD_PARTY.label),
            (Status.SOLVED, Status.SOLVED.label),
        ],
    )
    attachments = forms.FileField(
        label=_("Attachments"), required=False, widget=forms.ClearableFileInput(attrs={"allow_multiple_selected": True})
    )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 3}), strip=True)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)


class PropertiesForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    team = forms.IntegerField(label=_("Team"), required=False)
    assignee = forms.IntegerField(label=_("Assignee"), required=False)
    case_type = forms.IntegerField(label=_("Case type"), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separate tags with commas."))

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class AssignForm(forms.Form):
    assignee = forms.CharField(label=_("Assignee"), required=False, help_text=_("An agent id, 'me', or empty."))
