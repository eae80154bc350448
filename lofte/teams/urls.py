from django.urls import path

from lofte.teams import views

app_name = "teams"

urlpatterns = [
    path("teams/", views.team_list, name="list"),
    path("teams/new", views.team_new, name="new"),
    path("teams/<int:team_id>/", views.team_settings, name="settings"),
    path("teams/<int:team_id>/rename", views.team_rename, name="rename"),
    path("teams/<int:team_id>/delete", views.team_delete, name="delete"),
    path("teams/<int:team_id>/members/add", views.team_member_add, name="member_add"),
    path("teams/<int:team_id>/members/<int:agent_id>/remove", views.team_member_remove, name="member_remove"),
    path("agents/", views.agent_list, name="agents"),
    path("agents/new", views.agent_new, name="agent_new"),
    path("agents/<int:agent_id>/", views.agent_edit, name="agent"),
    path("agents/<int:agent_id>/deactivate", views.agent_deactivate, name="agent_deactivate"),
    path("agents/<int:agent_id>/reactivate", views.agent_reactivate, name="agent_reactivate"),
    path("agents/<int:agent_id>/invite", views.agent_invite, name="agent_invite"),
    path("set-password/<uidb64>/<token>/", views.set_password, name="set_password"),
    path("templates/acknowledgements/", views.ack_list, name="ack_templates"),
    path("templates/acknowledgements/new", views.ack_edit, name="ack_template_new"),
    path("templates/acknowledgements/<int:template_id>/", views.ack_edit, name="ack_template"),
    path("templates/acknowledgements/<int:template_id>/delete", views.ack_delete, name="ack_template_delete"),
    path("templates/notices/", views.notice_list, name="notices"),
    path("templates/notices/<slug:kind>/<slug:language>/", views.notice_edit, name="notice"),
    path("templates/notices/<slug:kind>/<slug:language>/reset", views.notice_reset, name="notice_reset"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new", views.webhook_edit, name="webhook_new"),
    path("webhooks/<int:source_id>/", views.webhook_edit, name="webhook"),
    path("webhooks/<int:source_id>/rotate", views.webhook_rotate, name="webhook_rotate"),
]
