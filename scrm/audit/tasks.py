import logging

from celery import shared_task

from scrm.audit.selectors import audit_chain_verify
from scrm.audit.services import audit_digest_export

logger = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain", soft_time_limit=1700, time_limit=1800)
def audit_verify_chain_task() -> dict[str, object]:
    """Nightly check of the chain and the signed digests; a break is logged as an error for the SOC."""
    result = audit_chain_verify()
    if not result.ok:
        logger.error("audit chain broken sequence=%s reason=%s", result.broken_sequence, result.reason)
    return {"ok": result.ok, "checked": result.checked, "broken_sequence": result.broken_sequence}


@shared_task(name="audit.export_digest", soft_time_limit=240, time_limit=300)
def audit_export_digest_task() -> str | None:
    """Sign and export the newest rows' hashes; a retry rewrites nothing already exported."""
    return audit_digest_export()
