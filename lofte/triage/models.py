"""What Lofte learns from the company's own cases: the examples, and the models trained on them, versioned."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lofte.triage.classifier import MIN_EXAMPLES


class Field(models.TextChoices):
    """What a model suggests for a new case."""

    CASE_TYPE = "case_type", _("Case type")
    TEAM = "team", _("Team")
    PRIORITY = "priority", _("Priority")
    COMPLAINT = "complaint", _("Complaint")
    STATUS_QUESTION = "status_question", _("Status question")


class Source(models.TextChoices):
    CASE = "case", _("A solved case")
    CORRECTION = "correction", _("An agent's confirmation or correction")
    SEED = "seed", _("Lofte's starting examples")
    IMPORT = "import", _("Imported")


class TrainingExample(models.Model):
    """One message and what it was (its case type, team ...): what a model of `field` learns from. The text is a
    copy of the customer's words, so it goes with its case."""

    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    label = models.CharField(_("label"), max_length=64)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("case")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("training example")
        verbose_name_plural = _("training examples")
        indexes = [models.Index(fields=["field", "-created_at"], name="triage_example_field")]

    def __str__(self) -> str:
        return f"{self.field}={self.label}"


class ModelState(models.TextChoices):
    TRAINING = "training", _("Training")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class TriageModel(models.Model):
    """A model of one field, trained in the background on the examples of its time. At most one per field is
    switched on; an earlier one can be switched on again."""

    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    version = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=16, choices=ModelState.choices, default=ModelState.TRAINING)
    is_active = models.BooleanField(_("switched on"), default=False)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_note = models.CharField(_("step"), max_length=200, blank=True)
    examples = models.PositiveIntegerField(_("examples"), default=0)
    labels = models.JSONField(_("examples per label"), default=dict, blank=True)
    left_out = models.JSONField(_("labels with too few examples"), default=dict, blank=True)
    evaluation = models.JSONField(_("evaluation on held-back examples"), default=dict, blank=True)
    floor = models.FloatField(_("suggest from confidence"), default=0.0)
    apply_at = models.FloatField(_("apply from confidence"), default=1.0)
    # Lofte's starting model (trained from its own examples before the company has any): switched on when trained,
    # if no other model of the field is on by then
    switch_on_when_trained = models.BooleanField(_("switch on when trained"), default=False)
    artifact = models.BinaryField(_("model"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    trained_at = models.DateTimeField(_("trained"), null=True, blank=True)
    activated_at = models.DateTimeField(_("switched on"), null=True, blank=True)

    class Meta:
        ordering = ["field", "-version"]
        verbose_name = _("text model")
        verbose_name_plural = _("text models")
        constraints = [
            models.UniqueConstraint(fields=["field", "version"], name="triage_model_version"),
            models.UniqueConstraint(fields=["field"], condition=Q(is_active=True), name="triage_model_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.field} v{self.version}"


class FieldSetting(models.Model):
    """An admin's settings for one field: whether its suggestions are applied by themselves, from which confidence,
    and how many examples a label needs before it is learned (one row per field, made when first saved)."""

    field = models.CharField(_("field"), max_length=32, choices=Field.choices, primary_key=True)
    auto_apply = models.BooleanField(
        _("apply by itself"),
        default=True,
        help_text=_("Off: every suggestion waits for an agent, however sure the model is."),
    )
    apply_at = models.FloatField(
        _("apply from confidence"),
        null=True,
        blank=True,
        help_text=_("Empty: the confidence the model chose on its held-back examples."),
    )
    min_examples = models.PositiveSmallIntegerField(
        _("examples a label needs"),
        default=MIN_EXAMPLES,
        help_text=_("A label with fewer examples is not learned and never suggested."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("text model setting")
        verbose_name_plural = _("text model settings")

    def __str__(self) -> str:
        return self.field


class SuggestionState(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    APPLIED = "applied", _("Applied")
    CONFIRMED = "confirmed", _("Confirmed")
    CORRECTED = "corrected", _("Corrected")


class Suggestion(models.Model):
    """What a model said of one customer message: a label and its confidence, applied to the case or waiting for an
    agent, who confirms or corrects it (which becomes a training example)."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="triage_suggestions", verbose_name=_("case")
    )
    message = models.ForeignKey("cases.Message", on_delete=models.CASCADE, related_name="+", verbose_name=_("message"))
    field = models.CharField(_("field"), max_length=32, choices=Field.choices)
    label = models.CharField(_("suggested"), max_length=64)
    confidence = models.FloatField(_("confidence"))
    model = models.ForeignKey(
        TriageModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("model")
    )
    state = models.CharField(_("state"), max_length=16, choices=SuggestionState.choices)
    answered = models.BooleanField(
        _("answered"), default=False, help_text=_("A status question Lofte answered with the open promise.")
    )
    answer = models.CharField(_("agent's answer"), max_length=64, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        constraints = [
            models.UniqueConstraint(fields=["message", "field"], name="triage_suggestion_once"),
        ]
        indexes = [
            models.Index(fields=["case", "field"], name="triage_suggestion_case"),
            models.Index(fields=["field", "answered", "created_at"], name="triage_suggestion_answered"),
        ]

    def __str__(self) -> str:
        return f"{self.field}={self.label} ({self.confidence:.2f})"
