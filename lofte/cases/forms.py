"""Forms of the case page. They parse and validate input; the services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lofte.cases.models import Channel, Priority, Status


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
    follow_up_at = forms.DateTimeField(
        label=_("and promise to get back by"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Adds the promise, and a sentence saying so, to the reply."),
    )
    cc = forms.CharField(label=_("CC"), required=False, max_length=1000)
    bcc = forms.CharField(label=_("BCC"), required=False, max_length=1000)
    macro = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    macro_tags = forms.BooleanField(required=False)
    macro_team = forms.BooleanField(required=False)


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


class NewCaseForm(forms.Form):
    """An agent opens a case for a customer (a call, a letter, a walk-in)."""

    name = forms.CharField(label=_("Customer name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email address"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone number"), max_length=40, required=False)
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (Channel.PHONE, Channel.EMAIL, Channel.WEB, Channel.SMS, Channel.CHAT)],
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(label=_("What the customer said"), widget=forms.Textarea(attrs={"rows": 6}))
    case_type = forms.IntegerField(label=_("Case type"), required=False)
    team = forms.IntegerField(label=_("Team"), required=False)
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False, initial=True)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give the customer's email address or phone number."))
        return data


class PromiseForm(forms.Form):
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    customer_text = forms.CharField(
        label=_("What you told the customer"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MacroForm(forms.Form):
    """A macro as the macros page edits it; `scopes` and `teams` are what the agent may choose."""

    name = forms.CharField(label=_("Name"), max_length=100)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=20_000,
        strip=True,
        help_text=_(
            "Placeholders: {customer_name}, {customer_first_name}, {reference}, {subject}, {agent_name}, "
            "{agent_first_name}, {next_promise} (when the case's next pending promise is due, as the customer "
            "reads times)."
        ),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    scope = forms.ChoiceField(label=_("Who uses it"))
    team = forms.TypedChoiceField(label=_("Team"), required=False, coerce=int, empty_value=None)
    set_status = forms.ChoiceField(label=_("and set status"), required=False)
    add_tags = forms.CharField(
        label=_("Add tags"), required=False, max_length=255, help_text=_("Separate tags with commas.")
    )
    set_team = forms.TypedChoiceField(label=_("Move the case to"), required=False, coerce=int, empty_value=None)
    follow_up_hours = forms.IntegerField(
        label=_("Promise to get back within (hours)"), required=False, min_value=1, max_value=720
    )

    def __init__(
        self,
        *args: object,
        scopes: list[tuple[str, Any]],
        teams: list[tuple[int, str]],
        all_teams: list[tuple[int, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["language"].choices = [("", _("Any language")), *settings.LANGUAGES]  # type: ignore[attr-defined]
        self.fields["scope"].choices = scopes  # type: ignore[attr-defined]
        self.fields["team"].choices = [("", "-"), *teams]  # type: ignore[attr-defined]
        self.fields["set_team"].choices = [("", _("(keep)")), *all_teams]  # type: ignore[attr-defined]
        self.fields["set_status"].choices = ReplyForm.base_fields["status"].choices  # type: ignore[attr-defined]


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("Merge this case into"),
        max_length=32,
        help_text=_("The reference of another open case of the same customer; this case is closed with a link."),
    )


class SplitForm(forms.Form):
    message = forms.IntegerField(min_value=1)


class LinkForm(forms.Form):
    reference = forms.CharField(label=_("Case reference"), max_length=32)


class ForwardForm(forms.Form):
    to = forms.CharField(label=_("Forward to"), max_length=254)
    cc = forms.CharField(label=_("CC"), required=False, max_length=1000)
    note = forms.CharField(label=_("Your note above the conversation"), required=False, max_length=5000)
