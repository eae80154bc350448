"""Macros: saved replies an agent picks in the reply box, filled in for the case, and what sending one also does.

A macro's text may hold placeholders (`PLACEHOLDERS`), filled in when it is picked: the customer's name, the
case's reference and subject, the agent's name, and `{next_promise}`, the time of the case's next pending promise
that the reply does not keep, written as the customer reads times (their language and time zone). That is
always a time the board already tracks: when the case has no such promise the macro cannot be used, rather than
tell the customer a time nobody promised. A macro with a follow-up makes its promise when the reply is sent,
with the sentence that says so (as the reply box's own follow-up does).

Whose a macro is (`Macro.scope`) decides who sees and who changes it:

| scope     | who uses it                 | who changes it                  |
|-----------|-----------------------------|---------------------------------|
| personal  | its owner                   | its owner                       |
| team      | the team's members (admins) | the team's leads, admins        |
| everyone  | every agent                 | admins                          |

A macro one may not use is not found (404), like a case one may not see, so ids cannot be probed. Sending
with a macro (`macro_reply`) is one transaction: the reply, its status and follow-up promise, the macro's tags and
team, and the macro's usage count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case as When_
from django.db.models import F, IntegerField, Q, QuerySet, Value, When
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.accounts.selectors import agent_team_ids
from lofte.cases import services
from lofte.cases.delivery import customer_language, customer_time_text
from lofte.cases.models import Case, Macro, Message, Status, normalise_tag
from lofte.core import clock, placeholders
from lofte.core.errors import NotFound, PermissionDenied, ValidationFailed
from lofte.promises.models import Promise, PromiseKind, PromiseState
from lofte.promises.services import told_time

PLACEHOLDERS = (
    "customer_name",
    "customer_first_name",
    "reference",
    "subject",
    "agent_name",
    "agent_first_name",
    "next_promise",
)
SCOPES = ("personal", "team", "everyone")
# what a reply may move a case to (the reply box's own choices)
REPLY_STATUSES = (Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY, Status.SOLVED)
MAX_BODY = 20_000
MAX_FOLLOW_UP_HOURS = 24 * 30
MAX_TAGS = 10
# a reply keeps these; the time the macro tells is a promise still pending after it
KEPT_BY_REPLY = (PromiseKind.FIRST_RESPONSE, PromiseKind.NEXT_UPDATE)


# --- reading ---------------------------------------------------------------------------------


def macro_visible_q(agent: Agent) -> Q:
    """The macros `agent` may use: their own, their teams' (every team's for an admin), and everyone's.
    Another agent's own macros are nobody else's, an admin's included."""
    if not agent.is_active:
        return Q(pk__in=[])
    if access.is_admin(agent):
        return Q(owner_id=agent.pk) | Q(owner__isnull=True)
    return Q(owner_id=agent.pk) | Q(owner__isnull=True, team__isnull=True) | Q(team_id__in=agent_team_ids(agent=agent))


def macro_list_for_agent(*, agent: Agent, q: str = "", language: str | None = None) -> QuerySet[Macro]:
    """The macros the agent may use, whose name or text holds `q`; with `language`, those for it and for any
    language, the ones written in it first. Then the agent's own, the team's, everyone's, by name."""
    qs = Macro.objects.filter(macro_visible_q(agent)).select_related("team")  # the list shows the team's name
    if q := q.strip()[:100]:
        qs = qs.filter(Q(name__icontains=q) | Q(body__icontains=q))
    order: list[Any] = []
    if language:
        qs = qs.filter(language__in=[language, ""])
        order.append(When_(When(language=language, then=Value(0)), default=Value(1), output_field=IntegerField()))
    scope = When_(When(owner__isnull=False, then=Value(0)), When(team__isnull=False, then=Value(1)), default=Value(2))
    return qs.order_by(*order, scope, "name", "id")


def macro_get_for_agent(*, agent: Agent, macro_id: int) -> Macro:
    """The macro if the agent may use it; NotFound otherwise (another agent's, another team's, or none)."""
    macro = Macro.objects.filter(macro_visible_q(agent), pk=macro_id).select_related("team", "set_team").first()
    if macro is None:
        raise NotFound(_("Macro %(id)s not found.") % {"id": macro_id})
    return macro


def macro_find_for_agent(*, agent: Agent, name: str, language: str | None = None) -> Macro:
    """The macro the agent means by its name (as the reply box's list offers it): the one for the case's
    language before the one for any, the agent's own before the team's before everyone's."""
    name = name.strip()
    macro = macro_list_for_agent(agent=agent, language=language).filter(name=name).first() if name else None
    if macro is None:
        raise NotFound(_("There is no macro called %(name)s for this case.") % {"name": name or "-"})
    return macro


def macro_require_change(agent: Agent, macro: Macro) -> None:
    """PermissionDenied, with the reason, unless the agent may change the macro (one they may use)."""
    access.require(agent, access.Perm.CASE_WORK)  # a role that writes no replies: the role is the reason
    if macro_can_change(agent, macro):
        return
    if macro.team_id is not None:
        raise PermissionDenied(_("Only the team's leads and admins can change the team's macros."))
    if macro.owner_id is None:
        raise PermissionDenied(_("Only admins can change the macros every agent uses."))
    raise NotFound(_("Macro %(id)s not found.") % {"id": macro.pk})


def macro_can_change(agent: Agent, macro: Macro) -> bool:
    """Whether the agent may change or delete the macro (see the module's table)."""
    if macro.owner_id is not None:
        return macro.owner_id == agent.pk and agent.is_active
    if macro.team_id is not None:
        return access.can_manage_team(agent, macro.team_id)
    return access.is_admin(agent)


# --- writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MacroInput:
    """What a macro is made of, as a form or the API gives it."""

    name: str
    body: str
    language: str = ""
    scope: str = "personal"
    team: Team | None = None
    set_status: str = ""
    add_tags: str = ""
    set_team: Team | None = None
    follow_up_hours: int | None = None


def _tags(text: str) -> str:
    names = sorted({normalise_tag(n) for n in text.split(",") if n.strip()})
    if len(names) > MAX_TAGS:
        raise ValidationFailed(_("A macro can add at most %(max)d tags.") % {"max": MAX_TAGS}, field="add_tags")
    joined = ", ".join(names)
    if len(joined) > Macro._meta.get_field("add_tags").max_length:  # type: ignore[operator]
        raise ValidationFailed(_("The tags are too long together."), field="add_tags")
    return joined


def _clean(data: MacroInput) -> dict[str, Any]:
    """The model's fields from the input, or ValidationFailed naming the first thing wrong."""
    name = " ".join(data.name.split())
    if not name:
        raise ValidationFailed(_("Give the macro a name."), field="name")
    if len(name) > Macro._meta.get_field("name").max_length:  # type: ignore[operator]
        raise ValidationFailed(_("The name is longer than 100 characters."), field="name")
    body = data.body.replace("\r\n", "\n").strip()
    if not body:
        raise ValidationFailed(_("Write the macro's text."), field="body")
    if len(body) > MAX_BODY:
        raise ValidationFailed(_("The text is longer than %(max)d characters.") % {"max": MAX_BODY}, field="body")
    if problems := placeholders.problems(body, PLACEHOLDERS):
        raise ValidationFailed(problems[0], field="body")
    if data.language and data.language not in dict(settings.LANGUAGES):
        raise ValidationFailed(
            _("'%(value)s' is not a language; use one of %(choices)s, or none for any.")
            % {"value": data.language, "choices": ", ".join(dict(settings.LANGUAGES))},
            field="language",
        )
    if data.set_status and data.set_status not in REPLY_STATUSES:
        raise ValidationFailed(
            _("A reply can set the status to %(choices)s.") % {"choices": ", ".join(REPLY_STATUSES)},
            field="set_status",
        )
    hours = data.follow_up_hours
    if hours is not None and not 1 <= hours <= MAX_FOLLOW_UP_HOURS:
        raise ValidationFailed(
            _("A follow-up is between 1 and %(max)d hours away.") % {"max": MAX_FOLLOW_UP_HOURS},
            field="follow_up_hours",
        )
    if data.scope not in SCOPES:
        raise ValidationFailed(
            _("'%(value)s' is not a scope; use one of %(choices)s.")
            % {"value": data.scope, "choices": ", ".join(SCOPES)},
            field="scope",
        )
    if data.scope == "team" and data.team is None:
        raise ValidationFailed(_("Choose the team to share the macro with."), field="team")
    return {
        "name": name,
        "body": body,
        "language": data.language,
        "set_status": data.set_status,
        "add_tags": _tags(data.add_tags),
        "set_team": data.set_team,
        "follow_up_hours": hours,
    }


def _owner_and_team(agent: Agent, data: MacroInput) -> tuple[Agent | None, Team | None]:
    """Whose the macro becomes; PermissionDenied (with the reason) when the agent may not make it so."""
    if data.scope == "personal":
        access.require(agent, access.Perm.CASE_WORK)
        return agent, None
    if data.scope == "team":
        assert data.team is not None  # _clean checked
        if not access.can_manage_team(agent, data.team.pk):
            raise PermissionDenied(_("Only the team's leads and admins can share a macro with the team."))
        return None, data.team
    if not access.is_admin(agent):
        raise PermissionDenied(_("Only admins can share a macro with everyone."))
    return None, None


@transaction.atomic
def macro_create(*, agent: Agent, data: MacroInput) -> Macro:
    fields = _clean(data)
    owner, team = _owner_and_team(agent, data)
    now = clock.now()
    return Macro.objects.create(**fields, owner=owner, team=team, created_by=agent, created_at=now, updated_at=now)


@transaction.atomic
def macro_update(*, agent: Agent, macro: Macro, data: MacroInput) -> Macro:
    """Change the macro (also whose it is): the agent must be allowed to change it as it is and as it becomes."""
    macro_require_change(agent, macro)
    fields = _clean(data)
    owner, team = _owner_and_team(agent, data)
    for name, value in {**fields, "owner": owner, "team": team, "updated_at": clock.now()}.items():
        setattr(macro, name, value)
    macro.save()
    return macro


@transaction.atomic
def macro_delete(*, agent: Agent, macro: Macro) -> None:
    macro_require_change(agent, macro)
    macro.delete()


# --- using -----------------------------------------------------------------------------------


def _next_promise(case: Case) -> Promise | None:
    """The case's soonest pending promise that a reply does not keep."""
    return (
        Promise.objects.filter(case=case, state=PromiseState.PENDING)
        .exclude(kind__in=KEPT_BY_REPLY)
        .order_by("due_at", "id")
        .first()
    )


def macro_values(*, case: Case, agent: Agent) -> dict[str, str]:
    """What the placeholders stand for on this case (`next_promise` empty when no promise is pending)."""
    with translation.override(customer_language(case)):
        customer_name = case.customer.name.strip() or _("customer")
    promise = _next_promise(case)
    return {
        "customer_name": customer_name,
        "customer_first_name": customer_name.split()[0],
        "reference": case.reference,
        "subject": case.subject,
        "agent_name": agent.display_name,
        "agent_first_name": agent.display_name.split()[0],
        "next_promise": customer_time_text(case=case, when=promise.due_at) if promise else "",
    }


def macro_text(*, macro: Macro, case: Case, agent: Agent) -> str:
    """The macro's text filled in for the case; ValidationFailed when it tells a time no promise holds."""
    values = macro_values(case=case, agent=agent)
    if "next_promise" in placeholders.names(macro.body) and not values["next_promise"]:
        raise ValidationFailed(
            _(
                "%(macro)s tells the customer when the next promise is due, but %(ref)s has no pending promise that "
                "this reply does not keep. Make the promise first, or write the time yourself."
            )
            % {"macro": macro.name, "ref": case.reference},
            field="macro",
        )
    return placeholders.fill(macro.body, values)


def macro_follow_up_at(*, macro: Macro, case: Case, now: datetime) -> datetime | None:
    """When the macro's follow-up falls: its hours from now, moved into the case team's open hours."""
    if not macro.follow_up_hours:
        return None
    return told_time(
        due_at=now + timedelta(hours=macro.follow_up_hours), calendar=None, policy=None, team_id=case.team_id
    )


@transaction.atomic
def macro_reply(
    *,
    case: Case,
    agent: Agent,
    macro: Macro,
    body: str,
    status: str | None,
    attachments: Sequence[services.AttachmentInput] = (),
    follow_up_at: datetime | None = None,
    follow_up_text: str = "",
    add_tags: bool = True,
    move_team: bool = True,
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
) -> Message:
    """Send the reply the agent wrote from the macro, with what the macro also does (its tags, its team, unless
    the agent unticked them), and count the use; all or nothing. The status and follow-up are the reply's own
    (the reply box shows the macro's, for the agent to change)."""
    message = services.case_reply(
        case=case,
        author=agent,
        body=body,
        status=status,
        attachments=attachments,
        follow_up_at=follow_up_at,
        follow_up_text=follow_up_text,
        cc=cc,
        bcc=bcc,
    )
    changes: dict[str, Any] = {}
    if add_tags and macro.add_tags:
        old = {t.name for t in case.tags.all()}
        new = old | {n.strip() for n in macro.add_tags.split(",") if n.strip()}
        if new != old:
            changes["tags"] = sorted(new)
    if move_team and macro.set_team_id is not None and macro.set_team_id != case.team_id:
        changes["team"] = macro.set_team
    if changes:
        services.case_update(case=case, actor=agent, **changes)
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=clock.now())
    return message


def macro_preview(*, body: str, language: str, agent: Agent) -> str:
    """The text filled in with sample values, for the macros page (problems shown instead of the text)."""
    if problems := placeholders.problems(body, PLACEHOLDERS):
        return problems[0]
    now = clock.now()
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(now + timedelta(days=1)).replace(hour=14, minute=0), "l j F H:i")
        values = {
            "customer_name": "Karin Lind",
            "customer_first_name": "Karin",
            "reference": f"{settings.LOFTE_REFERENCE_PREFIX}-{now.year}-000123",
            "subject": _("My invoice is wrong"),
            "agent_name": agent.display_name,
            "agent_first_name": agent.display_name.split()[0],
            "next_promise": str(when),
        }
    return placeholders.fill(body, values)
