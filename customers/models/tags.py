"""Tags."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.customer import Customer
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class TagKind(models.TextChoices):
    MANUAL = "manual", _("Manual")
    RULE = "rule", _("Rule")
    CHANNEL = "channel", _("Channel")
    MODEL = "model", _("Model")


class TagGroup(models.Model):
    """A family of tags, e.g. 资产等级. In an exclusive group a customer holds at most one tag."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    description = models.TextField(_("description"), blank=True)
    exclusive = models.BooleanField(_("mutually exclusive"), default=False)
    # The kind a new tag of the group takes, and the colour it starts with.
    kind = models.CharField(_("kind"), max_length=16, choices=TagKind.choices, default=TagKind.MANUAL)
    color = models.CharField(_("colour"), max_length=7, default="#1f6feb")
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        ordering = ["sort_order", "code"]
        # Users pick groups and tags by name (codes stay internal), so a name means one thing.
        constraints = [models.UniqueConstraint(fields=["name"], name="customers_taggroup_name_unique")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    group = models.ForeignKey(TagGroup, on_delete=models.PROTECT, related_name="tags", verbose_name=_("group"))
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=TagKind.choices, default=TagKind.MANUAL)
    color = models.CharField(_("colour"), max_length=7, default="#1f6feb")
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["group__sort_order", "code"]
        constraints = [models.UniqueConstraint(fields=["name"], name="customers_tag_name_unique")]

    def __str__(self) -> str:
        return self.name


class CustomerTagQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"


class CustomerTag(models.Model):
    """A tag on a customer. One row per (customer, tag); ``source`` says who put it there."""

    # Both directions are served by the two composite indexes in Meta.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tag_links", db_index=False)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_links", db_index=False)
    source = models.CharField(_("source"), max_length=16, choices=TagKind.choices)
    created_at = models.DateTimeField(_("tagged at"), auto_now_add=True)
    created_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)

    objects = CustomerTagQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer tag")
        verbose_name_plural = _("customer tags")
        constraints = [models.UniqueConstraint(fields=["customer", "tag"], name="customers_customertag_unique")]
        # (customer, tag) is covered by the constraint's index; this one serves "who has tag X".
        indexes = [models.Index(fields=["tag", "customer"], name="customers_tag_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id}:{self.tag_id}"


class TagRule(models.Model):
    """自动打标: the rule that decides which customers carry a rule tag."""

    tag = models.OneToOneField(Tag, on_delete=models.CASCADE, related_name="rule", verbose_name=_("tag"))
    definition = models.JSONField(_("definition"))
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)
    last_evaluated_at = models.DateTimeField(_("last evaluated"), null=True)
    last_match_count = models.PositiveIntegerField(_("customers matched"), null=True)

    class Meta:
        verbose_name = _("tag rule")
        verbose_name_plural = _("tag rules")

    def __str__(self) -> str:
        return f"rule for {self.tag}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class TagRuleRun(models.Model):
    """One batch re-evaluation of all active rules, split into customer-id ranges."""

    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    triggered_by = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+")
    # Every range of one run evaluates the same rules on the same day, whatever changes meanwhile.
    evaluation_date = models.DateField()
    rules = models.JSONField(default=list)  # [{"tag_id": …, "definition": {…}}, …]
    rule_count = models.PositiveIntegerField(default=0)
    ranges_total = models.PositiveIntegerField(default=0)
    ranges_done = models.PositiveIntegerField(default=0)
    tags_added = models.PositiveBigIntegerField(default=0)
    tags_removed = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("tag rule run")
        verbose_name_plural = _("tag rule runs")

    def __str__(self) -> str:
        return f"rule run #{self.pk} ({self.status})"


class TagRuleRunRange(models.Model):
    """A slice of a run; the unique key makes a retried slice count once."""

    run = models.ForeignKey(TagRuleRun, on_delete=models.CASCADE, related_name="ranges")
    start_id = models.BigIntegerField()
    end_id = models.BigIntegerField()
    # When a task last began evaluating it: set, not done and not row-locked means its worker died.
    started_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    tags_added = models.PositiveBigIntegerField(default=0)
    tags_removed = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "start_id"], name="customers_rulerange_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} ids {self.start_id}-{self.end_id}"


class TagBulkAction(models.TextChoices):
    ASSIGN = "assign", _("Add the tag")
    REMOVE = "remove", _("Remove the tag")


class TagBulkJob(models.Model):
    """Tagging (or untagging) the customers a search found, on the bulk queue.

    The selection is frozen when the job is confirmed (``TagBulkJobCustomer``, ids only:
    no search value, so no phone or name, is kept); the worker walks it in chunks of
    customer ids, each chunk committed with the cursor it advances, so a retried task
    resumes where the last one stopped and never tags a chunk twice.
    """

    tag = models.ForeignKey(Tag, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=8, choices=TagBulkAction.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    selected = models.PositiveIntegerField(_("customers selected"), default=0)
    processed = models.PositiveIntegerField(_("customers processed"), default=0)
    tagged = models.PositiveIntegerField(_("tags added"), default=0)
    untagged = models.PositiveIntegerField(_("tags removed"), default=0)
    # The last customer id done: the next chunk starts after it.
    cursor = models.BigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    # When a worker last committed a chunk: a running job silent for long lost its worker.
    heartbeat_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("bulk tagging job")
        verbose_name_plural = _("bulk tagging jobs")

    def __str__(self) -> str:
        return f"bulk {self.action} #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return 100 if not self.selected else min(100, self.processed * 100 // self.selected)


class TagBulkJobCustomer(models.Model):
    """One customer of a bulk tagging job's frozen selection."""

    job = models.ForeignKey(TagBulkJob, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "customer"], name="customers_bulkjob_customer_unique")]

    def __str__(self) -> str:
        return f"{self.job_id}:{self.customer_id}"
