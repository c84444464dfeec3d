"""The one Celery application. Settings come from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrm.settings")

app = Celery("scrm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Sub-packages of apps keep their own tasks modules.
app.autodiscover_tasks(
    [
        "customers.tagging",
        "customers.imports",
        "customers.lifecycle",
        "customers.timeline",
        "channels.outbox",
        "channels.callbacks",
        "channels.contacts",
        "channels.groups",
        "channels.transfers",
        "campaigns.dispatch",
        "risk.compliance.archive",
        "risk.compliance.violations",
        "risk.churn",
    ]
)
