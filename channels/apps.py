from typing import Any

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """The WeCom gateway and sandbox, callbacks, channel codes, groups and the sidebar."""

    name = "channels"

    def ready(self) -> None:
        from customers.transfers.signals import customers_transferred

        customers_transferred.connect(_follow_transfer_on_wecom, dispatch_uid="channels.transfers_start")


def _follow_transfer_on_wecom(sender: Any, *, batch_id: Any, **kwargs: Any) -> None:
    from channels.transfers.tasks import transfers_start_task

    # Sent after the transfer committed (customers.transfers.services).
    transfers_start_task.delay(str(batch_id))
