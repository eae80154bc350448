from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Agent, Role, Team
from lofte.cases.models import CaseType
from lofte.channels.webhooks.models import WebhookSource
from lofte.promises.models import BusinessCalendar


class TeamSettingsForm(forms.Form):
    email = forms.EmailField(
        label=_("Reply address"),
        required=False,
        help_text=_("Replies to this team's cases are sent from this address (empty: the mailbox's or the site's)."),
    )
    callbacks_offered = forms.BooleanField(label=_("Customers can book callbacks with this team"), required=False)
    per_slot = forms.IntegerField(label=_("Callbacks per slot"), min_value=1, max_value=100, initial=2)
    slot_minutes = forms.IntegerField(label=_("Slot length (minutes)"), min_value=5, max_value=240, initial=15)
    calendar = forms.ModelChoiceField(
        label=_("Business hours"),
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label=_("(none)"),
        help_text=_(
            "The team's opening hours: times told to its customers (acknowledgements, new times after a missed "
            "one) and callback slots fall inside them, unless an SLA policy says wall-clock on purpose."
        ),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("callbacks_offered") and data.get("calendar") is None:
            self.add_error("calendar", _("Callbacks need business hours to offer slots in."))
        return data


# --- teams and members ---------------------------------------------------------------------------------------


class TeamNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class MemberAddForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=Agent.objects.none(), empty_label=_("Choose an agent"))

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["agent"]
        field.queryset = Agent.objects.filter(is_active=True).exclude(teams=team).order_by("name", "email")


# --- agents ------------------------------------------------------------------------------------------------------


def _time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [("", str(_("Site default (%s)") % settings.TIME_ZONE)), *[(z, z) for z in zones]]


class AgentForm(forms.Form):
    """An agent's name, role, teams, language and time zone; the email address only when the agent is new (it
    is how they log in, and the invitation goes to it)."""

    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("Email address"), help_text=_("They log in with it; the invitation goes to it."))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.AGENT)
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They see and work the cases of their teams."),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(self, *args: Any, new: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not new:
            del self.fields["email"]
        language: Any = self.fields["language"]
        language.choices = [("", _("Browser's language")), *settings.LANGUAGES]
        time_zone: Any = self.fields["time_zone"]
        time_zone.choices = _time_zone_choices()

    @staticmethod
    def initial_for(agent: Agent) -> dict[str, Any]:
        return {
            "name": agent.name,
            "role": agent.role,
            "teams": list(agent.teams.all()),
            "language": agent.language,
            "time_zone": agent.time_zone,
        }


# --- acknowledgement templates -----------------------------------------------------------------------------------


class AckTemplateForm(forms.Form):
    case_type = forms.ModelChoiceField(
        label=_("Case type"),
        queryset=CaseType.objects.order_by("name"),
        required=False,
        empty_label=_("Default: every case type without a template of its own"),
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 10}),
        strip=False,
        help_text=_("Placeholders in braces are filled in for each case; write {{ and }} for a literal brace."),
    )


class NoticeTemplateForm(forms.Form):
    # not required: an empty text is refused by the service, with what to do instead
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        required=False,
        help_text=_("Placeholders in braces are filled in for each customer; write {{ and }} for a literal brace."),
    )


# --- webhook sources ---------------------------------------------------------------------------------------------


class WebhookSourceForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=40,
        help_text=_("Lower-case letters, digits, hyphens and underscores: the last part of the address it posts to."),
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=100,
        required=False,
        help_text=_("Shown with each message on the case (the name when empty)."),
    )
    team = forms.ModelChoiceField(
        label=_("Team for new cases"), queryset=Team.objects.order_by("name"), required=False, empty_label=_("(none)")
    )
    case_type = forms.ModelChoiceField(
        label=_("Case type for new cases"),
        queryset=CaseType.objects.filter(is_active=True).order_by("name"),
        required=False,
        empty_label=_("(none)"),
    )
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("An inactive source's requests are refused.")
    )

    def __init__(self, *args: Any, source: WebhookSource | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if source is not None and source.case_type_id is not None:  # a deactivated type it has stays choosable
            field: Any = self.fields["case_type"]
            field.queryset = CaseType.objects.filter(Q(is_active=True) | Q(pk=source.case_type_id)).order_by("name")

    @staticmethod
    def initial_for(source: WebhookSource) -> dict[str, Any]:
        return {
            "name": source.name,
            "display_name": source.display_name,
            "team": source.team_id,
            "case_type": source.case_type_id,
            "is_active": source.is_active,
        }
