"""Login, logout and the agent's own settings (language, time zone, API tokens)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from lofte.accounts import throttle
from lofte.accounts.auth import request_login_attempt
from lofte.accounts.forms import EmailLoginForm, PreferencesForm, TokenForm
from lofte.accounts.models import Agent
from lofte.accounts.selectors import api_token_list_for_agent
from lofte.accounts.services import agent_update_preferences, api_token_create, api_token_revoke_by_prefix
from lofte.core.errors import DomainError, NotFound


class LoginView(auth_views.LoginView):
    """The login page. A throttled attempt (lofte.accounts.throttle) is answered 429 with the wait, in the
    reader's language, and Retry-After, before the password is looked at; so is the failure that reached a
    limit. The page is the same whether the account exists and whether the password was right. A successful
    login gives the browser a device cookie: its later attempts on this account are held only by its own
    failures."""

    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        wait = throttle.login_throttle(attempt=self._attempt())
        if wait is not None:
            return self._throttled(wait)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        wait = throttle.login_throttle(attempt=self._attempt())  # this failure may have reached a limit
        if wait is not None:
            return self._throttled(wait)
        return super().form_invalid(form)

    def form_valid(self, form: EmailLoginForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)
        response.set_cookie(
            throttle.DEVICE_COOKIE,
            throttle.device_cookie_value(username=form.cleaned_data["username"]),
            max_age=settings.LOFTE_LOGIN_DEVICE_DAYS * 86400,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
        return response

    def _attempt(self) -> throttle.LoginAttempt:
        return request_login_attempt(self.request, self.request.POST.get("username", ""))

    def _throttled(self, wait: throttle.Throttle) -> HttpResponse:
        # An unbound form: validating the bound one would try the password.
        form = self.form_class(request=self.request, initial={"username": self.request.POST.get("username", "")})
        message = ngettext(
            "Too many requests: please try again in %(minutes)d minute.",
            "Too many requests: please try again in %(minutes)d minutes.",
            wait.minutes,
        ) % {"minutes": wait.minutes}
        response = self.render_to_response(self.get_context_data(form=form, throttle_message=message), status=429)
        response["Retry-After"] = str(wait.retry_after)
        return response


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
        form = PreferencesForm(
            initial={
                "name": agent.name,
                "language": agent.language,
                "time_zone": agent.time_zone,
                "send_and_next": agent.send_and_next,
                "email_mentions": agent.email_mentions,
            }
        )
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
    except NotFound as exc:  # another agent's token, or none: the same answer
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("accounts:preferences")
