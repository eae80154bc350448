from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TriageConfig(AppConfig):
    name = "lofte.triage"
    label = "triage"
    verbose_name = _("Text understanding")

    def ready(self) -> None:
        from lofte.triage import seams

        seams.register()
