"""What a denied request must leave as it was: every row of the tables a request could change, as a count and a
checksum of the rows' values, compared before and after."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from typing import Any

from django.apps import apps
from django.db import connection, models

# app_label.Model: the rows a request may change (cases, messages, notes, events, promises, customers,
# identities, suggestions, callbacks, calls, outbox, and the configuration and accounts around them)
TABLES = (
    "accounts.Team",
    "accounts.Agent",
    "accounts.ApiToken",
    "customers.Organisation",
    "customers.Customer",
    "customers.CustomerIdentity",
    "customers.IdentitySuggestion",
    "cases.CaseType",
    "cases.Tag",
    "cases.Case",
    "cases.Message",
    "cases.Attachment",
    "cases.Note",
    "cases.CaseEvent",
    "cases.Macro",
    "cases.SavedView",
    "cases.CaseLink",
    "cases.AcknowledgementTemplate",
    "cases.NoticeTemplate",
    "promises.BusinessCalendar",
    "promises.SlaPolicy",
    "promises.Promise",
    "notifications.Notification",
    "outbox.OutboxMessage",
    "callbacks.CallbackCapacity",
    "callbacks.CallbackSlot",
    "callbacks.Callback",
    "callbacks.CallbackAttempt",
    "callbacks.Call",
    "lofte_channels.Mailbox",
    "lofte_channels.InboundEmail",
    "lofte_channels.WebhookSource",
    "lofte_channels.WebhookMessage",
    "lofte_channels.WebhookRejection",
    "lofte_channels.InboundSms",
    "lofte_channels.SmsDelivery",
    "lofte_channels.SmsSettings",
    "portal.PortalToken",
    "routing.Availability",
    "routing.ChannelCapacity",
    "routing.Skill",
    "routing.TeamRouting",
    "routing.RoutingSettings",
    "kb.Category",
    "kb.Section",
    "kb.Article",
    "kb.ArticleTranslation",
    "kb.ArticleRevision",
    "kb.SlugRedirect",
    "kb.ArticleVote",
    "kb.ArticleFile",
    "kb.SearchLog",
    "triage.TrainingExample",
    "triage.TriageModel",
    "triage.Suggestion",
    "triage.FieldSetting",
    "complaints.Complaint",
    "complaints.Category",
    "complaints.RootCause",
    "complaints.ComplaintSettings",
    "complaints.Compensation",
    "complaints.ApprovalLimit",
    "complaints.ProcedureStep",
    "complaints.StepDone",
    "incidents.ComponentGroup",
    "incidents.Component",
    "incidents.Incident",
    "incidents.Affected",
    "incidents.IncidentUpdate",
    "incidents.IncidentCase",
    "incidents.CadenceStep",
    "incidents.Subscriber",
    "complaints.TemperatureCheck",
    "customers.TierRule",
    "surveys.SurveyRule",
    "surveys.Survey",
    "surveys.PulseRound",
    "surveys.PulseTaken",
    "surveys.PulseAnswer",
)
# Columns that change on reads: when a token or a login was last used.
IGNORED_COLUMNS = {"accounts.Agent": {"last_login"}, "accounts.ApiToken": {"last_used_at"}}

Snapshot = dict[str, tuple[int, str]]


@cache
def _queries(label: str) -> list[str]:
    """The SELECTs that read every row of the model's table (and its many-to-many tables) in a fixed order.
    Plain SQL through one cursor: a snapshot is taken twice per checked write, so it has to be cheap."""
    model = apps.get_model(label)
    quote = connection.ops.quote_name
    ignored = IGNORED_COLUMNS.get(label, set())
    columns = ", ".join(quote(f.column) for f in model._meta.concrete_fields if f.name not in ignored)
    pk = quote(model._meta.pk.column)  # type: ignore[union-attr]
    queries = [f"SELECT {columns} FROM {quote(model._meta.db_table)} ORDER BY {pk}"]  # noqa: S608
    for m2m in model._meta.many_to_many:  # e.g. a case's tags, an agent's teams
        through: type[models.Model] = m2m.remote_field.through  # type: ignore[union-attr,assignment]
        queries.append(f"SELECT * FROM {quote(through._meta.db_table)} ORDER BY 1")  # noqa: S608
    return queries


def _rows(cursor: Any, label: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for i, query in enumerate(_queries(label)):
        cursor.execute(query)
        rows = cursor.fetchall()
        if i == 0:
            count = len(rows)
        digest.update(repr(rows).encode())
    return count, digest.hexdigest()


def take(tables: Iterable[str] = TABLES) -> Snapshot:
    with connection.cursor() as cursor:
        return {label: _rows(cursor, label) for label in tables}


def changed(before: Snapshot, after: Snapshot) -> list[str]:
    """The tables whose rows differ."""
    return sorted(label for label in before if before[label] != after[label])
