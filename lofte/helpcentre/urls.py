from django.urls import URLPattern, URLResolver, path

from lofte.helpcentre import views

app_name = "helpcentre"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.pick_language, name="root"),
    path("sitemap.xml", views.sitemap, name="sitemap"),
    path("files/<int:file_id>/<str:name>", views.article_file, name="file"),
    path("<str:lang>/", views.home, name="home"),
    path("<str:lang>/search", views.search, name="search"),
    path("<str:lang>/c/<slug:category>", views.category, name="category"),
    path("<str:lang>/a/<slug:slug>", views.article, name="article"),
    path("<str:lang>/a/<slug:slug>/vote", views.vote, name="vote"),
]
