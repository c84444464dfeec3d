"""What the customers app tells the apps above it (``scrm.core.events``)."""

from __future__ import annotations

from dataclasses import dataclass

from scrm.core.events import DomainEvent


@dataclass(frozen=True)
class CustomersTransferred(DomainEvent):
    """A transfer batch committed: its CustomerTransfer rows name the customers and RMs."""

    batch_id: str


@dataclass(frozen=True)
class CustomerTagsChanged(DomainEvent):
    """Tags were added to or removed from some customers with ids in this range.

    One event per batch (a request, a rule range, an import), never one per customer:
    the range bounds the customers whose tags may have changed, and a subscriber reads
    their tags as they now stand. ``first_customer_id == last_customer_id`` for one.
    """

    first_customer_id: int
    last_customer_id: int

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.first_customer_id > self.last_customer_id:
            raise ValueError("first_customer_id must not exceed last_customer_id")
