from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

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
