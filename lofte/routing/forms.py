from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lofte.accounts.models import Team
from lofte.cases.models import Channel
from lofte.routing.models import MAX_CAPACITY, MAX_GRACE_MINUTES, AgentStatus, RoutingMode


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Your status"), choices=AgentStatus.choices, widget=forms.RadioSelect)


class TeamRoutingForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("New cases go"),
        choices=[
            (RoutingMode.MANUAL, _("to the team's queue; agents take them (manual)")),
            (RoutingMode.ROUND_ROBIN, _("to each eligible agent in turn (round-robin)")),
            (RoutingMode.LEAST_LOADED, _("to the eligible agent with the most room (least loaded)")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Eligible: a member of the team, online, with the skills asked below and room in the channel."),
    )
    grace_minutes = forms.IntegerField(
        label=_("Grace for away agents (minutes)"),
        min_value=0,
        max_value=MAX_GRACE_MINUTES,
        initial=15,
        help_text=_("Unanswered cases of an agent away or offline this long go back through routing."),
    )
    require_language = forms.BooleanField(label=_("Agents must know the case's language"), required=False)
    require_product = forms.BooleanField(
        label=_("Agents must know the case type's product"),
        required=False,
        help_text=_("A product skill is the case type's name, e.g. product:invoice."),
    )
    require_channel = forms.BooleanField(label=_("Agents must know the case's channel"), required=False)
    require_tier = forms.BooleanField(
        label=_("Agents must have the customer's tier"),
        required=False,
        help_text=_(
            "A tier skill says which customers an agent may take: tier:a for tier A customers, tier:b, tier:c. "
            "Give your most experienced agents tier:a."
        ),
    )


class TriageForm(forms.Form):
    triage_team = forms.ModelChoiceField(
        label=_("Triage team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_('(none: the shared "no team yet" view)'),
        help_text=_("New cases without a team go to this team, and through its routing."),
    )


class AgentRoutingForm(forms.Form):
    default_capacity = forms.IntegerField(
        label=_("Open cases per channel"),
        min_value=0,
        max_value=MAX_CAPACITY,
        help_text=_("For every channel without a number of its own below."),
    )
    total_capacity = forms.IntegerField(
        label=_("Open cases in all"),
        min_value=0,
        max_value=MAX_CAPACITY,
        required=False,
        help_text=_("Empty: no limit over all channels."),
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas: language:sv, product:invoice, channel:phone, tier:a."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for value, label in Channel.choices:
            self.fields[f"capacity_{value}"] = forms.IntegerField(
                label=_("%(channel)s: open cases") % {"channel": label},
                min_value=0,
                max_value=MAX_CAPACITY,
                required=False,
            )

    def capacities(self) -> dict[str, int]:
        return {
            value: self.cleaned_data[f"capacity_{value}"]
            for value in Channel.values
            if self.cleaned_data.get(f"capacity_{value}") is not None
        }

    def skill_list(self) -> list[str]:
        text = self.cleaned_data.get("skills") or ""
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
