"""Writes of the settings pages that reach across apps: an agent and their invitation together, deleting a team
(which asks the cases), acknowledgement templates, and the texts of the notices (whose SMS length is counted here,
above both the cases and the SMS channel). Agents' and teams' own writes are lofte.accounts.staff."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError, Q, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lofte.accounts import access, staff
from lofte.accounts.models import Agent, Team
from lofte.cases import notices
from lofte.cases.acknowledgements import template_check
from lofte.cases.models import ACTIVE_STATUSES, AcknowledgementTemplate, Case, CaseType, NoticeTemplate
from lofte.channels.sms.segments import Segments, segments
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.teams.invitations import invitation_send

# --- agents --------------------------------------------------------------------------------------------------


@transaction.atomic
def agent_create_and_invite(
    *,
    actor: Agent,
    name: str,
    email: str,
    role: str,
    teams: Iterable[Team] = (),
    language: str = "",
    time_zone: str = "",
) -> Agent:
    """A new agent and the email with their set-password link, together or not at all."""
    agent = staff.staff_agent_create(
        actor=actor, name=name, email=email, role=role, teams=teams, language=language, time_zone=time_zone
    )
    invitation_send(agent=agent)
    return agent


@transaction.atomic
def agent_invite_again(*, actor: Agent, agent: Agent) -> None:
    """Send the agent a new set-password link (a lost invitation, a forgotten password)."""
    staff.staff_agent_invitable(actor=actor, agent=agent)
    invitation_send(agent=agent)


# --- teams ---------------------------------------------------------------------------------------------------


def team_delete_blockers(*, team: Team) -> list[str]:
    """Why the team cannot be deleted (empty when it can): its members, and its cases. A closed case counts
    too: deleting the team would leave it without one, and a case without a team is in the shared queue that
    every agent sees."""
    counts = Case.objects.filter(team=team).aggregate(
        open=Count("id", filter=Q(status__in=ACTIVE_STATUSES)), all=Count("id")
    )
    members = team.agents.count()  # type: ignore[attr-defined]
    reasons = []
    if members:
        reasons.append(
            ngettext(
                "%(n)d agent is a member; remove them from the team first.",
                "%(n)d agents are members; remove them from the team first.",
                members,
            )
            % {"n": members}
        )
    if counts["open"]:
        reasons.append(
            ngettext(
                "%(n)d open case belongs to it; move it to another team first.",
                "%(n)d open cases belong to it; move them to another team first.",
                counts["open"],
            )
            % {"n": counts["open"]}
        )
    closed = counts["all"] - counts["open"]
    if closed:
        reasons.append(
            ngettext(
                "%(n)d closed case belongs to it, which would otherwise be seen by every agent.",
                "%(n)d closed cases belong to it, which would otherwise be seen by every agent.",
                closed,
            )
            % {"n": closed}
        )
    return reasons


@transaction.atomic
def team_delete(*, actor: Agent, team: Team) -> None:
    """Delete a team nothing depends on; otherwise say what does."""
    access.require(actor, access.Perm.CONFIGURE)
    reasons = team_delete_blockers(team=team)
    if reasons:
        raise ValidationFailed(
            _("%(team)s cannot be deleted: %(reasons)s") % {"team": team.name, "reasons": " ".join(reasons)},
            field="team",
        )
    try:
        with transaction.atomic():
            team.delete()
    except (ProtectedError, RestrictedError) as exc:
        what = sorted({str(obj._meta.verbose_name_plural) for obj in exc.args[1]})
        raise ValidationFailed(
            _("%(team)s cannot be deleted while these refer to it: %(what)s.")
            % {"team": team.name, "what": ", ".join(what)},
            field="team",
        ) from exc


# --- acknowledgement templates ---------------------------------------------------------------------------------


def _language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


@transaction.atomic
def ack_template_save(
    *,
    actor: Agent,
    template: AcknowledgementTemplate | None,
    case_type: CaseType | None,
    language: str,
    body: str,
) -> AcknowledgementTemplate:
    """Create (template None) or change an acknowledgement template: one per case type (or the default) and
    language, with only known placeholders."""
    access.require(actor, access.Perm.CONFIGURE)
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(_("Choose one of the languages Lofte speaks."), field="language")
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("Write the text of the acknowledgement."), field="body")
    if problems := template_check(body):
        raise ValidationFailed(" ".join(problems), field="body")
    clash = AcknowledgementTemplate.objects.filter(case_type=case_type, language=language)
    if template is not None:
        clash = clash.exclude(pk=template.pk)
    if clash.exists():
        raise ValidationFailed(_duplicate(case_type, language), field="language")
    if template is None:
        template = AcknowledgementTemplate(case_type=case_type, language=language, body=body)
    template.case_type, template.language, template.body = case_type, language, body
    template.updated_at = timezone.now()
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:  # another admin saved the same pair a moment ago
        raise ValidationFailed(_duplicate(case_type, language), field="language") from exc
    return template


def _duplicate(case_type: CaseType | None, language: str) -> str:
    if case_type is None:
        return _("There is already a default template in %(language)s; change that one.") % {
            "language": _language_name(language)
        }
    return _("There is already a template for %(type)s in %(language)s; change that one.") % {
        "type": case_type.name,
        "language": _language_name(language),
    }


@transaction.atomic
def ack_template_delete(*, actor: Agent, template: AcknowledgementTemplate) -> None:
    """Delete a template: the cases it was for get the default one (or the built-in text) from now on."""
    access.require(actor, access.Perm.CONFIGURE)
    template.delete()


# --- notice templates ----------------------------------------------------------------------------------------


def notice_sms_count(*, kind: str, text: str) -> Segments | None:
    """How many SMS a notice's filled text is, for a notice that may go by SMS (None: it goes by email only)."""
    return segments(text) if notices.NOTICES[kind].by_sms else None


def notice_sms_problem(count: Segments | None) -> str:
    """Why a notice's text is too long for the SMS Lofte sends (empty when it is not)."""
    if count is None or count.segments <= settings.LOFTE_SMS_MAX_SEGMENTS:
        return ""
    return _(
        "With the sample values the text is %(n)d SMS long (%(encoding)s); Lofte sends at most %(max)d. Shorten it."
    ) % {"n": count.segments, "encoding": count.encoding, "max": settings.LOFTE_SMS_MAX_SEGMENTS}


@transaction.atomic
def notice_template_save(*, actor: Agent, kind: str, language: str, body: str) -> NoticeTemplate | None:
    """The admins' text for a notice in a language (it replaces the one before). Only the notice's placeholders,
    and for a notice that may go by SMS, no more SMS than Lofte sends. A text that is the built-in one is no text of
    the admins': any they had is deleted and None returned, so the notice keeps following the translation."""
    access.require(actor, access.Perm.CONFIGURE)
    notices.notice_get(kind)
    notices.language_check(language)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("Write the text of the notice, or reset it to the built-in text."), field="body")
    text = notices.preview(kind=kind, body=body, language=language, now=clock.now())  # names a bad placeholder
    if problem := notice_sms_problem(notice_sms_count(kind=kind, text=text)):
        raise ValidationFailed(problem, field="body")
    if body == notices.default_text(kind, language):
        NoticeTemplate.objects.filter(kind=kind, language=language).delete()
        return None
    values = {"body": body, "updated_at": timezone.now(), "updated_by": actor}
    try:
        with transaction.atomic():
            template, _created = NoticeTemplate.objects.update_or_create(kind=kind, language=language, defaults=values)
    except IntegrityError:  # another admin wrote the first text a moment ago: this one replaces it, as if later
        template = NoticeTemplate.objects.get(kind=kind, language=language)
        for name, value in values.items():
            setattr(template, name, value)
        template.save(update_fields=list(values))
    return template


@transaction.atomic
def notice_template_reset(*, actor: Agent, kind: str, language: str) -> bool:
    """Delete the admins' text for a notice in a language: the built-in text is sent again. False when there was
    none."""
    access.require(actor, access.Perm.CONFIGURE)
    notices.notice_get(kind)
    notices.language_check(language)
    deleted, _counts = NoticeTemplate.objects.filter(kind=kind, language=language).delete()
    return deleted > 0
