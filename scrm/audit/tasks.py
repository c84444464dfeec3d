import logging

from celery import shared_task

from scrm.audit.models import ChainCheckStatus
from scrm.audit.services import audit_digest_export, chain_check_run

logger = logging.getLogger(__name__)


@shared_task(name="audit.verify_chain", soft_time_limit=1700, time_limit=1800)
def audit_verify_chain_task(check_id: int | None = None) -> dict[str, object]:
    """Check of the chain and the signed digests, nightly or asked for on the compliance console.

    The outcome is recorded as a ``ChainCheck`` (``check_id``'s, or a new one); a break is
    also logged as an error for the SOC.
    """
    check = chain_check_run(check_id=check_id)
    ok = check.status == ChainCheckStatus.INTACT
    if not ok:
        logger.error("audit chain broken sequence=%s reason=%s", check.broken_sequence, check.reason)
    return {"ok": ok, "checked": check.checked, "broken_sequence": check.broken_sequence}


@shared_task(name="audit.export_digest", soft_time_limit=240, time_limit=300)
def audit_export_digest_task() -> str | None:
    """Sign and export the newest rows' hashes; a retry rewrites nothing already exported."""
    return audit_digest_export()
