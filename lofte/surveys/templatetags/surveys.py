from django import template
from django.utils.translation import gettext as _

from lofte.surveys.models import SCORES, Reason, Survey, SurveyKind

register = template.Library()


@register.filter
def reason_label(value: str) -> str:
    """A reason's label in the reader's language (what the timeline stored is its value)."""
    return str(dict(Reason.choices).get(value, value))


@register.filter
def survey_answer(survey: Survey) -> str:
    """An answer in a few words, in the reader's language: "Good; we helped", "4 of 7", "9 of 10"."""
    if survey.score is None:
        return ""
    if survey.kind == SurveyKind.CSAT:
        words = [str(_("Good")) if survey.score else str(_("Not good"))]
    else:
        high = SCORES[survey.kind][1]
        words = [str(_("%(score)s of %(high)s") % {"score": survey.score, "high": high})]
    if survey.helped is not None:
        words.append(str(_("we helped")) if survey.helped else str(_("we did not help")))
    if survey.reason:
        words.append(reason_label(survey.reason))
    return "; ".join(words)
