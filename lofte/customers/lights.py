"""Each customer's loyalty light (green, yellow or red), with the rule that set it, from the latest loyalty signals
(open and recent complaints, temperature-check answers, how often they contact us, survey answers).

The signals belong to the apps above customers, so the light comes from the one provider registered (the
complaints app registers it in its AppConfig.ready()) and from the signals other apps add (`signal_register`: the
surveys app's negative answers): the worst color wins, with its reason (the provider's on a tie). The customers
app and the pages that show customers ask `lights_for(ids)` and import none of them. Without a provider every
customer has no light (an empty answer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Light:
    color: str  # green | yellow | red
    reason: str  # the rule that set it, in the reader's language (shown on hover)


Provider = Callable[[list[int]], dict[int, Light]]

_provider: list[Provider] = []
_signals: list[Provider] = []  # each answers only for the customers it has something to say about
_RANK = {"green": 0, "yellow": 1, "red": 2}


def register(fn: Provider) -> None:
    _provider[:] = [fn]


def signal_register(fn: Provider) -> None:
    if fn not in _signals:
        _signals.append(fn)


def lights_for(customer_ids: Iterable[int]) -> dict[int, Light]:
    """The light of each of these customers (a fixed number of queries, however many)."""
    ids = sorted({i for i in customer_ids if i is not None})
    if not ids or not _provider:
        return {}
    out = _provider[0](ids)
    for signal in _signals:
        for pk, light in signal(ids).items():
            if pk not in out or _RANK[light.color] > _RANK[out[pk].color]:
                out[pk] = light
    return out


def attach(customers: Iterable[object]) -> None:
    """Set `loyalty_light` on each customer object (None when it has none), for the templates."""
    rows = [c for c in customers if c is not None]
    lights = lights_for(getattr(c, "pk", None) for c in rows)  # type: ignore[misc]
    for c in rows:
        c.loyalty_light = lights.get(c.pk)  # type: ignore[attr-defined]
