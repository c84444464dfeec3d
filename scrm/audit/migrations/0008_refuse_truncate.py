"""Refuse TRUNCATE of the audit table too.

The row trigger of 0002 sees UPDATE and DELETE only; TRUNCATE removes every row without
firing a row trigger, so a statement-level trigger refuses it with the same message.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_chain_key_id")]

    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_auditevent "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_forbid_change();",
            "DROP TRIGGER IF EXISTS audit_no_truncate ON audit_auditevent;",
        )
    ]
