"""Consent (授权): the customer's yes or no per purpose, and the history of every change."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from customers.models.customer import Customer
from customers.models.imports import ImportJob
from scrm.org.models import Staff
from scrm.org.scoping import ScopedQuerySet


class ConsentPurpose(models.TextChoices):
    """What the customer agrees to; each has its current flag on ``Customer`` (``CONSENT_FLAGS``)."""

    MARKETING = "marketing", _("Marketing")
    SERVICE = "service", _("Service")
    CHAT_ARCHIVE = "chat_archive", _("Chat archiving")


# The fast column on Customer that holds each purpose's current value.
CONSENT_FLAGS: dict[str, str] = {
    ConsentPurpose.MARKETING: "marketing_consent",
    ConsentPurpose.SERVICE: "service_consent",
    ConsentPurpose.CHAT_ARCHIVE: "chat_archive_consent",
}


class ConsentSource(models.TextChoices):
    IMPORT = "import", _("Bulk import")
    RM = "rm", _("Entered by the relationship manager")
    SELF_SERVICE = "self_service", _("Customer self-service")
    WECOM = "wecom", _("WeCom")
    ADMIN = "admin", _("Back office")


class ConsentRecordQuerySet(ScopedQuerySet):
    scope_branch_field = "customer__branch"
    scope_owner_field = "customer__owner"
    scope_rm_sees = "owned"


class ConsentRecord(models.Model):
    """One change of one purpose's consent: rows are only ever inserted (a trigger refuses UPDATE).

    ``previous`` is NULL for a customer the import created with consent given: there was no
    earlier value to speak of.
    """

    # No database constraints on the customer and the actor, as for the timeline (see
    # TimelineEvent.customer): an import writes a record per customer it creates with consent.
    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="consents", db_index=False, db_constraint=False
    )
    purpose = models.CharField(_("purpose"), max_length=16, choices=ConsentPurpose.choices)
    previous = models.BooleanField(_("previous value"), null=True)
    granted = models.BooleanField(_("new value"))
    source = models.CharField(_("source"), max_length=16, choices=ConsentSource.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    actor = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("recorded by"),
    )
    # No database constraint: an import writes up to millions of these rows in one statement,
    # and a deferred check per row costs the commit about as much as writing them; jobs are
    # never deleted, and PROTECT still guards the ORM.
    import_job = models.ForeignKey(
        ImportJob, on_delete=models.PROTECT, null=True, related_name="+", db_index=False, db_constraint=False
    )
    recorded_at = models.DateTimeField(_("recorded at"))

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        indexes = [
            models.Index(fields=["customer", "-recorded_at", "-id"], name="customers_consent_recent"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(purpose__in=ConsentPurpose.values), name="customers_consent_known_purpose"
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=ConsentSource.values), name="customers_consent_known_source"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.previous}→{self.granted}"
