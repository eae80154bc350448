"""The demo's status page: components in groups (names in every language), three resolved incidents in the last
ninety days with their updates, and a maintenance planned for next week. Nothing is broken right now: an agent opens
an incident to see the outage mode (the banner, the cadence of updates, linked cases)."""

from __future__ import annotations

from datetime import datetime, timedelta

from lofte.accounts.models import Agent
from lofte.core import clock
from lofte.incidents import services
from lofte.incidents.models import Component, ComponentGroup, IncidentStatus, Severity

GROUPS = [
    (
        "Internetbanken",
        {"en": "Online banking", "da": "Netbanken", "nb": "Nettbanken", "fi": "Verkkopankki"},
        [
            (
                "Inloggning med BankID",
                {"en": "Log-in with BankID", "da": "Log ind", "nb": "Innlogging", "fi": "Kirjautuminen"},
            ),
            ("Betalningar", {"en": "Payments", "da": "Betalinger", "nb": "Betalinger", "fi": "Maksut"}),
            ("Mobilappen", {"en": "Mobile app", "da": "Mobilappen", "nb": "Mobilappen", "fi": "Mobiilisovellus"}),
        ],
    ),
    (
        "Kundservice",
        {"en": "Customer service", "da": "Kundeservice", "nb": "Kundeservice", "fi": "Asiakaspalvelu"},
        [
            ("Telefon", {"en": "Phone", "da": "Telefon", "nb": "Telefon", "fi": "Puhelin"}),
            ("Chatt", {"en": "Chat", "da": "Chat", "nb": "Chat", "fi": "Chat"}),
        ],
    ),
]

HISTORY = [
    # days ago, hours it lasted, title (sv), title (en), severity, component, state, updates (sv, en)
    (
        40,
        3,
        ("Inloggningen fungerar inte", "Log-in does not work"),
        Severity.CRITICAL,
        "Inloggning med BankID",
        "major_outage",
        [
            ("Vi felsöker, ingen tidsuppskattning ännu.", "We are troubleshooting, no estimate yet."),
            ("Orsaken är hittad: ett certifikat hade gått ut.", "Found the cause: an expired certificate."),
        ],
    ),
    (
        21,
        1,
        ("Långsamma betalningar", "Slow payments"),
        Severity.MAJOR,
        "Betalningar",
        "degraded",
        [("Betalningar tar längre tid än vanligt.", "Payments take longer than usual.")],
    ),
    (
        6,
        2,
        ("Telefonkön är stängd", "The phone queue is closed"),
        Severity.MINOR,
        "Telefon",
        "partial_outage",
        [("Vår växel har problem; skriv till oss i stället.", "Our switchboard has problems; write to us instead.")],
    ),
]


def seed_incidents(*, lead: Agent, now: datetime | None = None) -> int:
    """Components, history and a planned maintenance. Returns the incidents made."""
    now = now or clock.now()
    components: dict[str, Component] = {}
    for position, (name, names, rows) in enumerate(GROUPS):
        group = ComponentGroup.objects.create(name=name, names=names, position=position)
        for i, (component, component_names) in enumerate(rows):
            components[component] = Component.objects.create(
                group=group, name=component, names=component_names, position=i
            )
    made = 0
    for days, hours, (title_sv, title_en), severity, component, state, updates in HISTORY:
        start = now - timedelta(days=days)
        with clock.at(start):
            incident = services.incident_open(
                actor=lead,
                title=title_sv,
                titles={"en": title_en},
                severity=severity,
                components={components[component].pk: state},
            )
        for i, (sv, en) in enumerate(updates):
            with clock.at(start + timedelta(minutes=8 + 20 * i)):
                services.incident_update_post(actor=lead, incident=incident, body=sv, bodies={"en": en})
        with clock.at(start + timedelta(hours=hours)):
            services.incident_update_post(
                actor=lead,
                incident=incident,
                body="Problemet är löst. Tack för ert tålamod.",
                bodies={"en": "The problem is solved. Thank you for your patience."},
                status=IncidentStatus.RESOLVED,
            )
        made += 1
    night = (now + timedelta(days=7)).replace(hour=1, minute=0, second=0, microsecond=0)
    services.incident_open(
        actor=lead,
        kind="maintenance",
        title="Planerat underhåll av internetbanken",
        titles={"en": "Planned maintenance of online banking"},
        components={components["Betalningar"].pk: "maintenance", components["Mobilappen"].pk: "maintenance"},
        scheduled_start=night,
        scheduled_end=night + timedelta(hours=2),
        first_update="Internetbanken kan vara otillgänglig i upp till två timmar.",
        first_updates={"en": "Online banking may be unavailable for up to two hours."},
    )
    return made + 1
