from django.urls import URLPattern, URLResolver, path

from lofte.incidents import views

app_name = "incidents"
urlpatterns: list[URLPattern | URLResolver] = [
    path("incidents/", views.incident_list, name="list"),
    path("incidents/new", views.incident_new, name="new"),
    path("incidents/<int:incident_id>/", views.incident_detail, name="detail"),
    path("incidents/<int:incident_id>/updates", views.incident_post, name="post"),
    path("incidents/<int:incident_id>/ready", views.incident_ready, name="ready"),
    path("incidents/<int:incident_id>/link", views.incident_link, name="link"),
    path("status/", views.status_page, name="status"),
    path("status.json", views.status_json, name="status_json"),
    path("status/feed.atom", views.status_feed, name="feed"),
    path("status/subscribe", views.subscribe, name="subscribe"),
    path("status/confirm/<str:token>", views.confirm, name="confirm"),
    path("status/unsubscribe/<str:token>", views.unsubscribe, name="unsubscribe"),
]
