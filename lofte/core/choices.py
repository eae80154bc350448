"""Shared vocabularies of the domain: case statuses, priorities and channels.

They live here, below every app, because more than one app speaks them
(cases use them, SLA policies match on them); `lofte.cases.models`
re-exports them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    WAITING_ON_CUSTOMER = "waiting_on_customer", _("Waiting on customer")
    WAITING_ON_THIRD_PARTY = "waiting_on_third_party", _("Waiting on third party")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


ACTIVE_STATUSES = [Status.NEW, Status.OPEN, Status.WAITING_ON_CUSTOMER, Status.WAITING_ON_THIRD_PARTY]


class Priority(models.IntegerChoices):
    LOW = 1, _("Low")
    NORMAL = 2, _("Normal")
    HIGH = 3, _("High")
    URGENT = 4, _("Urgent")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEB = "web", _("Web")
    CHAT = "chat", _("Chat")
    SMS = "sms", _("SMS")
    PHONE = "phone", _("Phone")
    API = "api", _("API")
    WEBHOOK = "webhook", _("Webhook")
