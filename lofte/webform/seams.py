"""What the contact form adds to the cases app: the timeline event that tells the agent what the customer read
and searched in the help centre before writing. Called from WebformConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lofte.cases.events import event_type_register
from lofte.webform.services import EVENT_KB_CONTEXT


def register() -> None:
    event_type_register(EVENT_KB_CONTEXT, label=_("Read in the help centre"), template="webform/events/kb_context.html")
