"""scrm: a social CRM for retail banks on WeChat Work."""

from scrm.celery import app as celery_app

__all__ = ["celery_app"]
