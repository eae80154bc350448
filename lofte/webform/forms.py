"""The contact form: what a customer may send, and what to tell them when something needs fixing."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from lofte.cases.models import CaseType
from lofte.cases.services import AttachmentInput
from lofte.core.errors import ValidationFailed
from lofte.customers.identities import normalise
from lofte.customers.models import IdentityKind
from lofte.incidents.outage import affected_components
from lofte.webform import files
from lofte.webform.services import ContactSubmission

MAX_MESSAGE = 20000


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.Field):
    """Any number of files; the form checks each one (kind, size) and names it in the message."""

    widget = MultipleFileInput

    def clean(self, value: Any) -> list[UploadedFile]:
        items = value if isinstance(value, list) else [value] if value else []
        return [item for item in items if item]


def accepted_kinds() -> list[str]:
    extensions = files.allowed_extensions(settings.LOFTE_CONTACT_FILE_TYPES)
    return list(dict.fromkeys(files.KINDS[ext].label for ext in extensions))


class ContactForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Your name"),
        max_length=200,
        error_messages={"required": gettext_lazy("Tell us your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.CharField(
        label=gettext_lazy("Email address"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone number"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    case_type = forms.ChoiceField(
        label=gettext_lazy("What is it about?"),
        error_messages={
            "required": gettext_lazy("Choose what your message is about."),
            "invalid_choice": gettext_lazy("Choose one of the topics in the list."),
        },
    )
    subject = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=MAX_MESSAGE,
        strip=True,
        error_messages={
            "required": gettext_lazy("Write your message: what happened, and what you would like us to do.")
        },
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    complaint = forms.BooleanField(
        label=gettext_lazy("I want to make a complaint"),
        required=False,
        help_text=gettext_lazy("A complaint is registered and handled by a set time, and we tell you when."),
    )
    attachments = AttachmentsField(label=gettext_lazy("Attachments"), required=False)
    started = forms.CharField(required=False, widget=forms.HiddenInput)
    # what the customer came from in the help centre (the article's "Write to us", a search without an answer)
    # (text, not a number field: a hidden field the customer cannot see must never stop their message; anything
    # but an id is ignored)
    kb_article = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    kb_search = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    homepage = forms.CharField(required=False)  # the honeypot: people never see it, bots fill it in

    def __init__(self, *args: Any, case_types: list[tuple[CaseType, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_types = {str(case_type.pk): case_type for case_type, _name in case_types}
        if case_types:
            field = self.fields["case_type"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", _("Choose a topic"))] + [(str(case_type.pk), name) for case_type, name in case_types]
        else:
            del self.fields["case_type"]
        self.fields["phone"].help_text = format_lazy(
            gettext_lazy("A number without a country code is read as +{code}."),
            code=phonenumbers.country_code_for_region(settings.LOFTE_PHONE_REGION),
        )
        limit = settings.LOFTE_MAX_ATTACHMENT_BYTES
        self.fields["attachments"].help_text = format_lazy(
            gettext_lazy("{kinds}; at most {per_file} each and {total} in all."),
            kinds=", ".join(accepted_kinds()),
            per_file=filesizeformat(limit),
            total=filesizeformat(max(limit, settings.LOFTE_CONTACT_MAX_TOTAL_BYTES)),
        )
        accept = ",".join(f".{ext}" for ext in files.allowed_extensions(settings.LOFTE_CONTACT_FILE_TYPES))
        self.fields["attachments"].widget.attrs["accept"] = accept
        # during an outage: "is it about this?", the components active incidents affect (cached: no query)
        if affected := affected_components():
            self.fields["incident_component"] = forms.TypedChoiceField(
                label=gettext_lazy("Is it about a problem we already know of?"),
                required=False,
                coerce=int,
                empty_value=None,
                choices=[("", _("No, or I am not sure")), *((str(pk), name) for pk, name in affected)],
                help_text=gettext_lazy("Then you need not wait for an answer: follow it on the status page."),
            )

    # --- fields -----------------------------------------------------------

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if not value:
            return ""
        try:
            return normalise(IdentityKind.EMAIL, value)
        except ValidationFailed as exc:
            raise forms.ValidationError(
                _("“%(value)s” is not an email address we can write to; check it (it looks like name@example.se).")
                % {"value": value},
                code="invalid",
            ) from exc

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if not value:
            return ""
        try:
            return normalise(IdentityKind.PHONE, value)
        except ValidationFailed as exc:
            raise forms.ValidationError(
                _(
                    "“%(value)s” is not a phone number we can reach; check it, "
                    "and start with the country code if it is not +%(code)s."
                )
                % {"value": value, "code": phonenumbers.country_code_for_region(settings.LOFTE_PHONE_REGION)},
                code="invalid",
            ) from exc

    def clean_case_type(self) -> CaseType | None:
        value = self.cleaned_data.get("case_type") or ""
        return self.case_types.get(value)

    def clean_subject(self) -> str:
        return " ".join(self.cleaned_data["subject"].split())

    def clean_attachments(self) -> list[AttachmentInput]:
        uploads: list[UploadedFile] = self.cleaned_data["attachments"]
        allowed = files.allowed_extensions(settings.LOFTE_CONTACT_FILE_TYPES)
        per_file = settings.LOFTE_MAX_ATTACHMENT_BYTES
        total_limit = max(per_file, settings.LOFTE_CONTACT_MAX_TOTAL_BYTES)
        max_files = settings.LOFTE_CONTACT_MAX_FILES
        problems: list[str] = []
        accepted: list[AttachmentInput] = []
        total = 0
        for count, upload in enumerate(uploads, start=1):
            name = files.safe_filename(upload.name or "")
            reason = getattr(upload, "reason", "")
            size = upload.size or 0
            ext = files.extension(name)
            if reason == files.REFUSED_COUNT or (not reason and count > max_files):
                problems.append(
                    ngettext(
                        "“%(name)s” was not accepted: you can attach at most %(count)d file.",
                        "“%(name)s” was not accepted: you can attach at most %(count)d files.",
                        max_files,
                    )
                    % {"name": name, "count": max_files}
                )
            elif reason == files.REFUSED_TOO_LARGE or size > per_file:
                problems.append(
                    _("“%(name)s” is %(size)s; each file may be at most %(limit)s.")
                    % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(per_file)}
                )
            elif reason == files.REFUSED_TOTAL or total + size > total_limit:
                problems.append(
                    _("“%(name)s” was not accepted: all files together may be at most %(limit)s.")
                    % {"name": name, "limit": filesizeformat(total_limit)}
                )
            elif ext not in allowed:
                problems.append(
                    _("“%(name)s” was not accepted: we can take %(kinds)s files.")
                    % {"name": name, "kinds": ", ".join(accepted_kinds())}
                )
            elif size == 0:
                problems.append(_("“%(name)s” is empty.") % {"name": name})
            elif problem := files.check(ext, upload):
                problems.append(
                    _("“%(name)s” was not accepted: %(reason)s.") % {"name": name, "reason": problem.reason}
                )
            else:
                total += size
                content_type = files.KINDS[ext].content_type
                accepted.append(AttachmentInput(filename=name, content_type=content_type, content=upload.read()))
        if problems:
            raise forms.ValidationError(problems, code="attachment")
        return accepted

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reachable = data.get("email") or data.get("phone") or self.has_error("email") or self.has_error("phone")
        if not reachable:
            self.add_error("email", _("Give your email address or your phone number, so that we can answer you."))
        return data

    # --- results ----------------------------------------------------------

    @property
    def is_spam(self) -> bool:
        """The honeypot was filled in: a person would not have seen it."""
        return bool((self.data.get("homepage") or "").strip())

    @property
    def had_files(self) -> bool:
        return bool(self.files and any(self.files.getlist("attachments")))

    def suggest_from(self, url: str) -> None:
        """Ask for help-centre answers as the customer types the subject and the message (HTMX; nothing without
        JavaScript)."""
        for name in ("subject", "message"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-trigger": "keyup changed delay:600ms, change",
                    "hx-target": "#contact-suggestions",
                    "hx-swap": "innerHTML",
                    "hx-include": "[name=subject],[name=message]",
                    "hx-sync": "this:replace",
                }
            )

    def submission(
        self, *, language: str, read: tuple[int, ...] = (), searched: tuple[str, ...] = ()
    ) -> ContactSubmission:
        data = self.cleaned_data
        if (article := data.get("kb_article", "")).isdigit() and len(article) < 12:
            read = (int(article), *read)
        if data.get("kb_search"):
            searched = (data["kb_search"][:100], *searched)
        return ContactSubmission(
            name=data["name"],
            email=data["email"],
            phone=data["phone"],
            subject=data["subject"],
            message=data["message"],
            language=language,
            case_type=data.get("case_type"),
            complaint=bool(data.get("complaint")),
            incident_component=data.get("incident_component"),
            attachments=tuple(data["attachments"]),
            read=read,
            searched=searched,
        )
