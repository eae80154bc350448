"""Forms of the customer portal. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LinkRequestForm(forms.Form):
    address = forms.CharField(
        label=_("Your email address or phone number"),
        max_length=254,
        error_messages={"required": _("Enter your email address or your phone number.")},
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email", "autofocus": True}),
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=True,
        error_messages={"required": _("Write your message.")},
    )
