"""The loyalty light of customers (lofte.customers.lights), from complaints, temperature checks and how often the
customer contacts us, by the rule the admins set in the complaint settings:

- red: a complaint is open (when `loyalty_red_open`), or a temperature check was answered "no" within the recent
  days (when `loyalty_red_check_no`);
- yellow: at least `loyalty_yellow_complaints` complaints received within the recent days, or at least
  `loyalty_yellow_contacts` cases opened in the last 30 days;
- green otherwise.

Four queries for any number of customers: the settings, the complaints, the checks, the cases (the signals other
apps add, lofte.customers.lights.signal_register, cost theirs: the surveys' one).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from lofte.cases.models import ACTIVE_STATUSES, Case
from lofte.complaints.models import CheckState, Complaint, ComplaintSettings, TemperatureCheck
from lofte.core import clock
from lofte.customers.lights import Light

RED, YELLOW, GREEN = "red", "yellow", "green"


def lights(customer_ids: list[int]) -> dict[int, Light]:
    config = ComplaintSettings.objects.filter(pk=1).first() or ComplaintSettings()
    now = clock.now()
    recent = now - timedelta(days=config.loyalty_days)
    complaints = {
        row["customer_id"]: row
        for row in Complaint.objects.filter(customer_id__in=customer_ids, is_active=True)
        .filter(Q(case__status__in=ACTIVE_STATUSES) | Q(received_at__gte=recent))
        .values("customer_id")
        .annotate(
            open=Count("id", filter=Q(case__status__in=ACTIVE_STATUSES)),
            recent=Count("id", filter=Q(received_at__gte=recent)),
        )
    }
    said_no = set(
        TemperatureCheck.objects.filter(
            complaint__customer_id__in=customer_ids, state=CheckState.NO, answered_at__gte=recent
        ).values_list("complaint__customer_id", flat=True)
    )
    contacts = dict(
        Case.objects.filter(customer_id__in=customer_ids, created_at__gte=now - timedelta(days=30))
        .values("customer_id")
        .annotate(n=Count("id"))
        .values_list("customer_id", "n")
    )
    out: dict[int, Light] = {}
    days = config.loyalty_days
    for pk in customer_ids:
        row: dict[str, Any] = dict(complaints.get(pk) or {})
        opened, recent_n, cases = row.get("open", 0), row.get("recent", 0), contacts.get(pk, 0)
        if config.loyalty_red_open and opened:
            out[pk] = Light(RED, ngettext("%(n)s complaint open", "%(n)s complaints open", opened) % {"n": opened})
        elif config.loyalty_red_check_no and pk in said_no:
            out[pk] = Light(
                RED,
                _("Said a solved complaint was not solved, within %(days)s days") % {"days": days},
            )
        elif config.loyalty_yellow_complaints and recent_n >= config.loyalty_yellow_complaints:
            out[pk] = Light(
                YELLOW,
                ngettext(
                    "%(n)s complaint within %(days)s days",
                    "%(n)s complaints within %(days)s days",
                    recent_n,
                )
                % {"n": recent_n, "days": days},
            )
        elif config.loyalty_yellow_contacts and cases >= config.loyalty_yellow_contacts:
            out[pk] = Light(YELLOW, ngettext("%(n)s case in 30 days", "%(n)s cases in 30 days", cases) % {"n": cases})
        else:
            out[pk] = Light(GREEN, _("No open or recent complaint, no unsolved temperature check"))
    return out
