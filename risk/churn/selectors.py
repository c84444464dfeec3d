"""Reads for churn: the registry, one customer's score, the bands by branch and the at-risk list, all scoped."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.pii import pii_masked
from customers.selectors import customer_list_visible
from risk.churn.models import ChurnBand, ChurnModel, ChurnScore
from scrm.org.models import Branch
from scrm.org.scoping import data_scope_for
from scrm.pii import PiiKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.utils.functional import Promise

# What each feature means to an RM, as a reason it raises a customer's risk.
FEATURE_LABELS: dict[str, Promise] = {
    "aum": _("Assets under management"),
    "aum_change_30d": _("AUM change over 30 days"),
    "aum_change_90d": _("AUM change over 90 days"),
    "holdings": _("Products held"),
    "days_to_maturity": _("Days to the nearest maturity"),
    "products_closed_90d": _("Products matured in 90 days"),
    "tenure_days": _("Time as a customer"),
    "age_band": _("Age band"),
    "lifecycle_stage": _("Lifecycle stage"),
    "wecom_relation": _("WeCom relation"),
    "days_since_contact": _("Days since the last contact"),
    "interactions_30d": _("Contacts in 30 days"),
    "relation_deleted": _("A WeCom relation was deleted"),
    "campaign_touches_90d": _("Campaigns received in 90 days"),
    "purchases_90d": _("Purchases in 90 days"),
    "identity_verified": _("Identity verified"),
}


def feature_label(feature: str) -> str:
    return str(FEATURE_LABELS.get(feature, feature))


def churn_model_promoted() -> ChurnModel | None:
    return ChurnModel.objects.filter(is_promoted=True).select_related("promoted_by", "trained_by").first()


def churn_models_list() -> QuerySet[ChurnModel]:
    return ChurnModel.objects.select_related("promoted_by", "trained_by").order_by("-version")


@dataclass(frozen=True)
class Reason:
    feature: str
    label: str


@dataclass(frozen=True)
class CustomerChurn:
    """One customer's latest score, or ``score is None`` when none has been worked out yet."""

    customer_no: str
    score: float | None
    band: str | None
    band_label: str
    reasons: tuple[Reason, ...]
    scored_on: datetime.date | None
    model_version: int | None


def _reasons(features: list[str]) -> tuple[Reason, ...]:
    return tuple(Reason(feature=feature, label=feature_label(feature)) for feature in features)


def customer_churn_get(*, customer_no: str, viewer: AbstractBaseUser | AnonymousUser) -> CustomerChurn:
    """The churn score of a customer the viewer may see; ``Customer.DoesNotExist`` for any other."""
    customer_id = customer_list_visible(user=viewer).filter(customer_no=customer_no).values_list("id", flat=True).get()
    return _churn_of(customer_no, ChurnScore.objects.filter(customer_id=customer_id))


def customer_churn_of_found(*, customer_no: str) -> CustomerChurn:
    """The churn score of a customer the caller has already found through the viewer's scope
    (the sidebar card, after ``customer_360``): one indexed read, no second scope check."""
    return _churn_of(customer_no, ChurnScore.objects.filter(customer__customer_no=customer_no))


def _churn_of(customer_no: str, scores: QuerySet[ChurnScore]) -> CustomerChurn:
    row = scores.values_list("score", "band", "reasons", "scored_on", "model__version").first()
    if row is None:
        return CustomerChurn(customer_no, None, None, "", (), None, None)
    score, band, reasons, scored_on, version = row
    return CustomerChurn(customer_no, score, band, str(ChurnBand(band).label), _reasons(reasons), scored_on, version)


@dataclass(frozen=True)
class BranchBands:
    branch_name: str
    high: int
    medium: int
    low: int

    @property
    def total(self) -> int:
        return self.high + self.medium + self.low

    @property
    def high_share(self) -> float:
        return self.high / self.total if self.total else 0.0


def churn_bands_by_branch(*, viewer: AbstractBaseUser | AnonymousUser) -> list[BranchBands]:
    """Scored customers per band, by the branches one level below the viewer's (their own outlet for an RM)."""
    scope = data_scope_for(viewer)
    if scope is None:
        return []
    # Branch paths are fixed-width steps: the first len+step characters name the child on the viewer's line.
    depth = len(scope.branch_path) + (0 if scope.role == "rm" else Branch.steplen)
    rows = list(
        ChurnScore.objects.visible_to(viewer)
        .annotate(prefix=Substr("customer__branch__path", 1, depth))
        .values("prefix")
        .annotate(
            high=Count("pk", filter=Q(band=ChurnBand.HIGH)),
            medium=Count("pk", filter=Q(band=ChurnBand.MEDIUM)),
            low=Count("pk", filter=Q(band=ChurnBand.LOW)),
        )
        .order_by("prefix")
    )
    names = dict(Branch.objects.filter(path__in=[row["prefix"] for row in rows]).values_list("path", "name"))
    return [
        BranchBands(
            branch_name=names.get(row["prefix"], row["prefix"]), high=row["high"], medium=row["medium"], low=row["low"]
        )
        for row in rows
    ]


@dataclass(frozen=True)
class AtRiskCustomer:
    customer_no: str
    name_masked: str
    owner_name: str
    branch_name: str
    score: float
    band: str
    band_label: str
    reasons: tuple[Reason, ...]


def churn_at_risk_list(*, viewer: AbstractBaseUser | AnonymousUser, limit: int = 50) -> list[AtRiskCustomer]:
    """The viewer's customers in the high and medium bands, riskiest first (an RM: their own customers)."""
    rows = (
        ChurnScore.objects.visible_to(viewer)
        .exclude(band=ChurnBand.LOW)
        .select_related("customer__owner", "customer__branch")
        .only(
            "score",
            "band",
            "reasons",
            "customer__customer_no",
            "customer__name_cipher",
            "customer__owner__name",
            "customer__branch__name",
        )
        .order_by("-score", "customer_id")[:limit]
    )
    customers: list[AtRiskCustomer] = []
    for row in rows:
        customer: Customer = row.customer
        customers.append(
            AtRiskCustomer(
                customer_no=customer.customer_no,
                name_masked=pii_masked(customer.name_cipher, kind=PiiKind.NAME) or "",
                owner_name=customer.owner.name if customer.owner else "",
                branch_name=customer.branch.name,
                score=row.score,
                band=row.band,
                band_label=str(ChurnBand(row.band).label),
                reasons=_reasons(row.reasons),
            )
        )
    return customers
