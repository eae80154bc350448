"""Customers, their organisations and identities (email addresses, phone numbers, handles)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.core.validation import validate_time_zone


class Tier(models.TextChoices):
    A = "A", _("A")
    B = "B", _("B")
    C = "C", _("C")


class Language(models.TextChoices):
    """Languages Lofte speaks with customers (and agents)."""

    EN = "en", _("English")
    SV = "sv", _("Swedish")
    DA = "da", _("Danish")
    NB = "nb", _("Norwegian Bokmål")
    FI = "fi", _("Finnish")


class Organisation(models.Model):
    """A company or public body a customer belongs to."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    domain = models.CharField(_("email domain"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person who contacts us; found again through any of their identities."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("organisation"),
    )
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.B)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    notes = models.TextField(_("notes"), blank=True)
    # lifecycle: a customer who left (churned), when and why (for the measures of lost customers)
    churned_at = models.DateField(_("churned"), null=True, blank=True)
    # what a tier rule reads (TierRule): imported by CSV or set through the API
    annual_revenue = models.DecimalField(_("annual revenue"), max_digits=14, decimal_places=2, null=True, blank=True)
    contract = models.CharField(_("contract"), max_length=50, blank=True)
    churn_reason = models.CharField(_("why they left"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [models.Index(fields=["name", "id"], name="customer_name_id")]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("Email address")
    PHONE = "phone", _("Phone number")
    HANDLE = "handle", _("Handle")


class Proof(models.TextChoices):
    """How we know that an address is this customer's."""

    MESSAGE = "message", _("A message came from it")
    LINK = "link", _("A link sent to it was used")
    AGENT = "agent", _("An agent added it")
    IMPORTED = "imported", _("It was there before proofs were recorded")


class CustomerIdentity(models.Model):
    """One address a customer is reached at; the normalised value is unique per kind.

    Proven (`proven_at` set: a message came from it, a portal link sent to it was used, an agent added it)
    or only claimed: the one address a new customer gave when they first wrote through a form or an
    integration. A claimed address never joins an existing customer; only the address a portal link is sent
    to can open the portal, and using the link proves it (lofte/customers/services.py, ADR 0006).
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254, help_text=_("Normalised: lower-case email, E.164 phone."))
    is_primary = models.BooleanField(_("primary"), default=False)
    proven_at = models.DateTimeField(_("proven"), null=True, blank=True)
    proof = models.CharField(_("proof"), max_length=8, choices=Proof.choices, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["kind", "-is_primary", "value"]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def is_proven(self) -> bool:
        return self.proven_at is not None


class SuggestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for an agent")
    CONFIRMED = "confirmed", _("Confirmed")
    DISMISSED = "dismissed", _("Dismissed")


class IdentitySuggestion(models.Model):
    """An address given with a contact that did not prove it: it does not join the customer until an agent
    confirms it (it may be a typo, a relative's number, or somebody claiming another customer's address)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identity_suggestions", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254)
    owner = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("belongs to"),
        help_text=_("The customer who already has this address, if any."),
    )
    channel = models.CharField(_("channel"), max_length=16, blank=True)
    reference = models.CharField(_("case"), max_length=32, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=SuggestionState.choices, default=SuggestionState.PENDING
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.Agent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suggested address")
        verbose_name_plural = _("suggested addresses")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"],
                condition=models.Q(state="pending"),
                name="suggestion_pending_unique",
            )
        ]
        indexes = [models.Index(fields=["customer", "state"], name="suggestion_customer_state")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value} → #{self.customer_id}"


class TierRule(models.Model):
    """The one rule (pk 1) that gives a customer their tier from what is imported about them: a contract named in
    `contract_tiers` decides; otherwise the annual revenue (A from `a_from`, B from `b_from`, else C). A customer
    without a contract or a revenue keeps the tier they have."""

    a_from = models.DecimalField(
        _("tier A from an annual revenue of"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    b_from = models.DecimalField(
        _("tier B from an annual revenue of"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    contract_tiers = models.JSONField(
        _("tiers of contracts"), default=dict, blank=True, help_text=_('{"Gold": "A", "Silver": "B"}')
    )

    class Meta:
        verbose_name = _("tier rule")
        verbose_name_plural = _("tier rule")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
