from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpCentreConfig(AppConfig):
    name = "lofte.helpcentre"
    label = "helpcentre"
    verbose_name = _("Help centre")
