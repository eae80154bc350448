from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from lofte.cases.acknowledgements import PLACEHOLDERS, template_check
from lofte.cases.acknowledgements import preview as ack_preview
from lofte.cases.macros import PLACEHOLDERS as MACRO_PLACEHOLDERS
from lofte.cases.models import (
    AcknowledgementTemplate,
    Attachment,
    Case,
    CaseEvent,
    CaseType,
    Macro,
    Message,
    Note,
    ReferenceSequence,
    Tag,
)
from lofte.cases.numbering import number_last
from lofte.core import clock
from lofte.core.errors import ValidationFailed
from lofte.core.placeholders import problems as placeholder_problems


@admin.register(CaseType)
class CaseTypeAdmin(admin.ModelAdmin[CaseType]):
    list_display = [
        "name",
        "default_team",
        "default_priority",
        "is_complaint",
        "expected_handling_time",
        "is_public",
        "is_active",
    ]
    list_filter = ["is_active", "is_public", "is_complaint", "default_team"]
    search_fields = ["name"]
    list_select_related = ["default_team"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin[Tag]):
    search_fields = ["name"]


class MessageInline(admin.TabularInline[Message, Case]):
    model = Message
    fields = readonly_fields = ("created_at", "direction", "channel", "sender", "body_text")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class EventInline(admin.TabularInline[CaseEvent, Case]):
    model = CaseEvent
    fields = readonly_fields = ("created_at", "kind", "actor", "data")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin[Case]):
    list_display = [
        "reference",
        "subject",
        "customer",
        "status",
        "priority",
        "team",
        "assignee",
        "channel",
        "created_at",
    ]
    list_filter = ["status", "priority", "channel", "team", "case_type"]
    search_fields = ["reference", "subject", "customer__name"]
    list_select_related = ["customer", "team", "assignee"]
    autocomplete_fields = ["customer", "tags"]
    readonly_fields = ["reference", "created_at", "updated_at", "first_response_at", "solved_at", "closed_at"]
    inlines = [MessageInline, EventInline]
    show_full_result_count = False  # no COUNT(*) over every case on each page


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin[Message]):
    list_display = ["id", "case", "direction", "channel", "sender", "created_at"]
    list_filter = ["direction", "channel"]
    search_fields = ["case__reference", "external_id", "sender"]
    list_select_related = ["case"]
    raw_id_fields = ["case", "outbox_message", "author"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin[Attachment]):
    list_display = ["filename", "content_type", "size", "sha256", "message"]
    search_fields = ["filename", "sha256"]
    raw_id_fields = ["message"]


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin[Note]):
    list_display = ["id", "case", "author", "created_at"]
    search_fields = ["case__reference", "body"]
    list_select_related = ["case", "author"]
    raw_id_fields = ["case"]


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin[CaseEvent]):
    """The timeline is append-only: events can be read, never changed."""

    list_display = ["id", "case", "kind", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["case__reference"]
    list_select_related = ["case", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ReferenceSequence)
class ReferenceSequenceAdmin(admin.ModelAdmin[ReferenceSequence]):
    list_display = ["year", "last_number"]
    readonly_fields = ["year", "last_number"]
    exclude = ["last_value"]

    @admin.display(description=_("last number handed out"))
    def last_number(self, obj: ReferenceSequence) -> int:
        """On PostgreSQL the year's sequence holds it (lofte.cases.numbering); the row, where it started."""
        return number_last(obj.year)


class AcknowledgementTemplateForm(forms.ModelForm[AcknowledgementTemplate]):
    class Meta:
        model = AcknowledgementTemplate
        fields = ["case_type", "language", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "cols": 80})}

    def clean_body(self) -> str:
        body = str(self.cleaned_data["body"])
        if problems := template_check(body):
            raise forms.ValidationError(problems)
        return body


@admin.register(AcknowledgementTemplate)
class AcknowledgementTemplateAdmin(admin.ModelAdmin[AcknowledgementTemplate]):
    """What new cases are told, per case type and language, with a preview filled with sample values."""

    form = AcknowledgementTemplateForm
    list_display = ["case_type", "language", "updated_at"]
    list_filter = ["language", "case_type"]
    readonly_fields = ["placeholders", "preview"]
    fields = ["case_type", "language", "body", "placeholders", "preview"]

    @admin.display(description=_("placeholders"))
    def placeholders(self, obj: AcknowledgementTemplate | None) -> str:
        return ", ".join("{" + p + "}" for p in PLACEHOLDERS)

    @admin.display(description=_("preview"))
    def preview(self, obj: AcknowledgementTemplate | None) -> str:
        if obj is None or not obj.pk:
            return str(_("Save to see a preview with sample values."))
        try:
            text = ack_preview(body=obj.body, language=obj.language, now=clock.now())
        except ValidationFailed as exc:
            return str(_("The template cannot be filled in: %(error)s") % {"error": exc.message})
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def save_model(self, request: HttpRequest, obj: AcknowledgementTemplate, form: forms.Form, change: bool) -> None:
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)


class MacroAdminForm(forms.ModelForm[Macro]):
    class Meta:
        model = Macro
        fields = ["name", "body", "language", "owner", "team", "set_status", "add_tags", "set_team", "follow_up_hours"]

    def clean_body(self) -> str:
        body = str(self.cleaned_data["body"])
        if problems := placeholder_problems(body, MACRO_PLACEHOLDERS):
            raise forms.ValidationError(problems)
        return body


@admin.register(Macro)
class MacroAdmin(admin.ModelAdmin[Macro]):
    """For support: agents, leads and admins keep their macros on the macros page (lofte.cases.views)."""

    form = MacroAdminForm
    list_display = ["name", "language", "owner", "team", "usage_count", "updated_at"]
    list_filter = ["language", "team"]
    search_fields = ["name", "body"]
    raw_id_fields = ["owner"]

    def save_model(self, request: HttpRequest, obj: Macro, form: forms.Form, change: bool) -> None:
        obj.updated_at = clock.now()
        super().save_model(request, obj, form, change)
