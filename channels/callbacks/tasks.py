"""Celery tasks of the callback inbox: they take ids, call a service, and are safe to run twice."""

from celery import Task, shared_task

from channels.callbacks import services


# No result is kept: nothing waits on one, and the producer would subscribe to each task's result otherwise.
@shared_task(
    bind=True,
    name="channels.callback_process",
    max_retries=None,
    soft_time_limit=240,
    time_limit=300,
    ignore_result=True,
)
def callback_process_task(self: Task, inbox_id: int) -> str:
    """Handle one inbox row; a failed row comes back with backoff until it is out of attempts."""
    inbox = services.callback_process(inbox_id=inbox_id)
    if inbox is None:
        return "busy"
    delay = services.callback_retry_delay(inbox)
    if delay is not None:
        raise self.retry(countdown=delay)
    return str(inbox.status)


@shared_task(name="channels.callback_sweep")
def callback_sweep_task() -> int:
    """Beat, every minute: re-enqueue rows whose task message was lost (a lost message loses no event)."""
    return len(services.callback_sweep())
