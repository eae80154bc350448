from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from lofte.triage.models import FieldSetting


class FieldSettingForm(forms.Form):
    auto_apply = forms.BooleanField(
        label=gettext_lazy("Apply suggestions by themselves"),
        required=False,
        help_text=gettext_lazy("Off: every suggestion waits for an agent, however sure the model is."),
    )
    apply_percent = forms.IntegerField(
        label=gettext_lazy("Apply from confidence (%)"),
        required=False,
        min_value=50,
        max_value=100,
        help_text=gettext_lazy("Empty: the confidence the model chose on its held-back examples."),
    )
    min_examples = forms.IntegerField(
        label=gettext_lazy("Examples a label needs"),
        min_value=2,
        max_value=1000,
        help_text=gettext_lazy("A label with fewer examples is not learned and never suggested."),
    )

    @staticmethod
    def initial_for(setting: FieldSetting) -> dict[str, object]:
        return {
            "auto_apply": setting.auto_apply,
            "apply_percent": round(setting.apply_at * 100) if setting.apply_at is not None else None,
            "min_examples": setting.min_examples,
        }
