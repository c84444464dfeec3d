"""How channels follows what happened below it (``scrm.core.events``), wired in ``ChannelsConfig.ready``.

Each subscriber runs after the publisher's commit and only enqueues a task with ids:
the WeCom work happens on a worker.
"""

from __future__ import annotations

from channels.contacts.tasks import tags_mirror_task
from channels.transfers.tasks import transfers_start_task
from customers.events import CustomersTransferred, CustomerTagsChanged


def transfers_follow_on_wecom(event: CustomersTransferred) -> None:
    """The WeCom relations of a committed transfer batch move with the customers."""
    transfers_start_task.delay(event.batch_id)


def tags_follow_on_wecom(event: CustomerTagsChanged) -> None:
    """The customers' WeCom relations get their changed tags (on dispatch: never ahead of a welcome)."""
    tags_mirror_task.delay(event.first_customer_id, event.last_customer_id)
