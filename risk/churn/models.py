"""Churn models (the registry), nightly scoring runs split into id ranges, and the scores."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class ChurnModel(models.Model):
    """One trained model: what it was trained on, how it did on held-out data, and its artefact.

    The artefact (joblib) lives in Django's storage; ``artefact_sha256`` is its digest at
    training time, and a file that no longer has it is never loaded. At most one model
    is promoted: the one scoring uses.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    parameters = models.JSONField(_("parameters"), default=dict)
    features = models.JSONField(_("features"), default=list)
    medians = models.JSONField(_("feature medians"), default=list)
    horizon_days = models.PositiveIntegerField(_("horizon (days)"))
    aum_floor = models.PositiveIntegerField(_("AUM floor"))
    window_start = models.DateField(_("first sampled day"))
    window_end = models.DateField(_("last sampled day"))
    split_on = models.DateField(_("first held-out day"))
    train_rows = models.PositiveIntegerField(_("training rows"))
    train_positives = models.PositiveIntegerField(_("training positives"))
    test_rows = models.PositiveIntegerField(_("held-out rows"))
    test_positives = models.PositiveIntegerField(_("held-out positives"))
    metrics = models.JSONField(_("metrics"), default=dict)
    data_source = models.CharField(_("data source"), max_length=200, blank=True)
    training_seconds = models.FloatField(_("training seconds"), default=0)
    artefact = models.FileField(_("artefact"), upload_to="churn/models/")
    artefact_sha256 = models.CharField(_("artefact SHA-256"), max_length=64)
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True)
    trained_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")
    is_promoted = models.BooleanField(_("promoted"), default=False)
    promoted_at = models.DateTimeField(_("last promoted at"), null=True)
    promoted_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        verbose_name = _("churn model")
        verbose_name_plural = _("churn models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_promoted"], condition=Q(is_promoted=True), name="risk_one_promoted_churn_model"
            )
        ]

    def __str__(self) -> str:
        return f"churn model v{self.version}"


class ChurnRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ChurnScoringRun(models.Model):
    """One scoring of every customer with one model on one day, split into customer-id ranges."""

    model = models.ForeignKey(ChurnModel, on_delete=models.PROTECT, related_name="runs")
    scored_on = models.DateField(_("scored on"))
    status = models.CharField(max_length=16, choices=ChurnRunStatus.choices, default=ChurnRunStatus.RUNNING)
    ranges_total = models.PositiveIntegerField(default=0)
    ranges_done = models.PositiveIntegerField(default=0)
    customers_scored = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("churn scoring run")
        verbose_name_plural = _("churn scoring runs")

    def __str__(self) -> str:
        return f"churn run #{self.pk} ({self.status})"


class ChurnScoringRange(models.Model):
    """A slice of a run; claimed with a conditional UPDATE, so a retried slice is scored once."""

    run = models.ForeignKey(ChurnScoringRun, on_delete=models.CASCADE, related_name="ranges")
    start_id = models.BigIntegerField()
    end_id = models.BigIntegerField()
    started_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    scored = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "start_id"], name="risk_churn_range_unique")]

    def __str__(self) -> str:
        return f"churn run {self.run_id} ids {self.start_id}-{self.end_id}"


class ChurnBand(models.TextChoices):
    HIGH = "high", _("High risk")
    MEDIUM = "medium", _("Medium risk")
    LOW = "low", _("Low risk")


class ChurnScoreQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"
    scope_rm_sees = "owned"


class ChurnScore(models.Model):
    """A customer's latest churn score: the probability of leaving within the model's horizon."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="+")
    model = models.ForeignKey(ChurnModel, on_delete=models.PROTECT, related_name="+", db_index=False)
    run = models.ForeignKey(ChurnScoringRun, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    score = models.FloatField(_("churn score"))
    band = models.CharField(_("band"), max_length=8, choices=ChurnBand.choices)
    # Feature names, most important first (at most three).
    reasons = ArrayField(models.CharField(max_length=32), default=list)
    scored_on = models.DateField(_("scored on"))
    scored_at = models.DateTimeField(_("scored at"))

    objects = ChurnScoreQuerySet.as_manager()

    class Meta:
        verbose_name = _("churn score")
        verbose_name_plural = _("churn scores")
        indexes = [models.Index(fields=["band", "score"], name="risk_churnscore_band_score")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.score:.3f} {self.band}"
