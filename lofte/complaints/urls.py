from django.urls import URLPattern, URLResolver, path

from lofte.complaints import views

app_name = "complaints"
urlpatterns: list[URLPattern | URLResolver] = [
    path("complaints/", views.register, name="register"),
    path("complaints/register.csv", views.register_csv, name="register_csv"),
    path("complaints/register/print", views.register_print, name="register_print"),
    path("complaints/analysis/", views.analysis_page, name="analysis"),
    path("complaints/analysis/<str:key>.csv", views.analysis_csv, name="analysis_csv"),
    path("check/<str:token>", views.check, name="check"),
    path("cases/<str:reference>/complaint/flag", views.flag, name="flag"),
    path("cases/<str:reference>/complaint/unflag", views.unflag, name="unflag"),
    path("cases/<str:reference>/complaint", views.update, name="update"),
    path("cases/<str:reference>/complaint/steps/<int:step_id>", views.step, name="step"),
    path("cases/<str:reference>/complaint/compensation", views.compensation_propose, name="compensation_propose"),
    path("compensation/<int:compensation_id>/<str:action>", views.compensation_act, name="compensation_act"),
    path("complaints/compensation/", views.ledger, name="ledger"),
    path("complaints/compensation.csv", views.ledger_csv, name="ledger_csv"),
]
