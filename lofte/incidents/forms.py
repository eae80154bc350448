"""Forms of the incident pages and the status page's sign-up. They parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Agent, Team
from lofte.incidents.models import (
    Component,
    ComponentState,
    IncidentKind,
    IncidentStatus,
    Severity,
    SubscriberKind,
    components_in_order,
)

AFFECTING = [(value, label) for value, label in ComponentState.choices if value != ComponentState.OPERATIONAL]


class ComponentStatesMixin(forms.Form):
    """One select per component: not affected, or how badly."""

    def add_components(self, initial: dict[int, str] | None = None) -> None:
        self.component_rows = list(components_in_order())
        for component in self.component_rows:
            self.fields[f"component_{component.pk}"] = forms.ChoiceField(
                label=component.public_name(),
                required=False,
                choices=[("", _("Not affected")), *AFFECTING],
                initial=(initial or {}).get(component.pk, ""),
            )

    def component_states(self) -> dict[int, str]:
        return {
            c.pk: self.cleaned_data[f"component_{c.pk}"]
            for c in self.component_rows
            if self.cleaned_data.get(f"component_{c.pk}")
        }

    def component_fields(self) -> list[Any]:
        return [self[f"component_{c.pk}"] for c in self.component_rows]


class IncidentForm(ComponentStatesMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=IncidentKind.choices, initial=IncidentKind.INCIDENT)
    title = forms.CharField(
        label=_("Public title"), max_length=200, help_text=_("As customers read it on the status page.")
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=Severity.choices,
        initial=Severity.MAJOR,
        help_text=_("It sets how often a public update is promised."),
    )
    owner_agent = forms.ModelChoiceField(
        label=_("Owner"), queryset=Agent.objects.none(), required=False, empty_label=_("Me")
    )
    owner_team = forms.ModelChoiceField(label=_("Owning team"), queryset=Team.objects.none(), required=False)
    match_words = forms.CharField(
        label=_("Words that tie a new contact to it"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One word or phrase per line, e.g. 'bank id', 'cannot log in'."),
    )
    first_update = forms.CharField(
        label=_("First public update"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: the first update is due by the cadence, and the owner is reminded."),
    )
    scheduled_start = forms.DateTimeField(
        label=_("Maintenance starts"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    scheduled_end = forms.DateTimeField(
        label=_("Maintenance ends"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner_agent"].queryset = Agent.objects.filter(is_active=True).order_by("name", "email")  # type: ignore[attr-defined]
        self.fields["owner_team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        for code, name in settings.LANGUAGES:
            if code != settings.LANGUAGE_CODE:
                self.fields[f"title_{code}"] = forms.CharField(label=name, max_length=200, required=False)
        self.add_components()

    def titles(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"title_{code}") or ""
            for code, _name in settings.LANGUAGES
            if code != settings.LANGUAGE_CODE
        }

    def title_fields(self) -> list[Any]:
        return [self[f"title_{code}"] for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class UpdateForm(ComponentStatesMixin):
    body = forms.CharField(
        label=_("Update"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    visibility = forms.ChoiceField(
        label=_("Who sees it"),
        choices=[("public", _("Public: the status page and its subscribers")), ("internal", _("Internal note"))],
        initial="public",
        widget=forms.RadioSelect,
    )
    solve_linked = forms.BooleanField(
        label=_("When resolving, also solve the linked cases"),
        required=False,
        help_text=_("Each linked case gets this update as the final one on its own channel either way."),
    )

    def __init__(self, *args: Any, states: dict[int, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            if code != settings.LANGUAGE_CODE:
                self.fields[f"body_{code}"] = forms.CharField(
                    label=name, max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
                )
        self.add_components(states)

    def bodies(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"body_{code}") or ""
            for code, _name in settings.LANGUAGES
            if code != settings.LANGUAGE_CODE
        }

    def body_fields(self) -> list[Any]:
        return [self[f"body_{code}"] for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


class SubscribeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("By"), choices=SubscriberKind.choices, initial=SubscriberKind.EMAIL, widget=forms.RadioSelect
    )
    address = forms.CharField(
        label=_("Email address or mobile number"),
        max_length=254,
        error_messages={"required": _("Enter your email address or your mobile number.")},
    )
    components = forms.ModelMultipleChoiceField(
        label=_("Only these (none chosen: all)"),
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["components"].queryset = components_in_order()  # type: ignore[attr-defined]
        self.fields["components"].label_from_instance = lambda c: c.public_name()  # type: ignore[attr-defined]
