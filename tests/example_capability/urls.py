"""The project's addresses plus the example capability's API (built the way config.api builds the product's)."""

from django.urls import path

from config.api import lofte_api
from config.urls import urlpatterns as project
from tests.example_capability.api import router

example_api = lofte_api(routers=[("/", router)], urls_namespace="example_api", docs_url="")

urlpatterns = [path("api/example/", example_api.urls), *project]
