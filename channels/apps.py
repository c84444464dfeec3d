from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """The WeCom gateway, callbacks, channel codes, contacts, groups and identity."""

    name = "channels"

    def ready(self) -> None:
        from channels.audit import ChannelAuditAction
        from channels.subscribers import tags_follow_on_wecom, transfers_follow_on_wecom
        from customers.events import CustomersTransferred, CustomerTagsChanged
        from scrm.audit.actions import audit_actions_register
        from scrm.core import events

        audit_actions_register(ChannelAuditAction)

        events.subscribe(CustomersTransferred, transfers_follow_on_wecom)
        events.subscribe(CustomerTagsChanged, tags_follow_on_wecom)
