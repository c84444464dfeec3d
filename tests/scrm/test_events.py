"""Domain events: typed, published in the writing transaction, delivered after it commits."""

from dataclasses import dataclass

import pytest
from django.db import transaction

from channels.subscribers import transfers_follow_on_wecom
from customers.events import CustomersTransferred, CustomerTagsChanged
from scrm.core import events
from scrm.core.events import DomainEvent
from scrm.org.models import Branch, BranchLevel
from tests.factories import BranchFactory


@dataclass(frozen=True)
class SomethingHappened(DomainEvent):
    thing_id: int


@dataclass(frozen=True)
class SomethingElse(DomainEvent):
    name: str


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[DomainEvent]:
    """A subscriber of SomethingHappened that records what it got; registrations restored afterwards."""
    monkeypatch.setattr(events, "_subscribers", {key: list(value) for key, value in events._subscribers.items()})
    seen: list[DomainEvent] = []

    def record(event: SomethingHappened) -> None:
        seen.append(event)

    events.subscribe(SomethingHappened, record)
    return seen


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_gets_the_event_once_the_transaction_commits(received: list[DomainEvent]) -> None:
    with transaction.atomic():
        events.publish(SomethingHappened(thing_id=7))
        assert received == []

    assert received == [SomethingHappened(thing_id=7)]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_delivers_nothing(received: list[DomainEvent]) -> None:
    def write_then_fail() -> None:
        with transaction.atomic():
            events.publish(SomethingHappened(thing_id=7))
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_then_fail()

    assert received == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_neither_undoes_the_commit_nor_stops_the_others(received: list[DomainEvent]) -> None:
    def explode(event: SomethingHappened) -> None:
        raise ValueError("broken subscriber")

    events._subscribers[SomethingHappened].insert(0, explode)
    with transaction.atomic():
        BranchFactory(parent=None, code="HQ", name="总行", level=BranchLevel.HQ)
        events.publish(SomethingHappened(thing_id=1))

    assert Branch.objects.filter(code="HQ").exists()
    assert received == [SomethingHappened(thing_id=1)]


def test_only_subscribers_of_that_exact_event_type_are_called(received: list[DomainEvent]) -> None:
    assert events.subscribers_of(SomethingElse) == []
    assert len(events.subscribers_of(SomethingHappened)) == 1


def test_subscribing_the_same_function_twice_delivers_once(received: list[DomainEvent]) -> None:
    [subscriber] = events.subscribers_of(SomethingHappened)
    events.subscribe(SomethingHappened, subscriber)

    assert events.subscribers_of(SomethingHappened) == [subscriber]


def test_a_subscriber_for_another_event_type_is_refused_at_registration(received: list[DomainEvent]) -> None:
    def wrong(event: SomethingElse) -> None:
        pass

    with pytest.raises(TypeError, match=r"takes .*SomethingElse.*not SomethingHappened"):
        events.subscribe(SomethingHappened, wrong)


def test_a_subscriber_that_takes_more_than_the_event_is_refused(received: list[DomainEvent]) -> None:
    def greedy(event: SomethingHappened, actor: str) -> None:
        pass

    with pytest.raises(TypeError, match="one argument"):
        events.subscribe(SomethingHappened, greedy)


def test_only_domain_event_dataclasses_can_be_subscribed_to() -> None:
    with pytest.raises(TypeError, match="not a DomainEvent"):
        events.subscribe(dict, print)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_an_event_refuses_a_model_instance_in_place_of_an_id() -> None:
    branch = Branch(code="X", name="X")

    with pytest.raises(TypeError, match="must hold ids or plain values"):
        SomethingHappened(thing_id=branch)  # type: ignore[arg-type]


def test_a_tag_change_range_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="must not exceed"):
        CustomerTagsChanged(first_customer_id=5, last_customer_id=4)


def test_the_apps_wire_their_subscribers_at_start_up() -> None:
    assert transfers_follow_on_wecom in events.subscribers_of(CustomersTransferred)
