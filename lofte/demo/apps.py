from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo data set (`lofte seed_demo`): it composes every app, so it sits above them all."""

    name = "lofte.demo"
    label = "demo"
    verbose_name = _("Demo data")
