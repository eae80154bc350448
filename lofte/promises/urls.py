from django.urls import path

from lofte.promises import views

app_name = "promises"

urlpatterns = [
    path("promises/", views.board, name="board"),
    path("promises/kept-rate", views.kept_rate, name="kept_rate"),
]
