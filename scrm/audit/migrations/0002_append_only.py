"""Make the audit table append-only in the database itself.

The application never updates or deletes audit rows; this trigger makes sure no
code path — ORM, raw SQL, admin, a psql session with the app's role — can either.
"""

from django.db import migrations

FORBID_CHANGE = """
CREATE FUNCTION audit_event_forbid_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_auditevent is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_append_only
    BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_forbid_change();
"""

ALLOW_CHANGE = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunSQL(FORBID_CHANGE, ALLOW_CHANGE)]
