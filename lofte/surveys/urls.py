from django.urls import path

from lofte.surveys import views

app_name = "surveys"

urlpatterns = [
    path("survey/<str:token>", views.survey, name="survey"),
]
