"""The bank customer and their product holdings.

Name, phone and ID number are stored only as AES-GCM ciphertext (``scrm.pii``);
phone and ID number also have a keyed blind index for exact lookup. Nothing in
this table is readable as PII without going through ``scrm.pii``.
"""

from django.db import models
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


class CustomerQuerySet(ScopedQuerySet):
    scope_branch_field = "branch"
    scope_owner_field = "owner"
    scope_rm_sees = "owned"


class Customer(models.Model):
    customer_no = models.CharField(_("customer number"), max_length=32, unique=True)
    name_cipher = models.BinaryField(_("name (encrypted)"))
    phone_cipher = models.BinaryField(_("phone (encrypted)"), null=True)
    phone_index = models.BinaryField(_("phone blind index"), max_length=16, null=True, db_index=True)
    id_number_cipher = models.BinaryField(_("ID number (encrypted)"), null=True)
    id_number_index = models.BinaryField(_("ID number blind index"), max_length=16, null=True, db_index=True)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="customers", verbose_name=_("branch"))
    owner = models.ForeignKey(
        Staff, on_delete=models.PROTECT, null=True, related_name="customers", verbose_name=_("owner RM")
    )
    aum = models.DecimalField(_("AUM"), max_digits=18, decimal_places=2, default=0)
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
        indexes = [
            models.Index(fields=["branch", "owner"]),
            models.Index(fields=["owner", "id"]),
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
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="holdings")
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
