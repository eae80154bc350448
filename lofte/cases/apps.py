from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "lofte.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from lofte.cases import seams

        seams.register()
        post_migrate.connect(_search_index, sender=self)


def _search_index(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """The database's search index (lofte.cases.search), also where the tables were made without migrations."""
    from django.db import connections

    from lofte.cases.search import search_index_ensure

    search_index_ensure(connections[using])
