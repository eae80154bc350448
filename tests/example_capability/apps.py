from django.apps import AppConfig


class ExampleCapabilityConfig(AppConfig):
    name = "tests.example_capability"
    label = "example_capability"

    def ready(self) -> None:
        from tests.example_capability import seams

        seams.register()
