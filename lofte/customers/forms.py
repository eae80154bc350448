from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lofte.customers.models import Language, Tier


class CustomerEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    tier = forms.ChoiceField(label=_("Tier"), choices=Tier.choices)
    language = forms.ChoiceField(label=_("Language"), choices=[("", _("Unknown")), *Language.choices], required=False)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    add_email = forms.CharField(label=_("Add an email address"), max_length=254, required=False)
    add_phone = forms.CharField(label=_("Add a phone number"), max_length=40, required=False)
