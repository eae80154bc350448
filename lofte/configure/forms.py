"""The settings pages' forms: they turn what people type into the services' values; the services validate.

A form checks only what it needs to build the values (a time that is not a time, both halves of an opening
interval); every rule of the domain is the service's, whose ValidationFailed the view puts beside the field it
names.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lofte.accounts.models import Team
from lofte.cases.case_types import CaseTypeValues
from lofte.cases.models import CaseType
from lofte.channels.mailbox_settings import MailboxValues
from lofte.channels.models import AfterFetch, Mailbox, Security
from lofte.core.choices import Channel, Priority, Status
from lofte.core.errors import ValidationFailed
from lofte.customers.models import Tier
from lofte.promises.business_time import DAY_KEYS, parse_intervals
from lofte.promises.models import BusinessCalendar, SlaPolicy
from lofte.promises.policies import PAUSABLE, TARGETS

INTERVAL_SLOTS = 2  # opening intervals offered per weekday (more when a calendar already has more)
_TIME = {"inputmode": "numeric", "placeholder": "--:--", "maxlength": "5", "size": "5", "autocomplete": "off"}
_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(.*)$")
_INTERVAL = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-\u2013]\s*(\d{1,2}:\d{2})\s*$")


def apply_error(form: forms.Form, exc: ValidationFailed, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's error beside the field it names (or above the form)."""
    field = (aliases or {}).get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def _padded(value: str) -> str:
    """ "8:00" as "08:00"; anything else as given (the engine says what is wrong with it)."""
    value = value.strip()
    return f"0{value}" if re.fullmatch(r"\d:\d{2}", value) else value


# --- calendars ----------------------------------------------------------------------------------------------------


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"),
        max_length=64,
        initial="Europe/Stockholm",
        help_text=gettext_lazy("An IANA time zone, e.g. Europe/Stockholm, Europe/Helsinki, Europe/Oslo."),
    )
    country = forms.CharField(
        label=gettext_lazy("Public holidays of"),
        max_length=2,
        required=False,
        help_text=gettext_lazy("A two-letter country code (SE, DK, NO, FI ...); empty: no public holidays."),
    )
    always_open = forms.BooleanField(
        label=gettext_lazy("Open 24/7 (wall-clock time; the hours below are ignored)"), required=False
    )
    closed_on_eves = forms.BooleanField(
        label=gettext_lazy("Closed on eves (Christmas Eve, New Year's Eve and, in SE and FI, Midsummer Eve)"),
        required=False,
        initial=True,
    )
    closed_days = forms.CharField(
        label=gettext_lazy("Closed days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-27"}),
        help_text=gettext_lazy("One date per line (YYYY-MM-DD), e.g. a day between holidays the team takes off."),
    )
    special_hours = forms.CharField(
        label=gettext_lazy("Special hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-23 10:00-14:00"}),
        help_text=gettext_lazy(
            "One date per line with that day's hours instead of the usual ones: 2026-12-23 10:00-14:00 "
            "(several intervals with commas; a date alone: closed that day). Also opens a holiday."
        ),
    )

    def __init__(self, *args: Any, slots: int = INTERVAL_SLOTS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = max(slots, 1)
        for index, day in enumerate(DAY_KEYS):
            for slot in range(self.slots):
                for part, label in (("open", _("opens")), ("close", _("closes"))):
                    self.fields[f"{day}_{part}_{slot}"] = forms.CharField(
                        label=f"{WEEKDAYS[index]}: {label}" + (f" ({slot + 1})" if slot else ""),
                        required=False,
                        max_length=5,
                        widget=forms.TextInput(attrs=_TIME),
                    )

    @classmethod
    def initial_for(cls, calendar: BusinessCalendar) -> tuple[dict[str, Any], int]:
        """The form's initial values for a saved calendar, and how many intervals a day needs."""
        hours: dict[str, list[list[str]]] = calendar.opening_hours or {}
        slots = max([INTERVAL_SLOTS, *(len(hours.get(day) or []) for day in DAY_KEYS)])
        initial: dict[str, Any] = {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "country": calendar.country,
            "always_open": calendar.always_open,
            "closed_on_eves": calendar.closed_on_eves,
            "closed_days": "\n".join(calendar.closed_days or []),
            "special_hours": "\n".join(
                f"{day} {', '.join(f'{a}-{b}' for a, b in intervals)}".strip()
                for day, intervals in sorted((calendar.special_hours or {}).items())
            ),
        }
        for day in DAY_KEYS:
            for slot, (start, end) in enumerate(hours.get(day) or []):
                initial[f"{day}_open_{slot}"], initial[f"{day}_close_{slot}"] = start, end
        return initial, slots

    def weekdays(self) -> list[dict[str, Any]]:
        """The weekly table's rows, for the template: each day's name and its pairs of bound fields."""
        return [
            {
                "name": WEEKDAYS[index],
                "key": day,
                "slots": [(self[f"{day}_open_{s}"], self[f"{day}_close_{s}"]) for s in range(self.slots)],
                "errors": [e for s in range(self.slots) for e in self[f"{day}_open_{s}"].errors],
            }
            for index, day in enumerate(DAY_KEYS)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opening: dict[str, list[list[str]]] = {}
        for index, day in enumerate(DAY_KEYS):
            intervals: list[list[str]] = []
            for slot in range(self.slots):
                start = _padded(data.get(f"{day}_open_{slot}") or "")
                end = _padded(data.get(f"{day}_close_{slot}") or "")
                if not start and not end:
                    continue
                if not start or not end:
                    self.add_error(
                        f"{day}_open_0",
                        _("%(day)s: give both the time it opens and the time it closes.") % {"day": WEEKDAYS[index]},
                    )
                    break
                intervals.append([start, end])
            else:
                try:  # the engine's own check, which names the day: close after open, no overlaps, real times
                    parse_intervals(intervals, where=str(WEEKDAYS[index]), field=day)
                except ValidationFailed as exc:
                    self.add_error(f"{day}_open_0", exc.message)
            opening[day] = intervals
        data["opening_hours"] = opening
        data["closed_days_list"] = [line.strip() for line in re.split(r"[\n,;]+", data.get("closed_days") or "")]
        data["closed_days_list"] = [line for line in data["closed_days_list"] if line]
        special: dict[str, list[list[str]]] = {}
        for line in (data.get("special_hours") or "").splitlines():
            if not line.strip():
                continue
            match = _LINE.match(line)
            parts = [p for p in (match.group(2).split(",") if match else []) if p.strip()]
            found = [_INTERVAL.match(part) for part in parts]
            if match is None or not all(found):
                self.add_error(
                    "special_hours",
                    _("“%(line)s” is not a date and hours like 2026-12-23 10:00-14:00.") % {"line": line.strip()[:60]},
                )
                continue
            special[match.group(1)] = [[_padded(m.group(1)), _padded(m.group(2))] for m in found if m]
        data["special_hours_map"] = special
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": (data.get("time_zone") or "").strip(),
            "country": data.get("country") or "",
            "always_open": bool(data.get("always_open")),
            "opening_hours": data["opening_hours"],
            "closed_on_eves": bool(data.get("closed_on_eves")),
            "closed_days": data["closed_days_list"],
            "special_hours": data["special_hours_map"],
        }


# the engine names these fields; on the page they are these
CALENDAR_ALIASES = {"opening_hours": "mon_open_0", "closed_days": "closed_days", "special_hours": "special_hours"}


# --- SLA policies -------------------------------------------------------------------------------------------------

_ANY = gettext_lazy("(any)")


def _calendars() -> Any:
    return BusinessCalendar.objects.order_by("name")


class PolicyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    order = forms.IntegerField(
        label=gettext_lazy("Order"),
        min_value=0,
        max_value=1_000_000,
        initial=100,
        help_text=gettext_lazy("Among equally specific policies, the lower number wins."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False, choices=[("", _ANY), *Channel.choices])
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"),
        required=False,
        choices=[("", _ANY), *Priority.choices],
        coerce=int,
        empty_value=None,
    )
    tier = forms.ChoiceField(label=gettext_lazy("Customer tier"), required=False, choices=[("", _ANY), *Tier.choices])
    case_type = forms.ModelChoiceField(
        label=gettext_lazy("Case type"), required=False, queryset=CaseType.objects.none(), empty_label=_ANY
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"), required=False, queryset=Team.objects.order_by("name"), empty_label=_ANY
    )
    first_response_minutes = forms.IntegerField(
        label=gettext_lazy("First response (minutes)"), required=False, min_value=1
    )
    first_response_calendar = forms.ModelChoiceField(
        label=gettext_lazy("First response counts in"), required=False, queryset=_calendars(), empty_label="—"
    )
    next_update_minutes = forms.IntegerField(
        label=gettext_lazy("Next update interval (minutes)"), required=False, min_value=1
    )
    next_update_calendar = forms.ModelChoiceField(
        label=gettext_lazy("Next update counts in"), required=False, queryset=_calendars(), empty_label="—"
    )
    resolution_minutes = forms.IntegerField(label=gettext_lazy("Resolution (minutes)"), required=False, min_value=1)
    resolution_calendar = forms.ModelChoiceField(
        label=gettext_lazy("Resolution counts in"), required=False, queryset=_calendars(), empty_label="—"
    )
    wall_clock = forms.BooleanField(
        label=gettext_lazy("Wall-clock times for customers"),
        required=False,
        help_text=gettext_lazy(
            "Times told to customers may fall outside the team's hours; targets without a calendar then count "
            "round the clock."
        ),
    )
    pause_statuses = forms.MultipleChoiceField(
        label=gettext_lazy("Statuses that pause the clock"),
        required=False,
        choices=[(s.value, s.label) for s in Status if s in PAUSABLE],
        widget=forms.CheckboxSelectMultiple,
        initial=[Status.WAITING_ON_CUSTOMER.value],
    )

    def __init__(self, *args: Any, policy: SlaPolicy | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # active case types, and the policy's own even when it was deactivated since (the service says why)
        types = CaseType.objects.filter(is_active=True)
        if policy is not None and policy.case_type_id is not None:
            types = types | CaseType.objects.filter(pk=policy.case_type_id)
        self.fields["case_type"].queryset = types.order_by("name")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(policy: SlaPolicy) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(policy, name)
            for name in ("name", "order", "is_active", "channel", "priority", "tier", "wall_clock", "pause_statuses")
        }
        initial |= {"case_type": policy.case_type_id, "team": policy.team_id}
        for target in TARGETS:
            initial[f"{target}_minutes"] = getattr(policy, f"{target}_minutes")
            initial[f"{target}_calendar"] = getattr(policy, f"{target}_calendar_id")
        return initial

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for target in TARGETS:
            minutes = data.get(f"{target}_minutes")
            if minutes and data.get(f"{target}_calendar") is None and not data.get("wall_clock"):
                self.add_error(
                    f"{target}_calendar",
                    _(
                        "Choose the calendar this target counts in (a 24/7 calendar for round-the-clock time), "
                        "or tick wall-clock times."
                    ),
                )
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in ("name", "order", "channel", "priority", "tier", "case_type", "team", "pause_statuses")
        }
        values |= {"is_active": bool(data.get("is_active")), "wall_clock": bool(data.get("wall_clock"))}
        values["channel"], values["tier"] = values["channel"] or "", values["tier"] or ""
        values["pause_statuses"] = list(values["pause_statuses"] or [])
        for target in TARGETS:
            values[f"{target}_minutes"] = data.get(f"{target}_minutes")
            values[f"{target}_calendar"] = data.get(f"{target}_calendar")
        return values


class SampleCaseForm(forms.Form):
    """A sample case for the policy preview (a GET form: nothing is written)."""

    channel = forms.ChoiceField(label=gettext_lazy("Channel"), choices=Channel.choices, initial=Channel.EMAIL)
    priority = forms.TypedChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    tier = forms.ChoiceField(label=gettext_lazy("Customer tier"), choices=Tier.choices, initial=Tier.C)
    case_type = forms.ModelChoiceField(
        label=gettext_lazy("Case type"),
        required=False,
        queryset=CaseType.objects.filter(is_active=True).order_by("name"),
        empty_label=gettext_lazy("(none)"),
    )
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team"),
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label=gettext_lazy("(none)"),
    )
    now = forms.DateTimeField(
        label=gettext_lazy("Opened at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=gettext_lazy("Empty: now. In your time zone."),
    )


# --- case types ---------------------------------------------------------------------------------------------------


def _language_names() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class CaseTypeForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    default_team = forms.ModelChoiceField(
        label=gettext_lazy("Default team"),
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label=gettext_lazy("(none)"),
    )
    default_priority = forms.TypedChoiceField(
        label=gettext_lazy("Default priority"), choices=Priority.choices, coerce=int, initial=Priority.NORMAL
    )
    is_complaint = forms.BooleanField(label=gettext_lazy("A complaint"), required=False)
    expected_handling_minutes = forms.IntegerField(
        label=gettext_lazy("Expected handling time (minutes)"), required=False, min_value=1
    )
    update_interval_hours = forms.IntegerField(
        label=gettext_lazy("Update the customer every (hours)"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("How often the customer hears from us while the case is open; empty: no rule."),
    )
    breach_notice = forms.BooleanField(
        label=gettext_lazy("Tell the customer when a promise is broken"),
        required=False,
        help_text=gettext_lazy("An honest message with a new time, which is itself a new promise."),
    )
    breach_notice_hours = forms.IntegerField(
        label=gettext_lazy("New time after a broken promise (business hours)"), min_value=1, initial=4
    )
    answers_status_questions = forms.BooleanField(
        label=gettext_lazy("Answer status questions"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "When a customer only asks how the case is going and it has an open promise, Lofte answers with the "
            "promised time and what was promised."
        ),
    )
    is_public = forms.BooleanField(
        label=gettext_lazy("On the contact form"),
        required=False,
        help_text=gettext_lazy("Customers can choose it on the public contact form, by its name for customers."),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, language in _language_names():
            self.fields[f"public_name_{code}"] = forms.CharField(
                label=_("Name for customers (%(language)s)") % {"language": language},
                required=False,
                max_length=100,
            )

    @staticmethod
    def initial_for(case_type: CaseType) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(case_type, name)
            for name in (
                "name",
                "description",
                "default_priority",
                "is_complaint",
                "breach_notice",
                "breach_notice_hours",
                "answers_status_questions",
                "is_public",
                "is_active",
            )
        }
        initial["default_team"] = case_type.default_team_id
        if case_type.expected_handling_time:
            initial["expected_handling_minutes"] = int(case_type.expected_handling_time.total_seconds() // 60)
        if case_type.update_interval:
            initial["update_interval_hours"] = int(case_type.update_interval.total_seconds() // 3600)
        for code, _language in _language_names():
            initial[f"public_name_{code}"] = (case_type.public_names or {}).get(code, "")
        return initial

    def values(self) -> CaseTypeValues:
        data = self.cleaned_data
        minutes, hours = data.get("expected_handling_minutes"), data.get("update_interval_hours")
        return CaseTypeValues(
            name=data["name"],
            description=data.get("description") or "",
            default_team=data.get("default_team"),
            default_priority=data["default_priority"],
            is_complaint=bool(data.get("is_complaint")),
            expected_handling_time=timedelta(minutes=minutes) if minutes else None,
            update_interval=timedelta(hours=hours) if hours else None,
            breach_notice=bool(data.get("breach_notice")),
            breach_notice_hours=data["breach_notice_hours"],
            answers_status_questions=bool(data.get("answers_status_questions")),
            is_active=bool(data.get("is_active")),
            is_public=bool(data.get("is_public")),
            public_names={code: data.get(f"public_name_{code}") or "" for code, _language in _language_names()},
        )


CASE_TYPE_ALIASES = {"expected_handling_time": "expected_handling_minutes", "update_interval": "update_interval_hours"}


# --- mailboxes ----------------------------------------------------------------------------------------------------

_KEEP = gettext_lazy("Leave empty to keep the stored password (it is never shown).")


class MailboxForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Short name"),
        max_length=50,
        help_text=gettext_lazy("Letters, digits, hyphens; used by `lofte email_ingest --mailbox`."),
    )
    address = forms.CharField(label=gettext_lazy("Address"), max_length=254)
    display_name = forms.CharField(label=gettext_lazy("Display name"), max_length=100, required=False)
    team = forms.ModelChoiceField(
        label=gettext_lazy("Team for new cases"),
        required=False,
        queryset=Team.objects.order_by("name"),
        empty_label=gettext_lazy("(none)"),
    )
    case_type = forms.ModelChoiceField(
        label=gettext_lazy("Case type for new cases"),
        required=False,
        queryset=CaseType.objects.filter(is_active=True).order_by("name"),
        empty_label=gettext_lazy("(none)"),
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        required=False,
        choices=[("", gettext_lazy("(the site's default)")), *settings.LANGUAGES],
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    imap_host = forms.CharField(
        label=gettext_lazy("IMAP server"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("A host name, e.g. imap.example.com; empty when mail is piped or posted in."),
    )
    imap_port = forms.IntegerField(label=gettext_lazy("IMAP port"), min_value=1, max_value=65535, initial=993)
    imap_security = forms.ChoiceField(
        label=gettext_lazy("IMAP security"), choices=Security.choices, initial=Security.SSL
    )
    imap_user = forms.CharField(label=gettext_lazy("IMAP user"), max_length=255, required=False)
    imap_password = forms.CharField(
        label=gettext_lazy("IMAP password"),
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_KEEP,
    )
    imap_folder = forms.CharField(label=gettext_lazy("Folder to fetch"), max_length=255, initial="INBOX")
    after_fetch = forms.ChoiceField(
        label=gettext_lazy("After fetching"), choices=AfterFetch.choices, initial=AfterFetch.MOVE
    )
    processed_folder = forms.CharField(
        label=gettext_lazy("Processed folder"), max_length=255, required=False, initial="Lofte/Processed"
    )
    smtp_host = forms.CharField(
        label=gettext_lazy("SMTP server"),
        max_length=255,
        required=False,
        help_text=gettext_lazy("Empty: replies go out through the site's mail settings."),
    )
    smtp_port = forms.IntegerField(label=gettext_lazy("SMTP port"), min_value=1, max_value=65535, initial=587)
    smtp_security = forms.ChoiceField(
        label=gettext_lazy("SMTP security"), choices=Security.choices, initial=Security.STARTTLS
    )
    smtp_user = forms.CharField(label=gettext_lazy("SMTP user"), max_length=255, required=False)
    smtp_password = forms.CharField(
        label=gettext_lazy("SMTP password"),
        max_length=255,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_KEEP,
    )

    GROUPS = (
        ("", ("name", "address", "display_name", "team", "case_type", "language", "is_active")),
        (
            gettext_lazy("Fetching (IMAP)"),
            (
                "imap_host",
                "imap_port",
                "imap_security",
                "imap_user",
                "imap_password",
                "imap_folder",
                "after_fetch",
                "processed_folder",
            ),
        ),
        (
            gettext_lazy("Sending (SMTP)"),
            ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password"),
        ),
    )

    def __init__(self, *args: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if mailbox is not None and mailbox.case_type_id is not None:
            self.fields["case_type"].queryset = (  # type: ignore[attr-defined]
                CaseType.objects.filter(is_active=True) | CaseType.objects.filter(pk=mailbox.case_type_id)
            ).order_by("name")
        for protocol in ("imap", "smtp"):
            stored = bool(mailbox is not None and getattr(mailbox, f"{protocol}_password"))
            self.fields[f"{protocol}_password"].help_text = _KEEP if stored else gettext_lazy("No password is stored.")

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(str(title), [self[name] for name in names]) for title, names in self.GROUPS]

    @staticmethod
    def initial_for(mailbox: Mailbox) -> dict[str, Any]:
        """Everything but the passwords, which are never sent back to the browser."""
        names = [f for f in MailboxForm.base_fields if not f.endswith("_password")]
        initial = {name: getattr(mailbox, name) for name in names if name not in ("team", "case_type")}
        initial |= {"team": mailbox.team_id, "case_type": mailbox.case_type_id}
        return initial

    def values(self) -> MailboxValues:
        data = self.cleaned_data
        plain = {
            name: data.get(name) for name in MailboxForm.base_fields if name not in ("imap_password", "smtp_password")
        }
        return MailboxValues(
            **{k: ("" if v is None and k not in ("team", "case_type") else v) for k, v in plain.items()},  # type: ignore[arg-type]
            imap_password=data.get("imap_password") or None,
            smtp_password=data.get("smtp_password") or None,
        )


def now_in_reader_zone() -> str:
    """The current minute in the reader's time zone, as a datetime-local input wants it."""
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")
