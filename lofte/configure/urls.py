from django.urls import path

from lofte.configure import sms_views, views

app_name = "configure"

urlpatterns = [
    path("configure/", views.index, name="index"),
    path("configure/calendars/", views.calendar_list, name="calendars"),
    path("configure/calendars/new", views.calendar_edit, name="calendar_new"),
    path("configure/calendars/<int:calendar_id>/", views.calendar_edit, name="calendar"),
    path("configure/calendars/<int:calendar_id>/preview", views.calendar_preview_view, name="calendar_preview"),
    path("configure/sla/", views.policy_list, name="policies"),
    path("configure/sla/new", views.policy_edit, name="policy_new"),
    path("configure/sla/<int:policy_id>/", views.policy_edit, name="policy"),
    path("configure/sla/<int:policy_id>/preview", views.policy_preview_view, name="policy_preview"),
    path("configure/case-types/", views.case_type_list, name="case_types"),
    path("configure/case-types/new", views.case_type_edit, name="case_type_new"),
    path("configure/case-types/<int:case_type_id>/", views.case_type_edit, name="case_type"),
    path("configure/case-types/<int:case_type_id>/preview", views.case_type_preview_view, name="case_type_preview"),
    path("configure/case-types/<int:case_type_id>/remove", views.case_type_remove_view, name="case_type_remove"),
    path("configure/mailboxes/", views.mailbox_list, name="mailboxes"),
    path("configure/mailboxes/new", views.mailbox_edit, name="mailbox_new"),
    path("configure/mailboxes/<int:mailbox_id>/", views.mailbox_edit, name="mailbox"),
    path("configure/mailboxes/<int:mailbox_id>/preview", views.mailbox_preview_view, name="mailbox_preview"),
    path("configure/mailboxes/<int:mailbox_id>/test", views.mailbox_test, name="mailbox_test"),
    path("configure/sms/", sms_views.sms_settings, name="sms"),
    path("configure/sms/preview", sms_views.sms_preview, name="sms_preview"),
    path("configure/sms/webhooks", sms_views.sms_webhooks, name="sms_webhooks"),
    path("configure/sms/token", sms_views.sms_token, name="sms_token"),
    path("configure/sms/test", sms_views.sms_test, name="sms_test"),
]
