"""The consent history's columns, for bulk writers that append it in their own statement."""

from django.db import connection

from customers.models import ConsentRecord

# The columns a bulk writer's SELECT yields, in this order.
CONSENT_HISTORY_COLUMNS = (
    "customer_id",
    "purpose",
    "previous",
    "granted",
    "source",
    "reason",
    "actor_id",
    "import_job_id",
    "recorded_at",
)


def consent_history_insert_sql(select: str) -> str:
    """``INSERT`` of the consent records that ``select`` yields (``CONSENT_HISTORY_COLUMNS`` in order);
    it may stand as a CTE of a larger statement, like ``timeline_insert_sql``."""
    table = connection.ops.quote_name(ConsentRecord._meta.db_table)
    return f"INSERT INTO {table} ({', '.join(CONSENT_HISTORY_COLUMNS)}) {select}"
