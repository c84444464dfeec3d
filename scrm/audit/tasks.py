import logging

from celery import shared_task

from scrm.audit.selectors import audit_chain_verify

logger = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain", soft_time_limit=1700, time_limit=1800)
def audit_verify_chain_task() -> dict[str, object]:
    """Nightly check of the chain; a break is logged as an error for the SOC to pick up."""
    result = audit_chain_verify()
    if not result.ok:
        logger.error("audit chain broken sequence=%s reason=%s", result.broken_sequence, result.reason)
    return {"ok": result.ok, "checked": result.checked, "broken_sequence": result.broken_sequence}
