"""Login, logout and the agent's own settings (language, time zone, API tokens)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lofte.accounts.forms import EmailLoginForm, PreferencesForm, TokenForm
from lofte.accounts.models import Agent
from lofte.accounts.selectors import api_token_list_for_agent
from lofte.accounts.services import agent_update_preferences, api_token_create, api_token_revoke_by_prefix
from lofte.core.errors import DomainError


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    agent: Agent = request.user  # type: ignore[assignment]
    new_secret = None
    if request.method == "POST" and request.POST.get("form") == "preferences":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            agent_update_preferences(agent=agent, **form.cleaned_data)
            messages.success(request, _("Your settings are saved."))
            return redirect("accounts:preferences")
    else:
        form = PreferencesForm(initial={"name": agent.name, "language": agent.language, "time_zone": agent.time_zone})
    token_form = TokenForm()
    if request.method == "POST" and request.POST.get("form") == "token":
        token_form = TokenForm(request.POST)
        if token_form.is_valid():
            new_secret = api_token_create(agent=agent, name=token_form.cleaned_data["name"]).secret
            token_form = TokenForm()
    context = {
        "form": form,
        "token_form": token_form,
        "tokens": api_token_list_for_agent(agent=agent),
        "new_secret": new_secret,
    }
    return render(request, "accounts/preferences.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    try:
        api_token_revoke_by_prefix(prefix=prefix, agent=request.user)  # type: ignore[arg-type]
        messages.success(request, _("The token %(prefix)s is revoked.") % {"prefix": prefix})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:preferences")
