"""Celery: Redis broker, three queues, late acks, beat schedule in code."""

from celery.schedules import crontab
from kombu import Queue as KombuQueue

from scrm.core.queues import Queue
from scrm.settings.base import HOME_FIGURES_REFRESH_SECONDS, REDIS_URL, VAR_DIR
from scrm.settings.environment import env

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = Queue.BULK
# Which queue each task runs on, in one place; names are "<app>.<task>". Outbox sends
# first: each runs on the queue its WeCom operation declares (channels.outbox.operations).
CELERY_TASK_ROUTES: tuple[str | dict[str, dict[str, str]], ...] = (
    "channels.outbox.routing.outbox_send_route",
    {
        "customers.*": {"queue": Queue.BULK},
        "audit.*": {"queue": Queue.BULK},
        # Patterns match in order: nightly reconciliation is batch work...
        "channels.reconcile_*": {"queue": Queue.BULK},
        # ...tag syncs and transfers send to WeCom, possibly by the hundred thousand...
        "channels.tags_mirror*": {"queue": Queue.DISPATCH},
        "channels.transfer*": {"queue": Queue.DISPATCH},
        # ...while callbacks race WeCom's 20 s welcome-code window.
        "channels.callback_*": {"queue": Queue.REALTIME},
        "channels.*": {"queue": Queue.DISPATCH},
        # Planning a campaign writes up to millions of rows; its WeCom calls go through the
        # outbox, whose sends run on dispatch.
        "campaigns.*": {"queue": Queue.BULK},
        # Recounting the home pages' bank-wide and subtree figures reads millions of rows.
        "analytics.*": {"queue": Queue.BULK},
    },
)
# An isolated worker (a test's, a one-off's) may keep everything it enqueues to itself.
if _one_queue := env.str("CELERY_ROUTE_EVERYTHING_TO", default=""):
    CELERY_TASK_ROUTES = ({"*": {"queue": _one_queue}},)
# Declared up front so every worker and producer agrees on them.
CELERY_TASK_QUEUES = [KombuQueue(queue.value) for queue in Queue] + ([KombuQueue(_one_queue)] if _one_queue else [])
# A task is acknowledged only after it finished, and a killed worker's task goes back
# to the queue: together with idempotent tasks, nothing is lost and nothing runs twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=3300)
# Must exceed the longest task, or Redis redelivers a still-running task.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_TRACK_STARTED = True

CELERY_BEAT_SCHEDULE = {
    "home-snapshots-refresh": {
        "task": "analytics.home_snapshots_refresh",
        "schedule": float(HOME_FIGURES_REFRESH_SECONDS),
        "options": {"queue": Queue.BULK},
    },
    "lifecycle-nightly": {
        "task": "customers.lifecycle_recompute",
        "schedule": crontab(hour=0, minute=30),
        "options": {"queue": Queue.BULK},
    },
    "tag-rules-nightly": {
        "task": "customers.tag_rules_run_all",
        "schedule": crontab(hour=1, minute=0),
        "options": {"queue": Queue.BULK},
    },
    # A worker killed mid-task strands its message until the visibility timeout: these
    # hand the work to a live worker within a minute (the tasks are idempotent).
    "import-sweep": {
        "task": "customers.import_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "tag-rule-run-sweep": {
        "task": "customers.tag_rule_run_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "tag-bulk-job-sweep": {
        "task": "customers.tag_bulk_job_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "wecom-outbox-sweep": {
        "task": "channels.outbox_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.REALTIME},
    },
    "wecom-callback-sweep": {
        "task": "channels.callback_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.REALTIME},
    },
    "wecom-reconcile-nightly": {
        "task": "channels.reconcile_all",
        "schedule": crontab(hour=3, minute=0),
        "options": {"queue": Queue.BULK},
    },
    "wecom-transfer-results": {
        "task": "channels.transfer_results_poll",
        "schedule": 300.0,
        "options": {"queue": Queue.DISPATCH},
    },
    "wecom-tags-mirror-nightly": {
        "task": "channels.tags_mirror_all",
        "schedule": crontab(hour=3, minute=30),
        "options": {"queue": Queue.DISPATCH},
    },
    "campaigns-dispatch-due": {
        "task": "campaigns.dispatch_due",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "campaigns-reconcile-sweep": {
        "task": "campaigns.reconcile_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "campaigns-results-poll": {
        "task": "campaigns.results_poll",
        "schedule": 600.0,
        "options": {"queue": Queue.BULK},
    },
    # Branch managers' digests of high-severity violations and deletions (one a window at most),
    # and a rescan of the chat archive once the word library has changed.
    "violations-manager-digests": {
        "task": "risk.manager_digests_send",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    "violations-rescan-on-library-change": {
        "task": "risk.violations_rescan_if_library_changed",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    # After the nightly imports, lifecycle and tag rules: churn scores and 流失预警 tags for the day.
    "churn-scoring-nightly": {
        "task": "risk.churn_score_all",
        "schedule": crontab(hour=4, minute=0),
        "options": {"queue": Queue.BULK},
    },
    "churn-scoring-sweep": {
        "task": "risk.churn_scoring_sweep",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK},
    },
    # Hourly: a rewrite of the table is caught against a signed copy at most an hour old.
    "audit-export-digest-hourly": {
        "task": "audit.export_digest",
        "schedule": crontab(minute=5),
        "options": {"queue": Queue.BULK},
    },
    "audit-verify-chain-nightly": {
        "task": "audit.verify_chain",
        "schedule": crontab(hour=2, minute=30),
        "options": {"queue": Queue.BULK},
    },
    # WeCom keeps archive records five days: read them every minute, one ingester at a time.
    "archive-ingest": {
        "task": "risk.archive_ingest",
        "schedule": 60.0,
        "options": {"queue": Queue.BULK, "expires": 55},
    },
    # The timeline's months ahead, and any events that waited in its DEFAULT partition moved out.
    "timeline-partitions-daily": {
        "task": "customers.timeline_partitions_ensure",
        "schedule": crontab(hour=0, minute=15),
        "options": {"queue": Queue.BULK},
    },
    "archive-partitions-daily": {
        "task": "risk.archive_partitions_ensure",
        "schedule": crontab(hour=0, minute=10),
        "options": {"queue": Queue.BULK},
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
