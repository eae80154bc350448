from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallbacksConfig(AppConfig):
    name = "lofte.callbacks"
    label = "callbacks"
    verbose_name = _("Callbacks and calls")

    def ready(self) -> None:
        from lofte.callbacks import seams

        seams.register()
