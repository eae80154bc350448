from django.urls import path

from lofte.teams import views

app_name = "teams"

urlpatterns = [
    path("teams/", views.team_list, name="list"),
    path("teams/<int:team_id>/", views.team_settings, name="settings"),
]
