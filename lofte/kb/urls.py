from django.urls import path

from lofte.kb import views

app_name = "kb"

urlpatterns = [
    path("kb/", views.article_list, name="list"),
    path("kb/new", views.article_new, name="new"),
    path("kb/preview", views.preview, name="preview"),
    path("kb/review", views.review, name="review"),
    path("kb/review/<int:revision_id>/publish", views.review_publish, name="review_publish"),
    path("kb/review/<int:revision_id>/return", views.review_return, name="review_return"),
    path("kb/reports", views.reports, name="reports"),
    path("kb/categories", views.category_list, name="categories"),
    path("kb/categories/new", views.category_new, name="category_new"),
    path("kb/categories/<int:category_id>/", views.category_edit, name="category"),
    path("kb/categories/<int:category_id>/sections/new", views.section_new, name="section_new"),
    path("kb/sections/<int:section_id>/", views.section_edit, name="section"),
    path("kb/<int:article_id>/settings", views.article_settings, name="settings"),
    path("kb/<int:article_id>/files", views.file_add, name="file_add"),
    path("kb/<int:article_id>/files/<int:file_id>/delete", views.file_delete, name="file_delete"),
    path("kb/files/<int:file_id>/<str:name>", views.file, name="file"),
    path("kb/<int:article_id>/translate", views.translation_new, name="translate"),
    path("kb/<int:article_id>/<slug:language>/", views.translation_view, name="translation"),
    path("kb/<int:article_id>/<slug:language>/edit", views.translation_edit, name="edit"),
    path("kb/<int:article_id>/<slug:language>/unpublish", views.translation_unpublish, name="unpublish"),
    path("kb/<int:article_id>/<slug:language>/history", views.history, name="history"),
    path("kb/<int:article_id>/<slug:language>/history/<int:number>", views.revision_diff, name="diff"),
]
