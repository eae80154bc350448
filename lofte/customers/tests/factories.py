from __future__ import annotations

import factory
from django.utils import timezone

from lofte.customers.models import Customer, CustomerIdentity, IdentityKind, Proof


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Customer {n}")
    language = "en"

    @factory.post_generation
    def email(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            value = extracted or f"customer{self.pk}@example.com"
            CustomerIdentity.objects.create(
                customer=self,
                kind=IdentityKind.EMAIL,
                value=value,
                is_primary=True,
                proven_at=timezone.now(),
                proof=Proof.MESSAGE,
            )
