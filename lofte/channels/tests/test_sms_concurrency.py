"""A provider delivering the same inbound SMS several times at once files it once (the unique provider id)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from lofte.cases.models import Case, Message
from lofte.channels.sms.inbound import ReceiveResult, sms_receive
from lofte.channels.sms.models import InboundSms
from lofte.channels.sms.providers import InboundSmsData
from lofte.customers.models import Customer

N = 10


@pytest.mark.django_db(transaction=True)
def test_concurrent_deliveries_of_one_sms_make_one_case(settings: Any) -> None:
    settings.LOFTE_TRANSPORTS = {k: v for k, v in settings.LOFTE_TRANSPORTS.items() if k != "sms"}
    data = InboundSmsData(provider_id="s-race", sender="+46709876543", recipient="+46766861004", text="Hej")
    results: list[ReceiveResult] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(N)

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(sms_receive(provider="46elks", data=data))
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(N)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(r.outcome for r in results) == ["created"] + ["duplicate"] * (N - 1)
    assert len({r.case for r in results}) == 1
    assert len({r.inbound_id for r in results}) == 1
    counts = (InboundSms.objects.count(), Case.objects.count(), Message.objects.count(), Customer.objects.count())
    assert counts == (1, 1, 1, 1)
