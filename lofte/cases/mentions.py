"""@mentions in internal notes: "@sara", "@sara.lind", "@SaraLind" name an agent, "@billing" a team; each named
agent who may see the case is notified in the app, and by email when their settings say so.

A mention names nobody the case's viewers could not name: the agents matched are only those who may open the case
(an agent of another team mentioned on a case is not told about it, and the author learns nothing about who
exists). The author is never notified of their own note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent, Team
from lofte.cases.models import Case, Note
from lofte.core import clock
from lofte.notifications.readers import reader_language
from lofte.notifications.services import notify_many

MENTION = re.compile(r"(?<![\w@.])@([^\W_][\w.\-]{0,62})")
MAX_MENTIONS = 20


def mention_tokens(body: str) -> set[str]:
    """The names written after an @ (an email address is no mention: its @ follows a letter)."""
    return {t.rstrip(".-").lower() for t in MENTION.findall(body)[:MAX_MENTIONS]}


def _names(agent: Agent) -> set[str]:
    local = agent.email.split("@", 1)[0].lower()
    name = (agent.name or "").strip().lower()
    names = {local}
    if name:
        names |= {name.replace(" ", ""), name.replace(" ", "."), slugify(name)}
    return names


def mentioned_agents(*, case: Case, body: str, author: Agent | None) -> list[Agent]:
    """The agents `body` mentions who may see `case` (a team's name mentions its members), the author left out."""
    tokens = mention_tokens(body)
    if not tokens:
        return []
    seers = list(
        Agent.objects.filter(access.agents_who_see_q(team_id=case.team_id, assignee_id=case.assignee_id)).distinct()
    )
    firsts: dict[str, list[Agent]] = {}
    for agent in seers:
        if agent.name.strip():
            firsts.setdefault(agent.name.split()[0].lower(), []).append(agent)
    chosen: dict[int, Agent] = {}
    for agent in seers:
        if tokens & _names(agent):
            chosen[agent.pk] = agent
    for token in tokens:
        if len(same := firsts.get(token, [])) == 1:  # a first name only when it names one agent
            chosen[same[0].pk] = same[0]
    teams = [t for t in Team.objects.all() if slugify(t.name) in tokens or t.name.lower() in tokens]
    if teams:
        members = set(Agent.objects.filter(teams__in=teams).values_list("pk", flat=True))
        for agent in seers:
            if agent.pk in members:
                chosen[agent.pk] = agent
    if author is not None:
        chosen.pop(author.pk, None)
    return sorted(chosen.values(), key=lambda a: a.pk)


MAX_CANDIDATES = 8


def mention_candidates(*, case: Case, query: str, author: Agent) -> list[dict[str, str]]:
    """Whom the note box offers after "@" + `query`: the agents who may see `case` (the author left out) and their
    teams, whose name, first name or email name begins with the query; each with the handle to write (the email
    name, which names one agent; a team's name as a slug) and a label. At most MAX_CANDIDATES, agents first."""
    q = query.strip().lstrip("@").lower()[:60]
    seers = list(
        Agent.objects.filter(access.agents_who_see_q(team_id=case.team_id, assignee_id=case.assignee_id))
        .exclude(pk=author.pk)
        .distinct()
        .order_by("name", "email")
    )
    found: list[dict[str, str]] = []
    for agent in seers:
        handle = agent.email.split("@", 1)[0].lower()
        words = [handle, *(agent.name or "").lower().split(), (agent.name or "").lower().replace(" ", "")]
        if not q or any(w.startswith(q) for w in words if w):
            found.append({"handle": handle, "label": agent.display_name, "kind": "agent"})
    teams = Team.objects.filter(agents__in=[a.pk for a in seers] + [author.pk]).distinct().order_by("name")
    for team in teams:
        handle = slugify(team.name)
        if handle and (not q or handle.startswith(q) or team.name.lower().startswith(q)):
            found.append({"handle": handle, "label": team.name, "kind": "team"})
    return found[:MAX_CANDIDATES]


def mentions_notify(*, case: Case, note: Note, author: Agent | None) -> list[Agent]:
    """Tell each agent the note mentions (in their own language); answers who was told."""
    agents = mentioned_agents(case=case, body=note.body, author=author)
    if not agents:
        return []
    now = clock.now()
    who = author.display_name if author else "Lofte"
    snippet = " ".join(note.body.split())[:200]

    def items(group: Iterable[Agent]) -> list[tuple[Agent, str, str, str, str]]:
        out = []
        for agent in group:
            with translation.override(reader_language(agent)):
                text = _("%(author)s mentioned you on %(reference)s: %(text)s") % {
                    "author": who,
                    "reference": case.reference,
                    "text": snippet,
                }
            out.append((agent, "mention", text, f"/cases/{case.reference}/", f"mention:{note.pk}:{agent.pk}"))
        return out

    notify_many(items(a for a in agents if a.email_mentions), now=now, email=True)
    notify_many(items(a for a in agents if not a.email_mentions), now=now, email=False)
    return agents
