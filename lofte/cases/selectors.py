"""Reads for cases. Who sees which case is decided by `lofte.accounts.access.case_scope_q` (one rule
for pages, the API, search, the board and the queues); every read here goes through it.

A case the agent may not see is reported as not found, never as forbidden,
so references cannot be probed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, FloatField, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.accounts.selectors import agent_get_active, agent_team_ids
from lofte.cases.models import (
    ACTIVE_STATUSES,
    Attachment,
    Case,
    CaseEvent,
    CaseType,
    Channel,
    Message,
    Status,
    Tag,
    normalise_tag,
)
from lofte.cases.search import WALK_CHUNK, search_q, search_rank, search_terms, search_walk
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.pagination import Page, SortKey, paginate, paginate_walk
from lofte.customers.models import Customer, CustomerIdentity, IdentityKind
from lofte.promises.models import Promise, PromiseState

SORTS: dict[str, SortKey] = {
    "-updated_at": SortKey("updated_at", descending=True),
    "updated_at": SortKey("updated_at", descending=False),
    "-created_at": SortKey("created_at", descending=True),
    "created_at": SortKey("created_at", descending=False),
    "next_due_at": SortKey("next_due_at", descending=False, nullable=True),
    "-priority": SortKey("priority", descending=True, kind="int"),
    "relevance": SortKey("rank", descending=True, kind="float"),  # with a search: the best matches first
}
DEFAULT_SORT = "-updated_at"
VIEWS = ("mine", "all", "unassigned", "team_unassigned", "triage", "due_soon", "broken", "waiting", "solved_today")
# views that are a status: the status filter does not apply to them
VIEW_STATUSES = {"waiting": [str(Status.WAITING_ON_CUSTOMER)], "solved_today": [str(Status.SOLVED)]}
DUE_SOON = timedelta(hours=1)
STATUS_GROUPS = {"active": [str(s) for s in ACTIVE_STATUSES], "all": list(Status.values)}
MAX_LIMIT = 100


def case_visible_q(agent: Agent) -> Q:
    return access.case_scope_q(agent)


@dataclass
class CaseFilters:
    """The inbox's filters; the same object serves the page and the API."""

    view: str = "mine"
    status: list[str] = field(default_factory=lambda: ["active"])
    team: int | None = None
    assignee: str = ""  # "", "me", "none" or an agent id
    channel: str = ""
    case_type: int | None = None
    tag: str = ""
    q: str = ""
    sort: str = DEFAULT_SORT
    customer: int | None = None

    def validate(self) -> None:
        if self.view not in VIEWS:
            raise ValidationFailed(
                _("'%(value)s' is not a view; use one of %(choices)s.")
                % {"value": self.view, "choices": ", ".join(VIEWS)},
                field="view",
            )
        for status in self.status:
            if status not in STATUS_GROUPS and status not in Status.values:
                raise ValidationFailed(
                    _("'%(value)s' is not a status; use one of %(choices)s.")
                    % {"value": status, "choices": ", ".join([*STATUS_GROUPS, *Status.values])},
                    field="status",
                )
        if self.channel and self.channel not in Channel.values:
            raise ValidationFailed(_("'%(value)s' is not a channel.") % {"value": self.channel}, field="channel")
        if self.sort == "relevance" and not search_terms(self.q):
            raise ValidationFailed(_("Sorting by relevance needs a search."), field="sort")
        if self.sort not in SORTS:
            raise ValidationFailed(
                _("'%(value)s' is not a sort; use one of %(choices)s.")
                % {"value": self.sort, "choices": ", ".join(SORTS)},
                field="sort",
            )
        if self.assignee not in ("", "me", "none") and not self.assignee.isdigit():
            raise ValidationFailed(_("assignee is 'me', 'none' or an agent id."), field="assignee")

    def statuses(self) -> list[str]:
        if self.view in VIEW_STATUSES:
            return VIEW_STATUSES[self.view]
        result: list[str] = []
        for status in self.status or ["active"]:
            result += STATUS_GROUPS.get(status, [status])
        return sorted(set(result))


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


# the inbox's filters as its query string has them (what a saved view keeps)
FILTER_KEYS = ("view", "status", "team", "assignee", "channel", "case_type", "tag", "q", "sort")


def filters_parse(params: QueryDict, *, default_view: str = "mine") -> CaseFilters:
    """The inbox's filters from its query string."""
    return CaseFilters(
        view=params.get("view") or default_view,
        status=[s for s in params.getlist("status") if s] or ["active"],
        team=_int_or_none(params.get("team")),
        assignee=params.get("assignee", ""),
        channel=params.get("channel", ""),
        case_type=_int_or_none(params.get("case_type")),
        tag=params.get("tag", ""),
        q=params.get("q", "")[:200],
        sort=params.get("sort") or DEFAULT_SORT,
    )


def _list_queryset(agent: Agent, filters: CaseFilters, *, matching: bool = True) -> QuerySet[Case]:
    """The cases the agent may see that pass the filters; without `matching`, all that a search looks through
    (every case the agent may see, whatever the view), before it asks which of them match."""
    filters.validate()
    return Case.objects.filter(case_visible_q(agent), filters_q(agent, filters, matching=matching))


def _today_start() -> datetime:
    """Midnight today, in the reader's time zone (the one active for the request)."""
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def _view_q(agent: Agent, view: str, *, searching: bool) -> Q:
    """What a view keeps, over the cases the agent may see (`BUILTIN_VIEWS`)."""
    now = clock.now()
    match view:
        case "mine" if not searching:
            # mine: assigned to me, and nobody's yet in my teams or in no team (the triage queue), so that a new
            # case on a fresh install, with no team and no assignee, is in everybody's first view. A search
            # looks through every case the agent may see, whatever the view.
            # two arms, each on the (assignee, status) index: mine, and nobody's (in my teams or in no team)
            return Q(assignee_id=agent.pk) | (
                Q(assignee__isnull=True) & (Q(team_id__in=agent_team_ids(agent=agent)) | Q(team__isnull=True))
            )
        case "unassigned":
            return Q(assignee__isnull=True)
        case "team_unassigned":
            return Q(assignee__isnull=True, team_id__in=agent_team_ids(agent=agent))
        case "triage":
            return Q(team__isnull=True)
        case "due_soon":
            return Q(next_due_at__gte=now, next_due_at__lt=now + DUE_SOON)
        case "broken":
            return Q(next_due_at__lt=now)
        case "solved_today":
            return Q(solved_at__gte=_today_start())
    return Q()


def filters_q(agent: Agent, filters: CaseFilters, *, matching: bool = True) -> Q:
    """The filters as one condition on Case (visibility apart): what a list, and a view's count, keep."""
    q = filters.q.strip()
    conditions = [_view_q(agent, filters.view, searching=bool(q))]
    statuses = filters.statuses()
    if set(statuses) != set(Status.values):
        conditions.append(Q(status__in=statuses))
    if filters.team is not None:
        conditions.append(Q(team_id=filters.team))
    if filters.assignee == "me":
        conditions.append(Q(assignee_id=agent.pk))
    elif filters.assignee == "none":
        conditions.append(Q(assignee__isnull=True))
    elif filters.assignee:
        conditions.append(Q(assignee_id=int(filters.assignee)))
    if filters.channel:
        conditions.append(Q(channel=filters.channel))
    if filters.case_type is not None:
        conditions.append(Q(case_type_id=filters.case_type))
    if filters.customer is not None:
        conditions.append(Q(customer_id=filters.customer))
    if filters.tag:
        tagged = Case.tags.through.objects.filter(tag__name=normalise_tag(filters.tag)).values("case_id")
        conditions.append(Q(pk__in=tagged))
    if q and matching:
        conditions.append(_matching(q))
    result = Q()
    for condition in conditions:
        result &= condition
    return result


# the inbox's views, in the order its sidebar shows them (each is a `view` of CaseFilters)
BUILTIN_VIEWS = (
    ("mine", gettext_lazy("Mine")),
    ("team_unassigned", gettext_lazy("My teams' unassigned")),
    ("triage", gettext_lazy("No team yet")),
    ("due_soon", gettext_lazy("Due within the hour")),
    ("broken", gettext_lazy("Broken promises")),
    ("waiting", gettext_lazy("Waiting on customer")),
    ("solved_today", gettext_lazy("Solved today")),
    ("all", gettext_lazy("All open")),
)


@dataclass(frozen=True)
class ViewCount:
    key: str
    label: str
    count: int | None  # None: not counted (the page's first paint; the sidebar fetches the counts itself)


def view_links() -> list[ViewCount]:
    return [ViewCount(key, str(label), None) for key, label in BUILTIN_VIEWS]


def view_counts(*, agent: Agent) -> list[ViewCount]:
    """How many cases each built-in view shows the agent, counted in one query: over the open cases and today's
    solved ones (each on an index), each view's filter a conditional count."""
    open_or_solved_today = Q(status__in=ACTIVE_STATUSES) | Q(status=Status.SOLVED, solved_at__gte=_today_start())
    counts = Case.objects.filter(case_visible_q(agent), open_or_solved_today).aggregate(
        **{key: Count("pk", filter=filters_q(agent, CaseFilters(view=key))) for key, _label in BUILTIN_VIEWS}
    )
    return [ViewCount(key, str(label), counts[key]) for key, label in BUILTIN_VIEWS]


def _matching(q: str, *, per_case: bool = False) -> Q:
    """The cases `q` finds: by reference, by an identity (on the (kind, value) unique index), or by its words, in
    what was written on the case (its subject, messages and replies) or in the customer's name (lofte.cases.search;
    `per_case`: each case's document tested on its own)."""
    matches = Q(reference__iexact=q) | Q(
        customer_id__in=CustomerIdentity.objects.filter(kind__in=IdentityKind.values, value=q.lower()).values(
            "customer_id"
        )
    )
    if (words := search_q(q, per_case=per_case)) is not None:
        matches |= words
    return matches


# What a list of cases shows (the inbox's rows, the API's CaseOut): the related rows' other columns (an agent's
# password hash, a customer's notes, the parent case's every field) are never read from a list.
LIST_COLUMNS = (
    *(
        f.name
        for f in Case._meta.concrete_fields
        if f.name not in {"inbox_address", "reply_to", "acknowledged_at", "closed_at"}
    ),
    "customer__name",
    "customer__tier",
    "team__name",
    "assignee__name",
    "assignee__email",
    "case_type__name",
    "follow_up_of__reference",
)


def case_list_for_agent(
    *, agent: Agent, filters: CaseFilters, cursor: str | None = None, limit: int = 25
) -> Page[Case]:
    """One keyset page of the cases the agent may see, matching the filters."""
    limit = max(1, min(limit, MAX_LIMIT))
    qs = _list_queryset(agent, filters)
    if filters.sort == "relevance":  # the key is the rank, an annotation: the rows are read as they are ranked
        qs = qs.annotate(rank=Coalesce(search_rank(filters.q), Value(0.0), output_field=FloatField()))
        return paginate(_shown(qs), key=SORTS[filters.sort], cursor=cursor, limit=limit)
    if chunks := search_walk(q := filters.q.strip()):
        # a common word: the cases it may find walked in the list's order, each chunk's matches kept, until the
        # page is full (lofte.cases.search.search_walk); the matches gathered outright when the walk runs long
        matching = _matching(q, per_case=True)
        page = paginate_walk(
            _list_queryset(agent, filters, matching=False),
            key=SORTS[filters.sort],
            cursor=cursor,
            limit=limit,
            keep=lambda ids: set(Case.objects.filter(pk__in=ids).filter(matching).values_list("pk", flat=True)),
            rows_from=_shown(Case.objects.all()),
            chunk=WALK_CHUNK,
            chunks=chunks,
        )
        if page is not None:
            return page
    # the page is chosen among the matching cases' keys, then only its rows are read with what they show
    return paginate(qs, key=SORTS[filters.sort], cursor=cursor, limit=limit, rows_from=_shown(Case.objects.all()))


def _shown(qs: QuerySet[Case]) -> QuerySet[Case]:
    """What a list shows of each case (LIST_COLUMNS), with its related rows."""
    return (
        qs.select_related("customer", "team", "assignee", "case_type", "follow_up_of")
        .only(*LIST_COLUMNS)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


def case_get_for_agent(*, agent: Agent, reference: str) -> Case:
    """The case with this reference if the agent may see it; NotFound otherwise."""
    case = (
        Case.objects.filter(case_visible_q(agent), reference=reference.strip().upper())
        .select_related("customer", "customer__organisation", "team", "assignee", "case_type", "follow_up_of")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")), "customer__identities")
        .first()
    )
    if case is None:
        raise NotFound(_("Case %(ref)s not found.") % {"ref": reference})
    return case


def case_timeline(*, case: Case) -> list[CaseEvent]:
    """Every event of the case in order, with its message (and attachments, delivery) or note."""
    return list(
        CaseEvent.objects.filter(case=case)
        .select_related(
            "actor",
            "message",
            "message__author",
            "message__outbox_message",
            "message__outbox_message__sms_delivery",
            "note",
            "note__author",
        )
        .prefetch_related(Prefetch("message__attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def case_messages(*, case: Case) -> list:  # type: ignore[type-arg]
    return list(
        case.messages.select_related("author", "outbox_message")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def case_notes(*, case: Case) -> list:  # type: ignore[type-arg]
    return list(case.notes.select_related("author").order_by("created_at", "id"))


def case_list_for_customer(
    *, agent: Agent, customer: Customer, exclude: Case | None = None, limit: int = 20
) -> list[Case]:
    """The customer's cases the agent may see, newest first."""
    qs = Case.objects.filter(case_visible_q(agent), customer=customer).select_related("assignee", "team")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return list(qs.order_by("-created_at", "-id")[:limit])


def case_count_for_customer(*, agent: Agent, customer: Customer) -> int:
    return Case.objects.filter(case_visible_q(agent), customer=customer).count()


def assignee_get(*, agent_id: int, field: str = "assignee") -> Agent:
    """An active agent whose role works cases: a case assigned to a QA reviewer would be owned by someone who may
    not reply to it, and its promises would remind and escalate to them in vain."""
    assignee = agent_get_active(agent_id=agent_id, field=field)
    if not access.can(assignee, access.Perm.CASE_WORK):
        raise ValidationFailed(
            _("%(name)s cannot be assigned cases: their role only reads them.") % {"name": assignee.display_name},
            field=field,
        )
    return assignee


def case_type_list() -> list[CaseType]:
    return list(CaseType.objects.filter(is_active=True).select_related("default_team").order_by("name"))


def case_type_get_active(*, case_type_id: int, field: str = "case_type") -> CaseType:
    case_type = CaseType.objects.filter(pk=case_type_id, is_active=True).select_related("default_team").first()
    if case_type is None:
        raise ValidationFailed(_("There is no active case type %(id)s.") % {"id": case_type_id}, field=field)
    return case_type


def tag_names() -> list[str]:
    return list(Tag.objects.order_by("name").values_list("name", flat=True)[:500])


def case_promises(*, case: Case) -> list[Promise]:
    """All the case's promises, pending first (soonest due first), then the rest, newest first."""
    rows = list(Promise.objects.filter(case=case).select_related("owner_agent", "owner_team").order_by("due_at", "id"))
    pending = [p for p in rows if p.state == PromiseState.PENDING]
    done = sorted(
        (p for p in rows if p.state != PromiseState.PENDING), key=lambda p: (p.created_at, p.pk), reverse=True
    )
    return pending + done


def case_attachment_get(*, agent: Agent, reference: str, attachment_id: int) -> Attachment:
    """An attachment of a message on this case, if the agent may see the case (the same rule as the case page).

    NotFound for a case the agent may not see, and for an attachment of any other case, so that
    attachment ids cannot be probed through a case one can see.
    """
    case = case_get_for_agent(agent=agent, reference=reference)
    attachment = Attachment.objects.filter(pk=attachment_id, message__case=case).first()
    if attachment is None:
        raise NotFound(_("Not found."))
    return attachment


def unanswered_queue_size(team_id: int | None) -> int:
    """The team's active cases without a first response (cases with no team for None), for the ETA.

    Counted on the cases' (team, status, -updated_at) index: the cost follows the team's active cases,
    never the history."""
    cases = Case.objects.filter(status__in=ACTIVE_STATUSES, first_response_at__isnull=True)
    cases = cases.filter(team_id=team_id) if team_id else cases.filter(team__isnull=True)
    return int(cases.count())


def timeline_last_message_id(timeline: list[CaseEvent]) -> int:
    """The newest message a case page shows (the reply box sends it back, to see whether another came meanwhile);
    every message is on the timeline, so this reads nothing more."""
    return max((e.message_id or 0 for e in timeline), default=0)


def case_newer_message(*, case: Case, seen: int, agent: Agent) -> Message | None:
    """The first message on the case after `seen` that the agent did not write: the customer wrote again, or a
    colleague answered, while the agent was writing. (Ordered as the case's index is, so that PostgreSQL reads
    the case's messages and never walks the whole table by id.)"""
    return Message.objects.filter(case=case, pk__gt=seen).exclude(author=agent).order_by("created_at", "id").first()
