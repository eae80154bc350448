"""Text understanding's pages: an agent's answer to a suggestion (from the case page), and the admins' page of the
text models (per field: the models with their evaluation, training, switching on and restoring, the settings)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access
from lofte.accounts.decorators import admin_only, forbidden
from lofte.accounts.models import Agent
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, PermissionDenied
from lofte.core.htmx import back_to_case, is_htmx
from lofte.triage import selectors, services
from lofte.triage.forms import FieldSettingForm
from lofte.triage.models import Field, ModelState, TriageModel
from lofte.triage.suggest import choices, field_setting, suggestion_decide


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


@login_required
@require_POST
def decide(request: HttpRequest, suggestion_id: int) -> HttpResponse:
    """An agent confirms or corrects a suggestion on a case they see (any other is "not found")."""
    agent = _agent(request)
    try:
        suggestion = selectors.suggestion_for_agent(agent=agent, suggestion_id=suggestion_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    back = f"/cases/{suggestion.case.reference}/"
    try:
        access.require(agent, access.Perm.CASE_WORK)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    try:
        decided = suggestion_decide(agent=agent, suggestion=suggestion, answer=request.POST.get("answer", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
        return back_to_case(request, back, reload=True)
    if is_htmx(request):
        return back_to_case(request, back)  # the case, swapped in where the agent is (the inbox pane, the case page)
    if decided.answer == decided.label:
        messages.success(request, _("Thank you: Lofte learns from it."))
    else:
        messages.success(request, _("Corrected: Lofte learns from it."))
    return redirect(back)


def _field(field: str) -> str:
    if field not in Field.values:
        raise Http404(_("There is no such text model."))
    return field


@admin_only
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    fields = selectors.overview(now=clock.now())
    rows = [{"o": o, "agreement": selectors.agreement(o.decided)} for o in fields]
    return render(request, "triage/home.html", {"rows": rows})


@admin_only
@require_http_methods(["GET", "POST"])
def field(request: HttpRequest, field: str) -> HttpResponse:
    field = _field(field)
    setting = field_setting(field)
    if request.method == "POST":
        form = FieldSettingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            percent = data.get("apply_percent")
            try:
                services.field_setting_save(
                    field=field,
                    auto_apply=bool(data.get("auto_apply")),
                    apply_at=percent / 100 if percent is not None else None,
                    min_examples=data["min_examples"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Settings saved."))
                return redirect("triage:field", field=field)
    else:
        form = FieldSettingForm(initial=FieldSettingForm.initial_for(setting))
    models = selectors.field_models(field)
    names = dict(choices(field))
    rows = [
        {
            "m": m,
            "labels": [
                (names.get(label, label), m.labels.get(label), figures["precision"], figures["recall"])
                for label, figures in (m.evaluation.get("per_label") or {}).items()
            ],
            "left_out": [(names.get(label, label), n) for label, n in (m.left_out or {}).items()],
        }
        for m in models
    ]
    context = {
        "field": field,
        "field_label": Field(field).label,
        "form": form,
        "rows": rows,
        "training": any(m.state == ModelState.TRAINING for m in models),
        "examples": selectors.examples_count(field),
    }
    return render(request, "triage/field.html", context, status=200 if request.method == "GET" else 422)


@admin_only
@require_POST
def train(request: HttpRequest, field: str) -> HttpResponse:
    field = _field(field)
    try:
        model = services.model_train_start(field=field, actor=_agent(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Version %(version)d is being trained in the background; its evaluation shows here when it is done.")
            % {"version": model.version},
        )
    return redirect("triage:field", field=field)


@admin_only
@require_POST
def switch_on(request: HttpRequest, field: str, model_id: int) -> HttpResponse:
    field = _field(field)
    model = TriageModel.objects.filter(pk=model_id, field=field).only("pk", "field", "version", "state").first()
    if model is None:
        raise Http404(_("There is no such text model."))
    try:
        services.model_activate(model=model, actor=_agent(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Version %(version)d is switched on.") % {"version": model.version})
    return redirect("triage:field", field=field)


@admin_only
@require_POST
def switch_off(request: HttpRequest, field: str) -> HttpResponse:
    field = _field(field)
    services.model_deactivate(field=field)
    messages.success(request, _("Switched off: nothing is suggested for this field."))
    return redirect("triage:field", field=field)
