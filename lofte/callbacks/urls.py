from django.urls import URLPattern, URLResolver

app_name = "callbacks"
urlpatterns: list[URLPattern | URLResolver] = []
