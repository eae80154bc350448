from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebformConfig(AppConfig):
    name = "lofte.webform"
    label = "webform"
    verbose_name = _("Contact form")

    def ready(self) -> None:
        from lofte.webform import seams

        seams.register()
