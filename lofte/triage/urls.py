from django.urls import URLPattern, URLResolver, path

from lofte.triage import views

app_name = "triage"
urlpatterns: list[URLPattern | URLResolver] = [
    path("suggestions/<int:suggestion_id>/decide", views.decide, name="decide"),
    path("configure/text-models/", views.home, name="home"),
    path("configure/text-models/<str:field>/", views.field, name="field"),
    path("configure/text-models/<str:field>/train", views.train, name="train"),
    path("configure/text-models/<str:field>/models/<int:model_id>/switch-on", views.switch_on, name="switch_on"),
    path("configure/text-models/<str:field>/switch-off", views.switch_off, name="switch_off"),
]
