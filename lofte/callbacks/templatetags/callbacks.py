"""{% case_calls case %}: a case's calls and callbacks, with a form to log a call (for the case page)."""

from __future__ import annotations

from typing import Any

from django import template

from lofte.callbacks.forms import CallForm
from lofte.callbacks.selectors import callbacks_for_case, calls_for_case
from lofte.cases.models import Case

register = template.Library()


@register.inclusion_tag("callbacks/partials/_case_calls.html")
def case_calls(case: Case, can_work: bool = True) -> dict[str, Any]:
    phones = [i.value for i in case.customer.identities.all() if i.kind == "phone"]
    form = CallForm(
        initial={"case": case.reference, "number": phones[0] if phones else "", "next": f"/cases/{case.reference}/"},
        auto_id=f"call-{case.pk}-%s",
    )
    del form.fields["acknowledge"]  # only a call that opens a new case is acknowledged
    return {
        "case": case,
        "calls": calls_for_case(case=case),
        "callbacks": callbacks_for_case(case=case),
        "form": form,
        "can_work": can_work,  # a QA reviewer reads the calls but logs none
    }


@register.filter
def attempt_outcome(value: str) -> str:
    """The label of a callback attempt's outcome ("no_answer" -> "No answer"), for the timeline."""
    from lofte.callbacks.models import Outcome

    try:
        return str(Outcome(value).label)
    except ValueError:
        return value
