from django.urls import path

from lofte.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_index, name="list"),
    path("notifications/read", views.notification_read, name="read"),
]
