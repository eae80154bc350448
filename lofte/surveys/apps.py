from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "lofte.surveys"
    label = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from lofte.surveys import seams

        seams.register()
