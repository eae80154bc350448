from django.urls import URLPattern, URLResolver, path
from django.views.generic import RedirectView

from lofte.webform import views

app_name = "webform"
urlpatterns: list[URLPattern | URLResolver] = [
    path("contact", views.contact, name="contact"),
    path("contact/", RedirectView.as_view(pattern_name="webform:contact", query_string=True, permanent=False)),
    path("contact/thanks/<str:reference>", views.thanks, name="thanks"),
    path("contact/suggestions", views.suggestions, name="suggestions"),
]
