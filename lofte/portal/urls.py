from django.urls import URLPattern, URLResolver, path

from lofte.portal import views

app_name = "portal"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.link_request, name="request"),
    path("login/<str:secret>/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("cases/", views.case_list, name="cases"),
    path("cases/new/", views.case_new, name="new"),
    path("cases/<str:reference>/", views.case_detail, name="case"),
    path("cases/<str:reference>/message", views.case_message, name="message"),
    path("cases/<str:reference>/close", views.case_close, name="close"),
    path("cases/<str:reference>/reopen", views.case_reopen, name="reopen"),
    path("cases/<str:reference>/files/<int:attachment_id>", views.attachment, name="attachment"),
]
