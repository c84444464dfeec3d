"""The bank customer and their product holdings.

Name, phone and ID number are stored only as AES-GCM ciphertext (``scrm.pii``);
phone and ID number also have a keyed blind index for exact lookup. Nothing in
this table is readable as PII without going through ``scrm.pii``.

One module per concept; everything is importable from ``customers.models``."""

from customers.models.consent import CONSENT_FLAGS, ConsentPurpose, ConsentRecord, ConsentRecordQuerySet, ConsentSource
from customers.models.customer import (
    AUM_BAND_LOWER_BOUNDS,
    NEVER_CONTACTED,
    AumBand,
    AumSnapshot,
    Customer,
    CustomerQuerySet,
    Gender,
    HoldingPurchase,
    HoldingQuerySet,
    LifecycleStage,
    ProductHolding,
    ProductType,
    RiskLevel,
)
from customers.models.imports import ImportJob, ImportKind, ImportMode
from customers.models.segments import Segment, SegmentSnapshot, SegmentSnapshotMember
from customers.models.tags import (
    CustomerTag,
    CustomerTagQuerySet,
    JobStatus,
    Tag,
    TagBulkAction,
    TagBulkJob,
    TagBulkJobCustomer,
    TagGroup,
    TagKind,
    TagRule,
    TagRuleRun,
    TagRuleRunRange,
)
from customers.models.timeline import TimelineEvent, TimelineEventQuerySet, TimelineKind
from customers.models.transfers import CustomerTransfer, CustomerTransferQuerySet, TransferKind, TransferStatus

__all__ = [
    "AUM_BAND_LOWER_BOUNDS",
    "CONSENT_FLAGS",
    "NEVER_CONTACTED",
    "AumBand",
    "AumSnapshot",
    "ConsentPurpose",
    "ConsentRecord",
    "ConsentRecordQuerySet",
    "ConsentSource",
    "Customer",
    "CustomerQuerySet",
    "CustomerTag",
    "CustomerTagQuerySet",
    "CustomerTransfer",
    "CustomerTransferQuerySet",
    "Gender",
    "HoldingPurchase",
    "HoldingQuerySet",
    "ImportJob",
    "ImportKind",
    "ImportMode",
    "JobStatus",
    "LifecycleStage",
    "ProductHolding",
    "ProductType",
    "RiskLevel",
    "Segment",
    "SegmentSnapshot",
    "SegmentSnapshotMember",
    "Tag",
    "TagBulkAction",
    "TagBulkJob",
    "TagBulkJobCustomer",
    "TagGroup",
    "TagKind",
    "TagRule",
    "TagRuleRun",
    "TagRuleRunRange",
    "TimelineEvent",
    "TimelineEventQuerySet",
    "TimelineKind",
    "TransferKind",
    "TransferStatus",
]
