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


class NewCaseForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=200,
        strip=True,
        error_messages={"required": _("Write a subject: a few words on what it is about.")},
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    body = forms.CharField(
        label=_("Your message"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        strip=True,
        error_messages={"required": _("Write your message: what happened, and what you would like us to do.")},
    )
    complaint = forms.BooleanField(
        label=_("I want to make a complaint"),
        required=False,
        help_text=_("A complaint is registered and handled by a set time, and we tell you when."),
    )
