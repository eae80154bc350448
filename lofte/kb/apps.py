from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KbConfig(AppConfig):
    name = "lofte.kb"
    label = "kb"
    verbose_name = _("Knowledge base")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_lexical_index, sender=self)


def _lexical_index(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """The database's full-text index over the articles (lofte.kb.lexical), also where the tables were made
    without migrations (the test run)."""
    from django.db import connections

    from lofte.kb.lexical import lexical_index_ensure

    lexical_index_ensure(connections[using])
