from __future__ import annotations

import factory

from lofte.cases.models import CaseType
from lofte.cases.services import case_create
from lofte.customers.tests.factories import CustomerFactory


class CaseTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseType
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Type {n}")


def make_case(**kwargs):  # type: ignore[no-untyped-def]
    """A case made through the real service (reference, message, timeline and all)."""
    kwargs.setdefault("customer", CustomerFactory())
    kwargs.setdefault("subject", "Question")
    kwargs.setdefault("body", "Hello, I have a question.")
    kwargs.setdefault("channel", "email")
    return case_create(**kwargs)
