"""Logging: structured, one line per event, never PII.

Every handler masks phones and ID numbers (``scrm.pii.log_masking``), the access logs
included: runserver's (``django.server``) and gunicorn's (``gunicorn.access``, taken over
in each worker). ``LOG_FILE`` adds a file beside the console with the same masking; every
process of a deployment (web, workers, beat) may append to the same file.
"""

from typing import Any

from scrm.settings.environment import env


def logging_config(*, level: str, file: str = "") -> dict[str, Any]:
    """The product's logging configuration; ``file`` (a path) adds a file sink."""
    sinks = ["console", "file"] if file else ["console"]
    handlers: dict[str, dict[str, Any]] = {
        "console": {"class": "logging.StreamHandler", "formatter": "kv", "filters": ["pii"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["pii"]},
    }
    if file:
        # Watched, so that logrotate's move is followed instead of writing to a deleted file.
        handlers["file"] = {
            "class": "logging.handlers.WatchedFileHandler",
            "filename": file,
            "formatter": "kv",
            "filters": ["pii"],
            "encoding": "utf-8",
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"pii": {"()": "scrm.pii.log_masking.PiiMaskingFilter"}},
        "formatters": {
            "kv": {"format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"},
            "django.server": {
                "()": "django.utils.log.ServerFormatter",
                "format": "[{server_time}] {message}",
                "style": "{",
            },
        },
        "handlers": handlers,
        "root": {"handlers": sinks, "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            "pgserver": {"level": "WARNING"},
            # Django's own default handlers (console when DEBUG, mail_admins) are replaced: all goes to root.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            "django.server": {"handlers": ["django.server", *sinks[1:]], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": sinks, "level": "INFO", "propagate": False},
        },
    }


LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOG_FILE: str = env.str("LOG_FILE", default="")
LOGGING = logging_config(level=LOG_LEVEL, file=LOG_FILE)
