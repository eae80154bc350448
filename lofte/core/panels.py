"""Panels other apps contribute to a page they do not own (the case page, the customer page).

A page names a slot ("case", "customer") and renders the panels registered for it, in order; each panel is a
template and a function that reads what the template needs for one subject (a case, a customer). An app
registers its panels in its AppConfig.ready(), so the page's app imports nothing of it. Each panel declares
the most queries it may run (`max_queries`); the tests render every registered panel and hold it to that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

SLOTS = ("case", "customer")

# reads what the panel shows for this reader and subject; None: nothing to show (the panel is left out)
PanelContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    slot: str
    name: str
    template: str
    context: PanelContext
    order: int = 100
    max_queries: int = 5


@dataclass(frozen=True)
class RenderedPanel:
    name: str
    html: SafeString


_panels: dict[str, dict[str, Panel]] = {slot: {} for slot in SLOTS}


def panel_register(panel: Panel) -> Panel:
    """Add a panel to a slot (in AppConfig.ready()); registering the same name again replaces it."""
    if panel.slot not in _panels:
        raise ImproperlyConfigured(f"There is no panel slot {panel.slot!r}; the slots are {', '.join(SLOTS)}.")
    _panels[panel.slot][panel.name] = panel
    return panel


def panel_unregister(slot: str, name: str) -> None:
    _panels[slot].pop(name, None)


def panels_for(slot: str) -> list[Panel]:
    return sorted(_panels[slot].values(), key=lambda p: (p.order, p.name))


def panels_render(slot: str, request: HttpRequest, subject: Any) -> list[RenderedPanel]:
    """The slot's panels for this subject, rendered in order (panels with nothing to show left out)."""
    rendered = []
    for panel in panels_for(slot):
        context = panel.context(request, subject)
        if context is None:
            continue
        rendered.append(RenderedPanel(panel.name, render_to_string(panel.template, context, request=request)))
    return rendered
