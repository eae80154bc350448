"""Admin: mailboxes (IMAP and SMTP settings) and inbound email with its quarantine."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lofte.channels.email.imap import mailbox_poll
from lofte.channels.email.ingest import inbound_reprocess, own_addresses_clear
from lofte.channels.models import InboundEmail, InboundState, Mailbox


class MailboxForm(forms.ModelForm[Mailbox]):
    class Meta:
        model = Mailbox
        fields = [
            f.name for f in Mailbox._meta.fields if f.editable and f.name not in ("id", "last_polled_at", "last_error")
        ]
        widgets = {
            "imap_password": forms.PasswordInput(render_value=True),
            "smtp_password": forms.PasswordInput(render_value=True),
        }


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    form = MailboxForm
    list_display = ["name", "address", "team", "is_active", "imap_host", "last_polled_at", "has_error"]
    list_filter = ["is_active"]
    search_fields = ["name", "address"]
    readonly_fields = ["last_polled_at", "last_error"]
    actions = ["fetch_now"]
    fieldsets = [
        (None, {"fields": ["name", "address", "display_name", "team", "case_type", "is_active"]}),
        (
            _("Fetching (IMAP)"),
            {
                "fields": [
                    "imap_host",
                    "imap_port",
                    "imap_security",
                    "imap_user",
                    "imap_password",
                    "imap_folder",
                    "after_fetch",
                    "processed_folder",
                    "last_polled_at",
                    "last_error",
                ]
            },
        ),
        (_("Sending (SMTP)"), {"fields": ["smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password"]}),
    ]

    @admin.display(boolean=True, description=_("fetching error"))
    def has_error(self, obj: Mailbox) -> bool:
        return bool(obj.last_error)

    def save_model(self, request: HttpRequest, obj: Mailbox, form: forms.Form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        own_addresses_clear()

    @admin.action(description=_("Fetch new mail now (also checks the IMAP settings)"))
    def fetch_now(self, request: HttpRequest, queryset: QuerySet[Mailbox]) -> None:
        for mailbox in queryset.order_by("name"):
            if not mailbox.imap_host:
                self.message_user(
                    request, _("%(name)s has no IMAP server to fetch from.") % {"name": mailbox.name}, messages.WARNING
                )
                continue
            report = mailbox_poll(mailbox)
            if report.error:
                self.message_user(
                    request, _("%(name)s: %(error)s") % {"name": mailbox.name, "error": report.error}, messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    ngettext("%(name)s: %(n)d message fetched.", "%(name)s: %(n)d messages fetched.", report.fetched)
                    % {"name": mailbox.name, "n": report.fetched},
                    messages.SUCCESS,
                )


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin[InboundEmail]):
    list_display = ["received_at", "from_address", "subject", "state", "outcome", "case_link", "source", "size"]
    list_filter = ["state", "outcome", "source", "mailbox"]
    search_fields = ["from_address", "subject", "message_id", "sha256"]
    readonly_fields = [
        *(f.name for f in InboundEmail._meta.fields if f.name not in ("accepted_message_id", "raw")),
        "raw_link",
    ]
    exclude = ["accepted_message_id", "raw"]
    actions = ["reprocess"]
    date_hierarchy = "received_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: InboundEmail | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundEmail]:
        return super().get_queryset(request).select_related("case", "mailbox").defer("raw")

    @admin.display(description=_("case"))
    def case_link(self, obj: InboundEmail) -> str:
        if obj.case is None:
            return "—"
        return format_html('<a href="/cases/{}/">{}</a>', obj.case.reference, obj.case.reference)

    @admin.display(description=_("original"))
    def raw_link(self, obj: InboundEmail) -> str:
        url = reverse("admin:lofte_channels_inboundemail_raw", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download the original (.eml)"))

    def get_urls(self) -> list[URLPattern]:
        extra = [
            path(
                "<int:pk>/raw/",
                self.admin_site.admin_view(self.raw_view),
                name="lofte_channels_inboundemail_raw",
            ),
            path(
                "<int:pk>/reprocess/",
                self.admin_site.admin_view(self.reprocess_view),
                name="lofte_channels_inboundemail_reprocess",
            ),
        ]
        return extra + super().get_urls()

    def raw_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        if not self.has_view_permission(request):
            return HttpResponse(status=403)
        row = get_object_or_404(InboundEmail, pk=pk)
        name = f"{row.sha256[:16]}.eml"
        if row.raw is not None:
            response = HttpResponse(bytes(row.raw), content_type="message/rfc822")
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        handle = default_storage.open(row.raw_path, "rb")
        return FileResponse(handle, as_attachment=True, filename=name, content_type="message/rfc822")

    def reprocess_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if request.method != "POST" or not self.has_view_permission(request):
            return HttpResponse(status=405)
        row = get_object_or_404(InboundEmail, pk=pk)
        self._reprocess([row], request)
        return HttpResponseRedirect(reverse("admin:lofte_channels_inboundemail_change", args=[pk]))

    @admin.action(description=_("Process the selected quarantined emails again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundEmail]) -> None:
        self._reprocess(list(queryset.exclude(state=InboundState.PROCESSED)), request)

    def _reprocess(self, rows: list[InboundEmail], request: HttpRequest) -> None:
        results = [inbound_reprocess(row) for row in rows if row.state != InboundState.PROCESSED]
        still = [r for r in results if r.error]
        done = len(results) - len(still)
        self.message_user(
            request,
            ngettext("%d email processed.", "%d emails processed.", done) % done,
            messages.SUCCESS,
        )
        for result in still:
            self.message_user(request, _("Still quarantined: %(reason)s") % {"reason": result.error}, messages.WARNING)


from lofte.channels.sms import admin as sms_admin  # noqa: E402, F401  (registers its models)
from lofte.channels.webhooks import admin as webhooks_admin  # noqa: E402, F401  (registers its models)
