from django.urls import path

from lofte.customers import views

app_name = "customers"

urlpatterns = [
    path("customers/", views.customer_index, name="list"),
    path("customers/import", views.customer_import, name="import"),
    path("customers/<int:customer_id>/", views.customer_detail, name="detail"),
    path("customers/<int:customer_id>/edit", views.customer_update, name="update"),
    path(
        "customers/<int:customer_id>/suggestions/<int:suggestion_id>/<str:decision>",
        views.suggestion_decide,
        name="suggestion",
    ),
]
