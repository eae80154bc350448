"""What mail systems send back about a case: automatic replies (out of office), bounces, read receipts.

None of them reopens the case or is ever answered.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from lofte.accounts.models import Agent
from lofte.cases.models import Case, CaseEvent, Direction, EventKind, Message
from lofte.cases.services import MAX_SUBJECT, _check_channel, _visible
from lofte.cases.timeline import case_event_add
from lofte.core import clock
from lofte.notifications.services import notify_many
from lofte.outbox.services import outbox_mark_bounced

logger = logging.getLogger(__name__)


@transaction.atomic
def case_add_automatic(
    *,
    case: Case,
    body: str,
    channel: str,
    sender: str = "",
    subject: str = "",
    visible_text: str = "",
    external_id: str = "",
) -> Message:
    """An automatic reply (out of office ...) on the timeline: the case does not open again,
    no promise changes, and nothing is ever sent back to it."""
    _check_channel(channel)
    now = clock.now()
    body = (body or "").replace("\r\n", "\n").strip() or str(_("(no text)"))
    message = Message.objects.create(
        case=case,
        direction=Direction.IN,
        channel=channel,
        subject=subject[:MAX_SUBJECT],
        body_text=body,
        visible_text=_visible(visible_text, body),
        sender=sender,
        external_id=external_id,
        is_automatic=True,
        created_at=now,
    )
    case_event_add(case=case, kind=EventKind.AUTO_REPLY, message=message, now=now)
    return message


def _owners(case: Case) -> list[Agent]:
    """Who hears about trouble on a case: its assignee, else the team's members."""
    if case.assignee_id is not None and case.assignee is not None and case.assignee.is_active:
        return [case.assignee]
    if case.team_id is not None:
        return list(Agent.objects.filter(teams=case.team_id, is_active=True).order_by("id"))
    return []


@transaction.atomic
def case_delivery_failed(*, message: Message, recipient: str, reason: str) -> CaseEvent | None:
    """A bounce came back for a message Lofte sent: the delivery is marked failed, the timeline says
    so, and the agent who owns the case is told. A second bounce for the same message changes nothing."""
    now = clock.now()
    case = message.case
    if message.outbox_message_id is not None:
        if not outbox_mark_bounced(row_id=message.outbox_message_id, reason=reason):
            return None
    elif CaseEvent.objects.filter(case=case, kind=EventKind.DELIVERY_FAILED, message=message).exists():
        return None
    recipient = recipient or (message.recipients[0] if message.recipients else "")
    event = case_event_add(
        case=case,
        kind=EventKind.DELIVERY_FAILED,
        message=message,
        data={"to": recipient, "reason": reason[:500]},
        now=now,
    )
    text = _("%(reference)s: the reply to %(to)s could not be delivered: %(reason)s") % {
        "reference": case.reference,
        "to": recipient,
        "reason": reason[:200] or _("no reason given"),
    }
    url = f"/cases/{case.reference}/"
    notify_many(
        [(agent, "delivery_failed", text, url, f"bounce:{message.pk}:{agent.pk}") for agent in _owners(case)], now=now
    )
    return event


def case_read_receipt(*, message: Message, reader: str) -> CaseEvent | None:
    """The customer's mail client reported a message as read (once per message)."""
    if CaseEvent.objects.filter(case_id=message.case_id, kind=EventKind.READ_RECEIPT, message=message).exists():
        return None
    return case_event_add(
        case=message.case,
        kind=EventKind.READ_RECEIPT,
        message=message,
        data={"by": reader},
        now=clock.now(),
    )
