"""The customer record and their product holdings."""

from __future__ import annotations

import datetime

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
    # Keyed HMAC of the surname (scrm.pii.surname_index): "王" finds 王小明 without the name in clear.
    surname_index = models.BinaryField(_("surname blind index"), max_length=16, null=True, db_index=True)
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
    # Service messages (maturity reminders, account notices) are part of serving the contract
    # the customer already has with the bank, so they are on until the customer says no.
    # db_default: the import's INSERT … SELECT does not name these columns.
    service_consent = models.BooleanField(_("service consent"), default=True, db_default=True)
    # Chat archiving (会话存档) needs the customer's explicit agreement (WeCom's archive-agree
    # status): off until they give it.
    chat_archive_consent = models.BooleanField(_("chat archiving consent"), default=False, db_default=False)
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


class HoldingPurchaseQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"
    scope_rm_sees = "owned"


class HoldingPurchase(models.Model):
    """A purchase the holdings import saw: a new holding, or more of one already held.

    Campaigns attribute conversions to these. ``purchased_on`` is the holding's value date
    for a new holding (the import's day when the extract has none) and the import's day for
    an increase. Rows are only inserted.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    product_code = models.CharField(_("product code"), max_length=32)
    product_type = models.CharField(_("product type"), max_length=16, choices=ProductType.choices)
    amount = models.DecimalField(_("amount bought"), max_digits=18, decimal_places=2)
    purchased_on = models.DateField(_("purchased on"))
    # The import that saw it; no database constraint, so the bulk insert checks nothing per row.
    import_job = models.ForeignKey(
        "customers.ImportJob", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = HoldingPurchaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("holding purchase")
        verbose_name_plural = _("holding purchases")
        indexes = [models.Index(fields=["customer", "purchased_on"], name="customers_purchase_by_day")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_code} +{self.amount}"


class AumSnapshot(models.Model):
    """A customer's AUM as core banking gave it on a day: the history churn features read.

    Written by the customer import in its upsert statement for every customer whose AUM it
    set (created, or changed); a later import on the same day replaces that day's value. A
    customer's AUM on any day is the latest snapshot on or before it.
    """

    # No database constraint, as for the timeline: written only by the import's upsert
    # statement, from the customers it has just written (see TimelineEvent.customer).
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    as_of = models.DateField(_("as of"))
    aum = models.DecimalField(_("AUM"), max_digits=18, decimal_places=2)

    class Meta:
        verbose_name = _("AUM snapshot")
        verbose_name_plural = _("AUM snapshots")
        # Serves "the latest snapshot of this customer on or before a day" as one index probe.
        constraints = [models.UniqueConstraint(fields=["customer", "as_of"], name="customers_aum_snapshot_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.as_of} {self.aum}"
