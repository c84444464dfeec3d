"""Indexes for the customer list's keyset pages (customers.search.keyset).

Each sort order is served by one (key, id) index, scanned forwards or backwards from
the cursor. The last-contact key is an expression — never-contacted customers sort at
the Unix epoch — and the query must use exactly this expression to use the index.

Built CONCURRENTLY: on a table of tens of millions of rows a plain CREATE INDEX would
block imports and tagging for minutes.
"""

import datetime

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models
from django.db.models.functions import Coalesce

NEVER_CONTACTED = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0003_customertransfer_batch"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(fields=["aum", "id"], name="customers_aum_id_idx"),
        ),
        AddIndexConcurrently(
            model_name="customer",
            index=models.Index(
                Coalesce(models.F("last_contact_at"), models.Value(NEVER_CONTACTED)),
                models.F("id"),
                name="customers_last_contact_id_idx",
            ),
        ),
    ]
