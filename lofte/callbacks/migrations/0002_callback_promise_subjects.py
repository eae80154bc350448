from django.db import migrations
from django.db.models import OuterRef, Subquery


def callback_subjects(apps, schema_editor):
    """A callback's promise is about the callback (shown on its case)."""
    Promise = apps.get_model("promises", "Promise")
    Callback = apps.get_model("callbacks", "Callback")
    Promise.objects.filter(pk__in=Callback.objects.values("promise_id")).update(
        subject_type="callback",
        subject_id=Subquery(Callback.objects.filter(promise_id=OuterRef("pk")).values("pk")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("callbacks", "0001_callbacks"),
        ("promises", "0006_promise_subjects"),
    ]

    operations = [migrations.RunPython(callback_subjects, migrations.RunPython.noop)]
