"""Infrastructure rows only (no domain models): the scheduler's per-job lease."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ScheduledJob(models.Model):
    """When a periodic job (config/schedule.py) is next due. Claimed with a conditional
    UPDATE, so with several workers exactly one enqueues each run."""

    name = models.CharField(_("name"), max_length=100, primary_key=True)
    next_run_at = models.DateTimeField(_("next run"), default=timezone.now)
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_worker = models.CharField(_("last worker"), max_length=64, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")

    def __str__(self) -> str:
        return self.name


class RateLimitCounter(models.Model):
    """Hits on one key (e.g. "contact:ip:203.0.113.5") in one fixed time window; see lofte.core.ratelimit."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_key_window")]
        indexes = [models.Index(fields=["window_start"], name="ratelimit_window")]
        verbose_name = "rate limit counter"

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"


class FailureCounter(models.Model):
    """Failures on one key (e.g. a login's account and client) since the first of its window, and the time
    the key is locked until once they reached the limit; see lofte.core.ratelimit.failure_record."""

    key = models.CharField(max_length=200, unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()  # when neither the window nor the lock matters any more

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="failurecounter_expires")]
        verbose_name = "failure counter"

    def __str__(self) -> str:
        return f"{self.key}: {self.failures} since {self.window_start}"
