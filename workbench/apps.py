from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    """The RM's and manager's own pages and the chat sidebar: composes the other apps; nothing imports it."""

    name = "workbench"
