from django.contrib.auth import views as auth_views
from django.urls import path

from lofte.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", views.preferences, name="preferences"),
    path("settings/tokens/<str:prefix>/revoke", views.token_revoke, name="token_revoke"),
]
