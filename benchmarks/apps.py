from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmarks' management commands; no models."""

    name = "benchmarks"
    label = "benchmarks"
    verbose_name = "Lofte benchmarks"
