from django.apps import AppConfig


class OrgConfig(AppConfig):
    """The 总-分-支-网点 hierarchy, staff and data scope."""

    name = "scrm.org"
    label = "org"
    verbose_name = "Organisation"
