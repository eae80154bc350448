from django.urls import path

from lofte.cases import views

app_name = "cases"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/views", views.inbox_views, name="views"),
    path("inbox/views/save", views.view_save, name="view_save"),
    path("inbox/views/<int:view_id>/delete", views.view_delete, name="view_delete"),
    path("cases/new/", views.case_new, name="new"),
    path("cases/bulk", views.cases_bulk, name="bulk"),
    path("cases/<str:reference>/", views.case_detail, name="detail"),
    path("cases/<str:reference>/reply", views.case_reply, name="reply"),
    path("cases/<str:reference>/macro", views.case_macro, name="macro"),
    path("cases/<str:reference>/note", views.case_note, name="note"),
    path("cases/<str:reference>/mentions", views.case_mention_candidates, name="mentions"),
    path("cases/<str:reference>/kb", views.case_kb_pick, name="kb_pick"),
    path("cases/<str:reference>/promise", views.case_promise, name="promise"),
    path("cases/<str:reference>/status", views.case_status, name="status"),
    path("cases/<str:reference>/assign", views.case_assign, name="assign"),
    path("cases/<str:reference>/properties", views.case_properties, name="properties"),
    path("cases/<str:reference>/merge", views.case_merge, name="merge"),
    path("cases/<str:reference>/forward", views.case_forward, name="forward"),
    path("cases/<str:reference>/reply/preview", views.case_reply_preview, name="reply_preview"),
    path("cases/<str:reference>/split", views.case_split, name="split"),
    path("cases/<str:reference>/link", views.case_link, name="link"),
    path("cases/<str:reference>/unlink", views.case_unlink, name="unlink"),
]

urlpatterns += [
    path("cases/<str:reference>/attachments/<int:attachment_id>", views.case_attachment, name="attachment"),
]

urlpatterns += [
    path("macros/", views.macro_list, name="macros"),
    path("macros/new", views.macro_edit, name="macro_new"),
    path("macros/<int:macro_id>/", views.macro_edit, name="macro_edit"),
    path("macros/<int:macro_id>/delete", views.macro_delete, name="macro_delete"),
]
