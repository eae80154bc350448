from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lofte.core.validation import time_zones
from lofte.customers.models import Language, Tier


def _zone_choices() -> list[tuple[str, object]]:
    zones = sorted(z for z in time_zones() if "/" in z and not z.startswith("Etc/"))
    return [("", _("The site's")), *((z, z) for z in zones)]


class CustomerEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Unknown")), *Language.choices], required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=_zone_choices, required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    add_email = forms.CharField(label=_("Add an email address"), max_length=254, required=False)
    add_phone = forms.CharField(label=_("Add a phone number"), max_length=40, required=False)
    churned_at = forms.DateField(
        label=_("Left us on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("A customer who has left (churned); empty while they are a customer."),
    )
    churn_reason = forms.CharField(label=_("Why they left"), max_length=200, required=False)
