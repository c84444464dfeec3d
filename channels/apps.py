from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    """The WeCom gateway and sandbox, callbacks, channel codes, groups and the sidebar."""

    name = "channels"
