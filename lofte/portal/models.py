"""Magic links into the customer portal: single-use, short-lived, stored only as a hash."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.customers.models import Customer, CustomerIdentity


class PortalToken(models.Model):
    """One magic link sent to a customer. Only the SHA-256 of the secret is kept: the secret itself
    lives in the customer's mailbox or phone, never in the database. It is used at most once
    (a conditional UPDATE sets `used_at`) and not after `expires_at`."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="portal_tokens", verbose_name=_("customer")
    )
    identity = models.ForeignKey(
        CustomerIdentity,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent to"),
        help_text=_("The address the link was sent to: using the link proves it."),
    )
    token_hash = models.CharField(_("SHA-256 of the secret"), max_length=64, unique=True)
    channel = models.CharField(_("sent by"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("requested from"), null=True, blank=True)
    used_ip = models.GenericIPAddressField(_("used from"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")
        indexes = [models.Index(fields=["expires_at"], name="portaltoken_expires")]

    def __str__(self) -> str:
        return f"Portal link for customer {self.customer_id} ({self.created_at:%Y-%m-%d %H:%M})"
