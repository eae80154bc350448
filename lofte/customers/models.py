"""Customers, their organisations and identities (email addresses, phone numbers, handles)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    notes = models.TextField(_("notes"), blank=True)
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


class CustomerIdentity(models.Model):
    """One address a customer is reached at; the normalised value is unique per kind."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="identities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=IdentityKind.choices)
    value = models.CharField(_("value"), max_length=254, help_text=_("Normalised: lower-case email, E.164 phone."))
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["kind", "-is_primary", "value"]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")
        constraints = [models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_per_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"
