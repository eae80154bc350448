from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "lofte.complaints"
    label = "complaints"
    verbose_name = _("Complaints")

    def ready(self) -> None:
        from lofte.complaints import seams

        seams.register()
