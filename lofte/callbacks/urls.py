from django.urls import URLPattern, URLResolver, path

from lofte.callbacks import views

app_name = "callbacks"
urlpatterns: list[URLPattern | URLResolver] = [
    path("callback", views.callback_request, name="request"),
    path("callback/booked", views.callback_booked, name="booked"),
    path("callbacks/", views.queue, name="queue"),
    path("callbacks/book", views.book, name="book"),
    path("callbacks/<int:callback_id>/attempt", views.attempt, name="attempt"),
    path("callbacks/calls", views.call_new, name="call_new"),
    path("callbacks/kept.json", views.kept_json, name="kept_json"),
]
