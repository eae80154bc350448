"""Cases that belong together: merge several into one, split a message out into a case of its own, link related ones.

Merging moves everything the merged cases hold to the case that stays: messages (and their attachments), notes,
timeline events, promises, tags, and whatever other apps keep per case (callbacks, calls: every relation to the
case, found through the model's relations, so an app added later moves too). The merged cases are closed with a
link to the target and say so on their timelines. Promises are owed once: see
`lofte.promises.services.promises_cases_merged`. Only cases of one customer merge: two customers' conversations
in one case would show each the other's messages in the portal.

Splitting moves one inbound message (with its attachments and its timeline card) to a new case of the same
customer, which gets the promises a new case gets (an SLA's first response). Linking marks two cases as related;
the link shows on both.

A case the agent may not see is "not found", like one that does not exist, so a reference typed into a form proves
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from lofte.accounts import access
from lofte.accounts.models import Agent
from lofte.cases.models import Case, CaseEvent, CaseLink, Direction, EventKind, LinkKind, Message, Status
from lofte.cases.numbering import reference_next
from lofte.cases.search import search_case_opened, search_rebuild
from lofte.cases.timeline import case_event, case_events_add, promise_events, status_event
from lofte.core import clock
from lofte.core.errors import NotFound, ValidationFailed
from lofte.core.inserts import insert
from lofte.promises import services as promises

MAX_MERGE = 20

# relations of a case that merging handles itself (the rest move wholesale)
_HANDLED = {"messages", "events", "promises", "search", "links_from", "links_to", "tags"}


def _visible(agent: Agent, references: Sequence[str], *, lock: bool) -> dict[str, Case]:
    qs = Case.objects.filter(access.case_scope_q(agent), reference__in=list(references))
    if lock:
        qs = qs.select_for_update(of=("self",)).order_by("pk")  # one order: two merges cannot deadlock
    return {c.reference: c for c in qs.select_related("customer", "team", "assignee")}


def _references(references: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(r.strip().upper() for r in references if r and r.strip()))


def _move_relations(target: Case, source_ids: list[int]) -> None:
    """Every other app's rows that point at a merged case now point at the target."""
    for rel in Case._meta.related_objects:
        if rel.get_accessor_name() in _HANDLED or not rel.one_to_many:
            continue
        rows = rel.related_model._default_manager.filter(**{f"{rel.field.name}__in": source_ids})
        if rel.related_model is Case:
            rows = rows.exclude(pk=target.pk)
        rows.update(**{rel.field.name: target})


@transaction.atomic
def cases_merge(*, agent: Agent, target: str, sources: Sequence[str]) -> tuple[Case, list[Case]]:
    """Merge the cases `sources` into the case `target` (references); answers the target and the merged cases.
    All or nothing: one case that cannot be merged stops the merge, with the reason."""
    target_ref = target.strip().upper()
    wanted = [r for r in _references(sources) if r != target_ref][: MAX_MERGE + 1]
    cases = _visible(agent, [target_ref, *wanted], lock=True)
    into = cases.get(target_ref)
    if into is None:
        raise NotFound(_("No case %(reference)s.") % {"reference": target_ref[:40]})
    access.require(agent, access.Perm.CASE_WORK)
    if not wanted:
        raise ValidationFailed(_("Choose at least one other case to merge into this one."), field="sources")
    if len(wanted) > MAX_MERGE:
        raise ValidationFailed(_("Merge at most %(max)d cases at a time.") % {"max": MAX_MERGE}, field="sources")
    if into.status == Status.CLOSED:
        raise ValidationFailed(
            _("%(reference)s is closed; merge into a case that is still open.") % {"reference": into.reference},
            field="target",
        )
    merged: list[Case] = []
    for reference in wanted:
        case = cases.get(reference)
        if case is None:
            raise ValidationFailed(_("No case %(reference)s.") % {"reference": reference[:40]}, field="sources")
        if case.status == Status.CLOSED:
            raise ValidationFailed(
                _("%(reference)s is closed and cannot be merged.") % {"reference": reference}, field="sources"
            )
        if case.customer_id != into.customer_id:
            raise ValidationFailed(
                _("%(reference)s is another customer's case; only one customer's cases can be merged.")
                % {"reference": reference},
                field="sources",
            )
        merged.append(case)
    return _merge(into, merged, agent=agent), merged


@transaction.atomic
def case_merge_by_lofte(*, into: Case, source: Case) -> Case:
    """Lofte's own merge of one new case into another case of the same customer (a status question that opened a
    case of its own: lofte.triage). Both still open, one customer; ValidationFailed otherwise."""
    locked = {
        c.pk: c for c in Case.objects.select_for_update(of=("self",)).filter(pk__in=[into.pk, source.pk]).order_by("pk")
    }
    into, source = locked.get(into.pk, into), locked.get(source.pk, source)
    if into.pk == source.pk or into.customer_id != source.customer_id:
        raise ValidationFailed(_("Only one customer's cases can be merged."), field="sources")
    if Status.CLOSED in (into.status, source.status):
        raise ValidationFailed(_("A closed case cannot be merged."), field="sources")
    return _merge(into, [source], agent=None)


def _merge(into: Case, merged: list[Case], *, agent: Agent | None) -> Case:
    """Move everything `merged` hold to `into` and close them (checked by the caller, the cases locked); `agent`
    None: Lofte did it."""
    now = clock.now()
    ids = [c.pk for c in merged]
    # the target first takes what it owes (promises), then everything else
    cancelled = promises.promises_cases_merged(target=into, sources=merged, now=now)
    Message.objects.filter(case_id__in=ids).update(case=into)
    CaseEvent.objects.filter(case_id__in=ids).update(case=into)
    _move_relations(into, ids)
    tags = {t.pk for c in [into, *merged] for t in c.tags.all()}
    into.tags.set(tags)
    events = []
    by_case: dict[int | None, list[promises.PromiseChange]] = {}
    for change in cancelled:
        by_case.setdefault(change.promise.case_id, []).append(change)
    for case in merged:
        events += promise_events(by_case.get(case.pk, []), case, actor=agent, now=now)
        events.append(
            case_event(case=case, kind=EventKind.MERGED_INTO, actor=agent, now=now, data={"reference": into.reference})
        )
        events.append(status_event(case, case.status, Status.CLOSED, actor=agent, now=now, reason="merged"))
        case.status, case.closed_at, case.solved_at, case.next_due_at, case.updated_at = (
            Status.CLOSED,
            now,
            None,
            None,
            now,
        )
        case.save(update_fields=["status", "closed_at", "solved_at", "next_due_at", "updated_at"])
    CaseLink.objects.bulk_create(
        [
            CaseLink(from_case=c, to_case=into, kind=LinkKind.MERGED_INTO, created_by=agent, created_at=now)
            for c in merged
        ],
        ignore_conflicts=True,
    )
    events.append(
        case_event(
            case=into, kind=EventKind.MERGED, actor=agent, now=now, data={"references": [c.reference for c in merged]}
        )
    )
    case_events_add(events)
    firsts = [c.first_response_at for c in [into, *merged] if c.first_response_at]
    into.first_response_at = min(firsts) if firsts else None
    into.next_due_at = promises.next_due_for_case(case=into)
    into.updated_at = now
    into.save(update_fields=["first_response_at", "next_due_at", "updated_at"])
    search_rebuild([into.pk, *ids])
    return into


def cases_merge_selected(*, agent: Agent, references: Sequence[str]) -> tuple[Case, list[Case]]:
    """The inbox's bulk merge: the selected cases into the oldest of them (the customer's first word on it)."""
    wanted = _references(references)
    if len(wanted) < 2:
        raise ValidationFailed(_("Select at least two cases of one customer to merge."), field="cases")
    if len(wanted) > MAX_MERGE + 1:
        raise ValidationFailed(_("Merge at most %(max)d cases at a time.") % {"max": MAX_MERGE}, field="cases")
    oldest = (
        Case.objects.filter(access.case_scope_q(agent), reference__in=wanted)
        .order_by("created_at", "id")
        .values_list("reference", flat=True)
        .first()
    )
    if oldest is None:
        raise ValidationFailed(_("None of the selected cases was found."), field="cases")
    return cases_merge(agent=agent, target=oldest, sources=wanted)


@transaction.atomic
def case_split(*, agent: Agent, case: Case, message_id: int) -> Case:
    """Move the customer's message `message_id` out of `case` into a new case of the same customer."""
    access.require(agent, access.Perm.CASE_WORK)
    case.refresh_from_db(from_queryset=Case.objects.select_for_update())
    if case.status == Status.CLOSED:
        raise ValidationFailed(_("The case is closed; nothing can be split out of it."), field="message")
    message = Message.objects.filter(case=case, pk=message_id).first()
    if message is None:
        raise ValidationFailed(_("That message is not on this case."), field="message")
    if message.direction != Direction.IN:
        raise ValidationFailed(_("Only a message from the customer can be split into a new case."), field="message")
    opening = CaseEvent.objects.filter(case=case, kind=EventKind.CREATED).values_list("message_id", flat=True).first()
    first_in = Message.objects.filter(case=case, direction=Direction.IN).order_by("created_at", "id").first()
    if message.pk == opening or (first_in is not None and message.pk == first_in.pk):
        raise ValidationFailed(
            _("This message opened the case; split out a later one, or change the case instead."), field="message"
        )
    now = clock.now()
    subject = (message.subject or case.subject)[:255]
    new = insert(
        Case(
            reference=reference_next(now.year),
            subject=subject,
            customer=case.customer,
            status=Status.NEW,
            priority=case.priority,
            team=case.team,
            case_type=case.case_type,
            channel=message.channel,
            language=case.language,
            inbox_address=case.inbox_address,
            reply_to=case.reply_to,
            created_at=now,
            updated_at=now,
        )
    )
    Message.objects.filter(pk=message.pk).update(case=new)
    CaseEvent.objects.filter(case=case, message=message).update(case=new)
    CaseLink.objects.create(from_case=new, to_case=case, kind=LinkKind.SPLIT_FROM, created_by=agent, created_at=now)
    search_case_opened(new, message.visible_text or message.body_text)
    events = [
        case_event(case=new, kind=EventKind.SPLIT_FROM, actor=agent, now=now, data={"reference": case.reference}),
        case_event(
            case=case, kind=EventKind.SPLIT, actor=agent, now=now, data={"reference": new.reference, "subject": subject}
        ),
    ]
    changes = promises.promises_case_opened(case=new, now=now)
    if changes:
        events += promise_events(changes, new, actor=agent, now=now)
        new.next_due_at = promises.next_due_for_case(case=new)
        new.save(update_fields=["next_due_at"])
    case_events_add(events)
    case.updated_at = now
    case.save(update_fields=["updated_at"])
    search_rebuild([case.pk])
    return new


def _pair(agent: Agent, case: Case, other: str) -> Case:
    reference = other.strip().upper()
    if not reference:
        raise ValidationFailed(_("Give the reference of the case to link."), field="reference")
    if reference == case.reference:
        raise ValidationFailed(_("A case cannot be linked to itself."), field="reference")
    found = _visible(agent, [reference], lock=False).get(reference)
    if found is None:
        raise ValidationFailed(_("No case %(reference)s.") % {"reference": reference[:40]}, field="reference")
    return found


def _between(a: Case, b: Case) -> Q:
    return Q(from_case=a, to_case=b) | Q(from_case=b, to_case=a)


@transaction.atomic
def case_link(*, agent: Agent, case: Case, other: str) -> CaseLink:
    """Mark `case` and the case `other` (a reference) as related; the link shows on both."""
    access.require(agent, access.Perm.CASE_WORK)
    found = _pair(agent, case, other)
    if CaseLink.objects.filter(_between(case, found)).exists():
        raise ValidationFailed(
            _("%(reference)s is already linked to this case.") % {"reference": found.reference}, field="reference"
        )
    now = clock.now()
    link = insert(CaseLink(from_case=case, to_case=found, kind=LinkKind.RELATED, created_by=agent, created_at=now))
    case_events_add(
        [
            case_event(case=case, kind=EventKind.LINKED, actor=agent, now=now, data={"reference": found.reference}),
            case_event(case=found, kind=EventKind.LINKED, actor=agent, now=now, data={"reference": case.reference}),
        ]
    )
    return link


@transaction.atomic
def case_unlink(*, agent: Agent, case: Case, other: str) -> None:
    """Remove the relation between `case` and `other`; a merge's or a split's link stays (it is history)."""
    access.require(agent, access.Perm.CASE_WORK)
    found = _pair(agent, case, other)
    deleted, _rows = CaseLink.objects.filter(_between(case, found), kind=LinkKind.RELATED).delete()
    if not deleted:
        raise ValidationFailed(
            _("%(reference)s is not linked to this case.") % {"reference": found.reference}, field="reference"
        )
    now = clock.now()
    case_events_add(
        [
            case_event(case=case, kind=EventKind.UNLINKED, actor=agent, now=now, data={"reference": found.reference}),
            case_event(case=found, kind=EventKind.UNLINKED, actor=agent, now=now, data={"reference": case.reference}),
        ]
    )


def case_links(*, agent: Agent, case: Case) -> list[tuple[str, Case]]:
    """The cases linked to `case` that the agent may see, each with how: related, merged_into (this case was
    merged into it), merged_from, split_from (this case was split out of it), split_into."""
    links = CaseLink.objects.filter(
        (Q(from_case=case) & access.case_scope_q(agent, "to_case__"))
        | (Q(to_case=case) & access.case_scope_q(agent, "from_case__"))
    ).select_related("from_case", "to_case")
    result: list[tuple[str, Case]] = []
    for link in links:
        outgoing = link.from_case_id == case.pk
        other = link.to_case if outgoing else link.from_case
        how = {
            (LinkKind.MERGED_INTO, True): "merged_into",
            (LinkKind.MERGED_INTO, False): "merged_from",
            (LinkKind.SPLIT_FROM, True): "split_from",
            (LinkKind.SPLIT_FROM, False): "split_into",
        }.get((LinkKind(link.kind), outgoing), "related")
        result.append((how, other))
    return result
