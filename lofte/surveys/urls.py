from django.urls import path

from lofte.surveys import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:token>", views.survey, name="survey"),
    path("pulse/", views.pulse_page, name="pulse"),
    path("pulse/results/", views.pulse_results_page, name="pulse_results"),
]
