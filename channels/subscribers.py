"""How channels follows what happened below it (``scrm.core.events``), wired in ``ChannelsConfig.ready``.

Each subscriber runs after the publisher's commit and only enqueues a task with ids:
the WeCom work happens on a worker.
"""

from __future__ import annotations

from channels.transfers.tasks import transfers_start_task
from customers.events import CustomersTransferred


def transfers_follow_on_wecom(event: CustomersTransferred) -> None:
    """The WeCom relations of a committed transfer batch move with the customers."""
    transfers_start_task.delay(event.batch_id)
