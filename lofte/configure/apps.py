from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConfigureConfig(AppConfig):
    name = "lofte.configure"
    label = "configure"
    verbose_name = _("Settings")
