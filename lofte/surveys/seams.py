"""What surveys add to the other apps through their seams: the answer on the case's timeline. Called from
SurveysConfig.ready(); no app below imports this one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lofte.cases.events import event_type_register
from lofte.surveys.services import EVENT


def register() -> None:
    event_type_register(EVENT, label=_("Survey answered"), template="surveys/events/answered.html")
