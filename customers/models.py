"""The bank customer and their product holdings.

Name, phone and ID number are stored only as AES-GCM ciphertext (``scrm.pii``);
phone and ID number also have a keyed blind index for exact lookup. Nothing in
this table is readable as PII without going through ``scrm.pii``.
"""

import datetime
import uuid

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from scrm.org.models import Branch, Staff
from scrm.org.scoping import ScopedQuerySet


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "U", _("Unknown")


class LifecycleStage(models.TextChoices):
    NEW = "new", _("New")
    GROWING = "growing", _("Growing")
    MATURE = "mature", _("Mature")
    DORMANT = "dormant", _("Dormant")
    CHURNED = "churned", _("Churned")


class RiskLevel(models.TextChoices):
    C1 = "C1", _("C1 conservative")
    C2 = "C2", _("C2 moderately conservative")
    C3 = "C3", _("C3 balanced")
    C4 = "C4", _("C4 growth")
    C5 = "C5", _("C5 aggressive")


# Never-contacted customers sort at the epoch in the last-contact keyset index.
NEVER_CONTACTED = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class AumBand(models.TextChoices):
    """The bank's customer tiers by assets (大众 / 潜力 / 财富 / 私行)."""

    MASS = "mass", _("Mass (under 50k)")
    POTENTIAL = "potential", _("Potential (50k–500k)")
    WEALTH = "wealth", _("Wealth (500k–6M)")
    PRIVATE = "private", _("Private banking (6M and above)")


AUM_BAND_LOWER_BOUNDS = ((AumBand.PRIVATE, 6_000_000), (AumBand.WEALTH, 500_000), (AumBand.POTENTIAL, 50_000))


class CustomerQuerySet(ScopedQuerySet):
    scope_branch_field = "branch"
    scope_owner_field = "owner"
    scope_rm_sees = "owned"


class Customer(models.Model):
    # Unique through Meta.constraints: a plain unique=True would add a LIKE index never used.
    customer_no = models.CharField(_("customer number"), max_length=32)
    name_cipher = models.BinaryField(_("name (encrypted)"))
    phone_cipher = models.BinaryField(_("phone (encrypted)"), null=True)
    phone_index = models.BinaryField(_("phone blind index"), max_length=16, null=True, db_index=True)
    id_number_cipher = models.BinaryField(_("ID number (encrypted)"), null=True)
    id_number_index = models.BinaryField(_("ID number blind index"), max_length=16, null=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True)
    # Indexed by the (branch, owner) and (owner, id) composites below, not one by one.
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="customers", verbose_name=_("branch"), db_index=False
    )
    owner = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, related_name="customers", verbose_name=_("owner RM"), db_index=False
    )
    aum = models.DecimalField(_("AUM"), max_digits=18, decimal_places=2, default=0)
    # Derived by the database from aum, so it can never disagree with it.
    aum_band = models.GeneratedField(
        expression=models.Case(
            *(models.When(aum__gte=bound, then=models.Value(band.value)) for band, bound in AUM_BAND_LOWER_BOUNDS),
            default=models.Value(AumBand.MASS.value),
        ),
        output_field=models.CharField(_("AUM band"), max_length=16, choices=AumBand.choices),
        db_persist=True,
    )
    risk_level = models.CharField(_("risk level"), max_length=2, choices=RiskLevel.choices, blank=True)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.NEW
    )
    marketing_consent = models.BooleanField(_("marketing consent"), default=False)
    consent_at = models.DateTimeField(_("consent given at"), null=True)
    consent_source = models.CharField(_("consent source"), max_length=32, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True)
    opened_on = models.DateField(_("customer since"), null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [models.UniqueConstraint(fields=["customer_no"], name="customers_customer_no_unique")]
        indexes = [
            models.Index(fields=["branch", "owner"]),
            models.Index(fields=["owner", "id"]),
            # Keyset pages of the customer list (customers.search.keyset), one per sort order.
            models.Index(fields=["aum", "id"], name="customers_aum_id_idx"),
            models.Index(
                Coalesce(F("last_contact_at"), Value(NEVER_CONTACTED)), F("id"), name="customers_last_contact_id_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.customer_no


class ProductType(models.TextChoices):
    DEPOSIT = "deposit", _("Deposit")
    TIME_DEPOSIT = "time_deposit", _("Time deposit")
    WEALTH = "wealth", _("Wealth management")
    FUND = "fund", _("Fund")
    INSURANCE = "insurance", _("Insurance")
    LOAN = "loan", _("Loan")


class HoldingQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"
    scope_rm_sees = "owned"


class ProductHolding(models.Model):
    # Indexed by the (customer, product_code) unique constraint.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings", db_index=False)
    product_code = models.CharField(_("product code"), max_length=32)
    product_name = models.CharField(_("product name"), max_length=100)
    product_type = models.CharField(_("product type"), max_length=16, choices=ProductType.choices)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)
    opened_on = models.DateField(_("opened on"), null=True)
    maturity_date = models.DateField(_("maturity date"), null=True, db_index=True)

    objects = HoldingQuerySet.as_manager()

    class Meta:
        verbose_name = _("product holding")
        verbose_name_plural = _("product holdings")
        constraints = [
            models.UniqueConstraint(fields=["customer", "product_code"], name="customers_holding_unique_product"),
        ]

    def __str__(self) -> str:
        return f"{self.product_code} {self.amount}"


# --- Tags ---------------------------------------------------------------------


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
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tag group")
        verbose_name_plural = _("tag groups")
        ordering = ["sort_order", "code"]

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
    done_at = models.DateTimeField(null=True)
    tags_added = models.PositiveBigIntegerField(default=0)
    tags_removed = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "start_id"], name="customers_rulerange_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} ids {self.start_id}-{self.end_id}"


# --- Segments -----------------------------------------------------------------


class Segment(models.Model):
    """客群: a saved audience — tags (any / all / none) plus attribute conditions."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # {"tags_any": [...codes], "tags_all": [...], "tags_none": [...], "rule": {rule language} | null}
    definition = models.JSONField(_("definition"))
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class SegmentSnapshot(models.Model):
    """The segment's members frozen at one moment, e.g. a campaign's audience."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="snapshots")
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    member_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"snapshot #{self.pk} of segment {self.segment_id}"


class SegmentSnapshotMember(models.Model):
    snapshot = models.ForeignKey(SegmentSnapshot, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "customer"], name="customers_snapshotmember_unique")]

    def __str__(self) -> str:
        return f"{self.snapshot_id}:{self.customer_id}"


# --- Timeline -------------------------------------------------------------------


class TimelineKind(models.TextChoices):
    IMPORTED = "imported", _("Imported")
    UPDATED = "updated", _("Updated")
    TAGGED = "tagged", _("Tagged")
    UNTAGGED = "untagged", _("Untagged")
    CONTACTED = "contacted", _("Contacted")
    WECOM_ADDED = "wecom_added", _("Added on WeCom")
    WECOM_DELETED = "wecom_deleted", _("Removed on WeCom")
    CAMPAIGN_SENT = "campaign_sent", _("Campaign sent")
    TASK_DONE = "task_done", _("Task done")
    TRANSFERRED = "transferred", _("Transferred")
    NOTE = "note", _("Note")


class TimelineEventQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"


class TimelineEvent(models.Model):
    """客户动态: everything that happens to a customer, newest first.

    Designed to grow large: rows are only inserted, and the (customer, occurred_at, id)
    index serves the one hot read — a customer's recent events — without a sort.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="timeline", db_index=False)
    kind = models.CharField(_("kind"), max_length=24, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    actor = models.ForeignKey(Staff, on_delete=models.SET_NULL, null=True, related_name="+", db_index=False)
    summary = models.CharField(_("summary"), max_length=200)
    data = models.JSONField(default=dict)

    objects = TimelineEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        indexes = [
            models.Index(fields=["customer", "-occurred_at", "-id"], name="customers_timeline_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.summary}"


# --- Imports ---------------------------------------------------------------------


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    HOLDINGS = "holdings", _("Holdings")


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", _("Reject the whole file on any error")
    VALID_ROWS = "valid_rows", _("Import the valid rows")


class ImportJob(models.Model):
    """One upload of a core-banking extract, processed on the bulk queue."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    mode = models.CharField(_("mode"), max_length=16, choices=ImportMode.choices)
    dry_run = models.BooleanField(_("dry run"), default=False)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total_rows = models.PositiveBigIntegerField(default=0)
    processed_rows = models.PositiveBigIntegerField(default=0)
    created_count = models.PositiveBigIntegerField(default=0)
    updated_count = models.PositiveBigIntegerField(default=0)
    error_count = models.PositiveBigIntegerField(default=0)
    error_report = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    message = models.TextField(blank=True)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.status})"


# --- Transfers ---------------------------------------------------------------------


class TransferKind(models.TextChoices):
    REASSIGN = "reassign", _("Reassignment (在职转接)")
    INHERIT = "inherit", _("Inheritance (离职继承)")


class TransferStatus(models.TextChoices):
    DONE = "done", _("Done")
    # The WeCom side (transfer_customer) is pending; the channels app updates it.
    WECOM_PENDING = "wecom_pending", _("Waiting for WeCom")
    WECOM_FAILED = "wecom_failed", _("WeCom refused")


class CustomerTransferQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"


class CustomerTransfer(models.Model):
    """One customer moved from one RM to another, with the reason and who did it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="transfers")
    # All customers moved by one request share a batch id; the audit row names the batch.
    batch_id = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=TransferKind.choices)
    from_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, related_name="+")
    to_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=16, choices=TransferStatus.choices)
    created_by = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CustomerTransferQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer transfer")
        verbose_name_plural = _("customer transfers")
        indexes = [models.Index(fields=["customer", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.customer_id} -> {self.to_staff_id}"
