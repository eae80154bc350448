"""Settings pages for team leads and admins: teams and their members, agents and roles, acknowledgement templates,
the texts of the notices Lofte sends customers, webhook sources, and the page where an agent chooses their password.

A team's settings and members are its leads' and the admins' (lofte.accounts.access.require_team); everything
else here is an admin's (Perm.CONFIGURE): everyone else gets 403 with the reason, before anything is looked up.
Thin: each write is a service (lofte.accounts.staff, lofte.teams.services, lofte.channels.webhooks.settings_services,
and each team setting its app's), each error is put beside the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lofte.accounts import access, staff
from lofte.accounts.decorators import admin_only, forbidden
from lofte.accounts.models import Agent, Team
from lofte.accounts.services import team_update
from lofte.callbacks.models import CallbackCapacity
from lofte.callbacks.services import callback_capacity_set
from lofte.cases import acknowledgements, notices
from lofte.cases.models import AcknowledgementTemplate, NoticeKind
from lofte.channels.webhooks import settings_services as webhooks
from lofte.channels.webhooks.models import WebhookSource
from lofte.channels.webhooks.services import SIGNATURE_HEADER, TIMESTAMP_HEADER
from lofte.core import clock
from lofte.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from lofte.core.htmx import is_htmx
from lofte.promises.calendars import team_calendar_set
from lofte.promises.selectors import team_calendar
from lofte.teams import services
from lofte.teams.forms import (
    AckTemplateForm,
    AgentForm,
    MemberAddForm,
    NoticeTemplateForm,
    TeamNameForm,
    TeamSettingsForm,
    WebhookSourceForm,
)

AGENTS_PER_PAGE = 50


def _agent(request: HttpRequest) -> Agent:
    return request.user  # type: ignore[return-value]


def apply_error(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's error beside the field it names (or above the form)."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- teams -------------------------------------------------------------------------------------------------------


@login_required
@require_GET
def team_list(request: HttpRequest) -> HttpResponse:
    """The teams whose settings the reader may change (a lead's own, every team for an admin)."""
    agent = _agent(request)
    counted = Team.objects.order_by("name").annotate(members=Count("agents", filter=Q(agents__is_active=True)))
    teams = access.managed_teams(agent, counted)
    capacities = {c.team_id: c for c in CallbackCapacity.objects.filter(team__in=teams).select_related("calendar")}
    rows = [{"team": t, "capacity": capacities.get(t.pk)} for t in teams]
    context = {"rows": rows, "can_configure": access.can(agent, access.Perm.CONFIGURE)}
    return render(request, "teams/team_list.html", context)


@admin_only
@require_http_methods(["GET", "POST"])
def team_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = TeamNameForm(request.POST)
        if form.is_valid():
            try:
                team = staff.staff_team_create(actor=_agent(request), name=form.cleaned_data["name"])
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The team %(team)s is created.") % {"team": team.name})
                return redirect("teams:settings", team_id=team.pk)
        status = 422
    else:
        form = TeamNameForm()
    return render(request, "teams/team_new.html", {"form": form}, status=status)


def _team(agent: Agent, team_id: int) -> Team:
    """The team, if the agent may change its settings: 404 for no such team, 403 (with the reason) for a team
    that is not theirs to change (every agent sees the teams' names, in the inbox's filters and the API)."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404(_("Team not found."))
    access.require_team(agent, team.pk)
    return team


def _initial(team: Team) -> dict[str, Any]:
    capacity = CallbackCapacity.objects.filter(team=team).select_related("calendar").first()
    hours = team_calendar(team_id=team.pk) or (capacity.calendar if capacity else None)
    return {
        "email": team.email,
        "callbacks_offered": capacity.is_active if capacity else False,
        "per_slot": capacity.per_slot if capacity else 2,
        "slot_minutes": capacity.slot_minutes if capacity else 15,
        "calendar": hours,
    }


def _render_team(request: HttpRequest, team: Team, *, status: int = 200, **forms_: Any) -> HttpResponse:
    """The team's page: its settings, its members (role, language, status) and, for admins, its name."""
    agent = _agent(request)
    is_admin = access.can(agent, access.Perm.CONFIGURE)
    members = list(team.agents.order_by("-is_active", "name", "email"))  # type: ignore[attr-defined]
    languages = dict(settings.LANGUAGES)
    context = {
        "team": team,
        "form": forms_.get("form") or TeamSettingsForm(initial=_initial(team)),
        "member_form": forms_.get("member_form") or MemberAddForm(team=team),
        "member_error": forms_.get("member_error", ""),
        "members": [{"agent": m, "language": languages.get(m.language, "")} for m in members],
        "is_admin": is_admin,
    }
    if is_admin:
        context["name_form"] = forms_.get("name_form") or TeamNameForm(initial={"name": team.name})
        context["delete_blockers"] = services.team_delete_blockers(team=team)
        context["delete_error"] = forms_.get("delete_error", "")
    return render(request, "teams/team_settings.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    if request.method != "POST":
        return _render_team(request, team)
    form = TeamSettingsForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                team_update(team=team, email=data["email"] or "")
                team_calendar_set(team=team, calendar=data["calendar"])
                if data["calendar"] is not None:
                    callback_capacity_set(
                        team=team,
                        per_slot=data["per_slot"],
                        slot_minutes=data["slot_minutes"],
                        calendar=data["calendar"],
                        is_active=data["callbacks_offered"],
                    )
                else:
                    CallbackCapacity.objects.filter(team=team).update(is_active=False)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The settings of %(team)s are saved.") % {"team": team.name})
            return redirect("teams:settings", team_id=team.pk)
    return _render_team(request, team, form=form, status=422)


@login_required
@require_POST
def team_rename(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        access.require(agent, access.Perm.CONFIGURE)
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    form = TeamNameForm(request.POST)
    if form.is_valid():
        try:
            staff.staff_team_rename(actor=agent, team=team, name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The team is renamed %(team)s.") % {"team": team.name})
            return redirect("teams:settings", team_id=team.pk)
    team.refresh_from_db()
    return _render_team(request, team, name_form=form, status=422)


@login_required
@require_POST
def team_delete(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        access.require(agent, access.Perm.CONFIGURE)
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    name = team.name
    try:
        services.team_delete(actor=agent, team=team)
    except ValidationFailed as exc:
        return _render_team(request, team, delete_error=exc.message, status=422)
    messages.success(request, _("The team %(team)s is deleted.") % {"team": name})
    return redirect("teams:list")


@login_required
@require_POST
def team_member_add(request: HttpRequest, team_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    form = MemberAddForm(request.POST, team=team)
    if form.is_valid():
        member = form.cleaned_data["agent"]
        try:
            staff.staff_team_member_add(actor=agent, team=team, agent=member)
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("%(name)s is now a member of %(team)s.") % {"name": member, "team": team.name})
            return redirect("teams:settings", team_id=team.pk)
    return _render_team(request, team, member_form=form, status=422)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, team_id: int, agent_id: int) -> HttpResponse:
    agent = _agent(request)
    try:
        team = _team(agent, team_id)
    except PermissionDenied as exc:
        return forbidden(request, exc)
    member = team.agents.filter(pk=agent_id).first()  # type: ignore[attr-defined]
    if member is None:
        raise Http404(_("No such member of this team."))
    try:
        staff.staff_team_member_remove(actor=agent, team=team, agent=member)
    except ValidationFailed as exc:
        return _render_team(request, team, member_error=exc.message, status=422)
    messages.success(request, _("%(name)s is no longer a member of %(team)s.") % {"name": member, "team": team.name})
    if member.pk == agent.pk and not access.is_admin(agent):  # no longer theirs to manage
        return redirect("teams:list")
    return redirect("teams:settings", team_id=team.pk)


# --- agents ------------------------------------------------------------------------------------------------------


@admin_only
@require_GET
def agent_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    status = request.GET.get("status", "active")
    if status not in ("active", "inactive", "all"):
        status = "active"
    agents = Agent.objects.order_by("name", "email").prefetch_related(Prefetch("teams", Team.objects.order_by("name")))
    if status != "all":
        agents = agents.filter(is_active=status == "active")
    if q:
        agents = agents.filter(Q(name__icontains=q) | Q(email__icontains=q))
    page = Paginator(agents, AGENTS_PER_PAGE).get_page(request.GET.get("page"))
    languages = dict(settings.LANGUAGES)
    rows = [{"agent": a, "language": languages.get(a.language, "")} for a in page.object_list]
    query = {"q": q, "status": status}
    context = {"rows": rows, "page": page, "q": q, "status": status, "query": query}
    return render(request, "teams/agent_list.html", context)


def _agent_values(form: AgentForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "role": data["role"],
        "teams": list(data["teams"]),
        "language": data["language"] or "",
        "time_zone": data["time_zone"] or "",
    }


@admin_only
@require_http_methods(["GET", "POST"])
def agent_new(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = AgentForm(request.POST, new=True)
        if form.is_valid():
            try:
                agent = services.agent_create_and_invite(
                    actor=_agent(request), email=form.cleaned_data["email"], **_agent_values(form)
                )
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(name)s is added; an email with a link to choose a password is on its way to %(email)s.")
                    % {"name": agent, "email": agent.email},
                )
                return redirect("teams:agent", agent_id=agent.pk)
        status = 422
    else:
        form = AgentForm(new=True)
    return render(request, "teams/agent_edit.html", {"form": form, "subject": None}, status=status)


def _subject(agent_id: int) -> Agent:
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise Http404(_("Agent not found."))
    return agent


def _render_agent(
    request: HttpRequest, subject: Agent, form: AgentForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"form": form, "subject": subject, "error": error, "is_self": subject.pk == request.user.pk}
    return render(request, "teams/agent_edit.html", context, status=status)


@admin_only
@require_http_methods(["GET", "POST"])
def agent_edit(request: HttpRequest, agent_id: int) -> HttpResponse:
    subject = _subject(agent_id)
    if request.method != "POST":
        return _render_agent(request, subject, AgentForm(initial=AgentForm.initial_for(subject), new=False))
    form = AgentForm(request.POST, new=False)
    if form.is_valid():
        try:
            staff.staff_agent_update(actor=_agent(request), agent=subject, **_agent_values(form))
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("The settings of %(name)s are saved.") % {"name": subject})
            return redirect("teams:agent", agent_id=subject.pk)
    subject.refresh_from_db()
    return _render_agent(request, subject, form, status=422)


def _agent_action(
    request: HttpRequest, agent_id: int, action: Callable[[Agent, Agent], Any], done: str
) -> HttpResponse:
    subject = _subject(agent_id)
    try:
        action(_agent(request), subject)
    except ValidationFailed as exc:
        subject.refresh_from_db()
        form = AgentForm(initial=AgentForm.initial_for(subject), new=False)
        return _render_agent(request, subject, form, status=422, error=exc.message)
    messages.success(request, done % {"name": subject})
    return redirect("teams:agent", agent_id=subject.pk)


@admin_only
@require_POST
def agent_deactivate(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_action(
        request,
        agent_id,
        lambda actor, agent: staff.staff_agent_deactivate(actor=actor, agent=agent),
        _("%(name)s is deactivated: they can no longer log in."),
    )


@admin_only
@require_POST
def agent_reactivate(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_action(
        request,
        agent_id,
        lambda actor, agent: staff.staff_agent_reactivate(actor=actor, agent=agent),
        _("%(name)s is active again and can log in."),
    )


@admin_only
@require_POST
def agent_invite(request: HttpRequest, agent_id: int) -> HttpResponse:
    return _agent_action(
        request,
        agent_id,
        lambda actor, agent: services.agent_invite_again(actor=actor, agent=agent),
        _("A new link to choose a password is on its way to %(name)s."),
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The page of the invitation's link: the agent chooses their password (Django's token: it works once, and
    only for PASSWORD_RESET_TIMEOUT). Then they log in."""

    template_name = "teams/set_password.html"
    reset_url_token = "set-password"  # noqa: S105 - the name of the step, not a secret
    success_url = reverse_lazy("accounts:login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is set. Log in with your email address and it."))
        return response


set_password = SetPasswordView.as_view()


# --- acknowledgement templates -------------------------------------------------------------------------------------


@admin_only
@require_GET
def ack_list(request: HttpRequest) -> HttpResponse:
    templates = AcknowledgementTemplate.objects.select_related("case_type").order_by("case_type__name", "language")
    languages = dict(settings.LANGUAGES)
    rows = [{"template": t, "language": languages.get(t.language, t.language)} for t in templates]
    return render(request, "teams/ack_list.html", {"rows": rows})


def _ack_preview(form: AckTemplateForm) -> dict[str, Any]:
    """The text filled with sample values, or what is wrong with its placeholders; nothing is saved."""
    body = form.data.get("body", "") if form.is_bound else form.initial.get("body", "")
    language = (form.data.get("language") if form.is_bound else form.initial.get("language")) or "en"
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    body = (body or "").replace("\r\n", "\n").strip()
    if problems := acknowledgements.template_check(body):
        return {"preview": "", "preview_problems": problems}
    try:
        text = acknowledgements.preview(body=body, language=language, now=clock.now())
    except ValidationFailed as exc:
        return {"preview": "", "preview_problems": [exc.message]}
    return {"preview": text, "preview_problems": [], "preview_default": not body}


def _ack_template(template_id: int) -> AcknowledgementTemplate:
    template = AcknowledgementTemplate.objects.select_related("case_type").filter(pk=template_id).first()
    if template is None:
        raise Http404(_("Template not found."))
    return template


@admin_only
@require_http_methods(["GET", "POST"])
def ack_edit(request: HttpRequest, template_id: int | None = None) -> HttpResponse:
    """A new template or a saved one. "Preview" (and, with JavaScript, each pause in typing) shows the text filled
    with sample values without saving."""
    template = _ack_template(template_id) if template_id is not None else None
    status = 200
    if request.method == "POST":
        form = AckTemplateForm(request.POST)
        if "preview" not in request.POST and form.is_valid():
            data = form.cleaned_data
            try:
                template = services.ack_template_save(
                    actor=_agent(request),
                    template=template,
                    case_type=data["case_type"],
                    language=data["language"],
                    body=data["body"],
                )
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                messages.success(request, _("The acknowledgement template is saved."))
                return redirect("teams:ack_template", template_id=template.pk)
        if "preview" not in request.POST:
            status = 422
    elif template is not None:
        form = AckTemplateForm(
            initial={"case_type": template.case_type_id, "language": template.language, "body": template.body}
        )
    else:
        language = translation.get_language() or settings.LANGUAGE_CODE
        language = language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        with translation.override(language):
            body = acknowledgements.default_template()
        form = AckTemplateForm(initial={"language": language, "body": body})
    context = {
        "template": template,
        "form": form,
        "placeholders": ["{" + name + "}" for name in acknowledgements.PLACEHOLDERS],
        **_ack_preview(form),
    }
    if is_htmx(request) and "preview" in request.POST:
        return render(request, "teams/partials/_ack_preview.html", context)
    return render(request, "teams/ack_edit.html", context, status=status)


@admin_only
@require_POST
def ack_delete(request: HttpRequest, template_id: int) -> HttpResponse:
    template = _ack_template(template_id)
    services.ack_template_delete(actor=_agent(request), template=template)
    messages.success(request, _("The acknowledgement template is deleted."))
    return redirect("teams:ack_templates")


# --- notice templates --------------------------------------------------------------------------------------------

# when each notice is sent, for the admin choosing which to change
NOTICE_HELP = {
    NoticeKind.BREACH: gettext_lazy(
        "Sent when a promise to the customer is broken, on the case types that send it, with one new time."
    ),
    NoticeKind.CALLBACK_CONFIRMATION: gettext_lazy("Sent when a callback is booked: the day and time we call."),
    NoticeKind.CALLBACK_RETRY: gettext_lazy("Sent after a missed call when there are tries left: when we try again."),
    NoticeKind.CALLBACK_WRONG_NUMBER: gettext_lazy(
        "Sent by email (never by SMS) when the number was wrong; the case stays open."
    ),
    NoticeKind.CALLBACK_GAVE_UP: gettext_lazy("Sent after the last unanswered try; the case stays open."),
    NoticeKind.STATUS_ANSWER: gettext_lazy(
        "Sent when a customer only asks how their case is going and it has an open promise, on the case types "
        "that answer status questions: what was promised, and by when."
    ),
    NoticeKind.SURVEY_CSAT: gettext_lazy(
        "Sent by email after a case is solved, by the survey rules: two links, good and not good, each answering "
        "with one click."
    ),
    NoticeKind.SURVEY_CSAT_SMS: gettext_lazy("The same question when the case came by SMS: keep it short."),
    NoticeKind.SURVEY_CES: gettext_lazy(
        "Sent after a case is solved where the survey rules ask how easy it was (1 to 7): one link to the question."
    ),
    NoticeKind.SURVEY_NPS: gettext_lazy(
        "Sent after a case is solved where the survey rules ask for NPS, at most once per customer in the rule's "
        "days: how likely they are to recommend you (0 to 10), and why."
    ),
}


def _notice_or_404(kind: str, language: str) -> None:
    try:
        notices.notice_get(kind)
        notices.language_check(language)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@admin_only
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """Every notice in every language: Lofte's built-in text, or the admins' own (one query)."""
    items = notices.notice_items()
    rows = [
        {
            "kind": kind,
            "label": NoticeKind(kind).label,
            "help": NOTICE_HELP[NoticeKind(kind)],
            "by_sms": notices.NOTICES[kind].by_sms,
            "cells": [item for item in items if item.kind == kind],
        }
        for kind in notices.NOTICES
    ]
    return render(request, "teams/notice_list.html", {"rows": rows, "languages": settings.LANGUAGES})


def _notice_preview(kind: str, language: str, form: NoticeTemplateForm) -> dict[str, Any]:
    """The text (the built-in one when empty) filled with sample values and, for a notice that may go by SMS, how
    many SMS it is; or what is wrong with it. Nothing is saved."""
    body = form.data.get("body", "") if form.is_bound else form.initial.get("body", "")
    body = (body or "").replace("\r\n", "\n").strip()
    try:
        text = notices.preview(kind=kind, body=body, language=language, now=clock.now())
    except ValidationFailed as exc:
        return {"preview": "", "preview_problems": [exc.message]}
    count = services.notice_sms_count(kind=kind, text=text)
    problem = services.notice_sms_problem(count)
    sms = (
        ngettext(
            "With the sample values: %(characters)d characters, %(n)d SMS (%(encoding)s); Lofte sends at most %(max)d.",
            "With the sample values: %(characters)d characters, %(n)d SMS (%(encoding)s); Lofte sends at most %(max)d.",
            count.segments,
        )
        % {
            "characters": count.characters,
            "n": count.segments,
            "encoding": count.encoding,
            "max": settings.LOFTE_SMS_MAX_SEGMENTS,
        }
        if count is not None
        else ""
    )
    return {
        "preview": text,
        "preview_problems": [problem] if problem else [],
        "preview_default": not body,
        "sms_count": sms,
    }


@admin_only
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    """One notice in one language: the text customers get (the admins' own or Lofte's built-in one), the built-in
    text beside it, a preview with sample values ("Preview", and with JavaScript each pause in typing), save and
    reset to the built-in text."""
    _notice_or_404(kind, language)
    template = notices.notice_template_get(kind, language)
    item = notices.notice_item(kind, language, template)
    status = 200
    if request.method == "POST":
        form = NoticeTemplateForm(request.POST)
        if "preview" not in request.POST and form.is_valid():
            try:
                saved = services.notice_template_save(
                    actor=_agent(request), kind=kind, language=language, body=form.cleaned_data["body"]
                )
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                if saved is None:
                    messages.success(request, _("That is the built-in text: customers get it, as it is translated."))
                else:
                    messages.success(request, _("The notice's text is saved."))
                return redirect("teams:notice", kind=kind, language=language)
        if "preview" not in request.POST:
            status = 422
    else:
        form = NoticeTemplateForm(initial={"body": item.override if item.override is not None else item.default})
    context = {
        "item": item,
        "help": NOTICE_HELP[NoticeKind(kind)],
        "form": form,
        "placeholders": ["{" + name + "}" for name in item.placeholders],
        "languages": [(code, name) for code, name in settings.LANGUAGES if code != language],
        **_notice_preview(kind, language, form),
    }
    if is_htmx(request) and "preview" in request.POST:
        return render(request, "teams/partials/_notice_preview.html", context)
    return render(request, "teams/notice_edit.html", context, status=status)


@admin_only
@require_POST
def notice_reset(request: HttpRequest, kind: str, language: str) -> HttpResponse:
    """Delete the admins' text: customers in that language get the built-in text again."""
    _notice_or_404(kind, language)
    if services.notice_template_reset(actor=_agent(request), kind=kind, language=language):
        messages.success(request, _("The notice is back to the built-in text."))
    else:
        messages.info(request, _("The notice already uses the built-in text."))
    return redirect("teams:notice", kind=kind, language=language)


# --- webhook sources ---------------------------------------------------------------------------------------------


def _webhook_url(source: WebhookSource) -> str:
    path = f"/api/v1/inbound/webhook/{source.name}"
    return settings.LOFTE_BASE_URL.rstrip("/") + path


def _webhook_context(source: WebhookSource, secret: str = "") -> dict[str, Any]:
    """The address to post to and a curl example signed as lofte.channels.webhooks.services checks it; the
    secret only when it was just made (it is never shown again)."""
    return {
        "source": source,
        "url": _webhook_url(source),
        "secret": secret,
        "timestamp_header": TIMESTAMP_HEADER,
        "signature_header": SIGNATURE_HEADER,
        "tolerance": settings.LOFTE_WEBHOOK_TOLERANCE_SECONDS,
    }


@admin_only
@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    sources = WebhookSource.objects.select_related("team", "case_type").order_by("name")
    rows = [{"source": s, "url": _webhook_url(s)} for s in sources]
    return render(request, "teams/webhook_list.html", {"rows": rows})


def _source(source_id: int) -> WebhookSource:
    source = WebhookSource.objects.select_related("team", "case_type").filter(pk=source_id).first()
    if source is None:
        raise Http404(_("Webhook source not found."))
    return source


@admin_only
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, source_id: int | None = None) -> HttpResponse:
    """A new source (its secret shown on the answer to the POST that made it, once) or a saved one (its secret
    never shown: "rotate" makes a new one, shown once)."""
    source = _source(source_id) if source_id is not None else None
    status = 200
    if request.method == "POST":
        form = WebhookSourceForm(request.POST, source=source)
        if form.is_valid():
            data = form.cleaned_data
            values = {k: data[k] for k in ("name", "display_name", "team", "case_type", "is_active")}
            try:
                if source is None:
                    created = webhooks.webhook_source_create(actor=_agent(request), **values)
                else:
                    webhooks.webhook_source_update(actor=_agent(request), source=source, **values)
            except ValidationFailed as exc:
                apply_error(form, exc)
            else:
                if source is None:
                    messages.success(request, _("The webhook source %(name)s is created.") % {"name": created.name})
                    form = WebhookSourceForm(initial=WebhookSourceForm.initial_for(created), source=created)
                    context = {"form": form, **_webhook_context(created, secret=created.secret)}
                    return render(request, "teams/webhook_edit.html", context, status=201)
                messages.success(request, _("The webhook source %(name)s is saved.") % {"name": source.name})
                return redirect("teams:webhook", source_id=source.pk)
        status = 422
        if source is not None:
            source.refresh_from_db()
    else:
        form = WebhookSourceForm(initial=WebhookSourceForm.initial_for(source) if source else None, source=source)
    context = {"form": form, **(_webhook_context(source) if source else {"source": None})}
    return render(request, "teams/webhook_edit.html", context, status=status)


@admin_only
@require_POST
def webhook_rotate(request: HttpRequest, source_id: int) -> HttpResponse:
    source = _source(source_id)
    webhooks.webhook_source_rotate(actor=_agent(request), source=source)
    messages.success(
        request,
        _("The webhook source %(name)s has a new secret; requests signed with the old one are refused from now on.")
        % {"name": source.name},
    )
    form = WebhookSourceForm(initial=WebhookSourceForm.initial_for(source), source=source)
    return render(request, "teams/webhook_edit.html", {"form": form, **_webhook_context(source, source.secret)})
