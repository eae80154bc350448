from __future__ import annotations

import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email address"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class PreferencesForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)
    send_and_next = forms.BooleanField(
        label=_("Open the next case after a reply"),
        required=False,
        help_text=_("In the inbox's case pane: after you send a reply, the next case of the list opens."),
    )
    email_mentions = forms.BooleanField(
        label=_("Email me when I am mentioned"),
        required=False,
        help_text=_("A colleague's @mention in a note is always in your notifications; this also emails it."),
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Browser's language")), *settings.LANGUAGES]  # type: ignore[attr-defined]
        zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/"))
        default = ("", _("Site default (%s)") % settings.TIME_ZONE)
        self.fields["time_zone"].choices = [default, *[(z, z) for z in zones]]  # type: ignore[attr-defined]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("What is the token for?"), max_length=100, required=False)
