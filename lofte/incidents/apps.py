from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "lofte.incidents"
    label = "incidents"
    verbose_name = _("Incidents and status page")

    def ready(self) -> None:
        from lofte.incidents import seams

        seams.register()
