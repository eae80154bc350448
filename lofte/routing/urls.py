from django.urls import path

from lofte.routing import views

app_name = "routing"

urlpatterns = [
    path("routing/", views.routing_home, name="home"),
    path("routing/status/", views.my_status, name="status"),
    path("routing/teams/<int:team_id>/", views.team_routing, name="team"),
    path("routing/agents/<int:agent_id>/", views.agent_routing, name="agent"),
    path("routing/triage", views.triage, name="triage"),
]
