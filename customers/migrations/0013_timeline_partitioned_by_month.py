"""The customer timeline becomes a table partitioned by month on ``occurred_at``.

Django cannot declare a partitioned table, so this migration is SQL only and the model state
does not change: Django keeps ``id`` as the model's primary key (it stays unique, from its
identity sequence), while the database's primary key is (id, occurred_at), as PostgreSQL
requires of a partitioned table's unique keys. docs/scaling.md, "Partitioned timeline",
describes the path for a large existing table.

Forwards, the plain table steps aside under the name ``customers_timelineevent_history``
and the partitioned parent takes its name, indexes and foreign keys:

- on a new database the plain table is empty: it is dropped, and this month and the next
  get their partitions;
- on an existing database it is attached whole as the partition of everything before next
  month, without copying a row: its rows dated later move through the parent first, unless
  a validated ``customers_timelineevent_partition_bound`` CHECK was added ahead of time
  (then ATTACH needs no scan at all); next month and the one after get fresh partitions.

The DEFAULT partition catches an event dated outside every partition, so no insert is ever
refused. Backwards copies every row into a plain table again (a full rewrite).
"""

from django.apps.registry import Apps
from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.utils import CursorWrapper

# Made and filled by the application at run time (beat, the demo), which owns nothing and
# cannot create tables: so with the owner's rights (SECURITY DEFINER), from a year and a
# month only. The month's events waiting in DEFAULT move into the new partition in the same
# call; a CHECK proves the range to ATTACH so that it does not scan the rows it was just
# given. A month already inside another partition (the history one) is refused by ATTACH as
# an overlap: that month needs none, and nothing is changed.
PARTITION_FUNCTION = r"""
CREATE FUNCTION customers_timeline_partition_create(p_year integer, p_month integer, p_tz text)
RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    partition text;
    low timestamptz;
    high timestamptz;
BEGIN
    IF p_year NOT BETWEEN 2000 AND 9999 OR p_month NOT BETWEEN 1 AND 12 THEN
        RAISE EXCEPTION 'no such month: %-%', p_year, p_month;
    END IF;
    -- Two upkeeps at once would race to create the same month.
    PERFORM pg_advisory_xact_lock(hashtext('customers_timeline_partition_create'));
    partition := format('customers_timelineevent_y%sm%s', p_year, lpad(p_month::text, 2, '0'));
    IF to_regclass(partition) IS NOT NULL THEN
        RETURN false;
    END IF;
    low := make_timestamptz(p_year, p_month, 1, 0, 0, 0, p_tz);
    high := (make_timestamp(p_year, p_month, 1, 0, 0, 0) + interval '1 month') AT TIME ZONE p_tz;
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I (LIKE customers_timelineevent INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', partition
        );
        EXECUTE format(
            'WITH moved AS (DELETE FROM customers_timelineevent_default WHERE occurred_at >= $1 AND occurred_at < $2 '
            'RETURNING *) INSERT INTO %I SELECT * FROM moved', partition
        ) USING low, high;
        EXECUTE format(
            'ALTER TABLE %I ADD CONSTRAINT %I CHECK (occurred_at >= %L AND occurred_at < %L)',
            partition, partition || '_bound', low, high
        );
        EXECUTE format(
            'ALTER TABLE customers_timelineevent ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
            partition, low, high
        );
        EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', partition, partition || '_bound');
    EXCEPTION WHEN invalid_object_definition THEN
        -- "would overlap partition": the month lies in the history partition.
        RETURN false;
    END;
    RETURN true;
END $$;
"""
DROP_PARTITION_FUNCTION = "DROP FUNCTION customers_timeline_partition_create(integer, integer, text);"

ENGAGEMENT = "kind IN ('contacted', 'note', 'campaign_sent')"  # models.timeline.ENGAGEMENT_KINDS
# Django's names for the foreign keys (a hash of table and column), kept so the schema reads as Django wrote it.
CUSTOMER_FK = "customers_timelineev_customer_id_95f98a8f_fk_customers"
ACTOR_FK = "customers_timelineevent_actor_id_0e5d9040_fk_org_staff_id"
# The columns in the plain table's order, so its rows fit the parent as they are.
COLUMNS = """
    kind varchar(24) NOT NULL,
    occurred_at timestamp with time zone NOT NULL,
    summary varchar(200) NOT NULL,
    data jsonb NOT NULL,
    actor_id bigint NULL,
    customer_id bigint NOT NULL
"""
FOREIGN_KEYS = f"""
    CONSTRAINT {CUSTOMER_FK} FOREIGN KEY (customer_id) REFERENCES customers_customer (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT {ACTOR_FK} FOREIGN KEY (actor_id) REFERENCES org_staff (id) DEFERRABLE INITIALLY DEFERRED
"""

STEP_ASIDE = """
ALTER TABLE customers_timelineevent RENAME TO customers_timelineevent_history;
ALTER INDEX customers_timeline_recent RENAME TO customers_timelineevent_history_recent;
ALTER INDEX customers_timeline_engagement RENAME TO customers_timelineevent_history_engagement;
ALTER TABLE customers_timelineevent_history
    RENAME CONSTRAINT customers_timelineevent_pkey TO customers_timelineevent_history_pkey;
DO $$ BEGIN
    EXECUTE format(
        'ALTER SEQUENCE %s RENAME TO customers_timelineevent_history_id_seq',
        pg_get_serial_sequence('customers_timelineevent_history', 'id')
    );
END $$;
"""
# The parent's own identity sequence continues where the plain table's stopped.
SEQUENCE_POSITION = """
SELECT greatest(
    pg_sequence_last_value(pg_get_serial_sequence('customers_timelineevent_history', 'id')::regclass),
    (SELECT max(id) FROM customers_timelineevent_history)
)
"""
PARENT = f"""
CREATE TABLE customers_timelineevent (
    id bigint GENERATED BY DEFAULT AS IDENTITY,
    {COLUMNS},
    CONSTRAINT customers_timelineevent_pkey PRIMARY KEY (id, occurred_at),
    {FOREIGN_KEYS}
) PARTITION BY RANGE (occurred_at);
CREATE INDEX customers_timeline_recent ON customers_timelineevent (customer_id, occurred_at DESC, id DESC);
CREATE INDEX customers_timeline_engagement ON customers_timelineevent (customer_id, occurred_at) WHERE {ENGAGEMENT};
CREATE TABLE customers_timelineevent_default PARTITION OF customers_timelineevent DEFAULT;
"""
# The primary key's index for the history partition; built here unless it was built
# CONCURRENTLY ahead of time under this name (docs/scaling.md).
HISTORY_KEY = """
CREATE UNIQUE INDEX IF NOT EXISTS customers_timelineevent_id_occurred_at
ON customers_timelineevent_history (id, occurred_at);
ALTER TABLE customers_timelineevent_history
    DROP CONSTRAINT customers_timelineevent_history_pkey,
    ADD CONSTRAINT customers_timelineevent_history_pkey PRIMARY KEY USING INDEX customers_timelineevent_id_occurred_at;
ALTER TABLE customers_timelineevent_history ALTER COLUMN id DROP IDENTITY;
"""
BOUND_CONSTRAINT = "customers_timelineevent_partition_bound"


def _month_bounds(cursor: CursorWrapper, months_from_now: int) -> tuple[int, int]:
    cursor.execute(
        "SELECT extract(year FROM m)::int, extract(month FROM m)::int "
        "FROM (SELECT date_trunc('month', now() AT TIME ZONE %s) + make_interval(months => %s) AS m) AS month",
        [settings.TIME_ZONE, months_from_now],
    )
    year, month = cursor.fetchone()
    return year, month


def _partition_create(cursor: CursorWrapper, year: int, month: int) -> None:
    cursor.execute("SELECT customers_timeline_partition_create(%s, %s, %s)", [year, month, settings.TIME_ZONE])


def partition(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    with schema_editor.connection.cursor() as cursor:
        # Rows written earlier in this transaction must have their deferred checks run
        # before PostgreSQL lets the table be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(STEP_ASIDE)
        cursor.execute(SEQUENCE_POSITION)
        (last_id,) = cursor.fetchone()
        cursor.execute(PARENT)
        cursor.execute(PARTITION_FUNCTION)
        if last_id is not None:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('customers_timelineevent', 'id'), %s)", [last_id]
            )
        cursor.execute("SELECT EXISTS (SELECT FROM customers_timelineevent_history)")
        (has_rows,) = cursor.fetchone()
        if not has_rows:
            cursor.execute("DROP TABLE customers_timelineevent_history")
            for ahead in (0, 1):
                _partition_create(cursor, *_month_bounds(cursor, ahead))
            return
        next_year, next_month = _month_bounds(cursor, 1)
        cursor.execute("SELECT make_timestamptz(%s, %s, 1, 0, 0, 0, %s)", [next_year, next_month, settings.TIME_ZONE])
        (bound,) = cursor.fetchone()
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_constraint WHERE conname = %s AND convalidated "
            "AND conrelid = 'customers_timelineevent_history'::regclass)",
            [BOUND_CONSTRAINT],
        )
        (prepared,) = cursor.fetchone()
        if not prepared:
            # Events dated after the bound (clocks ahead, a future-dated extract) go through the parent.
            cursor.execute(
                "WITH moved AS (DELETE FROM customers_timelineevent_history WHERE occurred_at >= %s RETURNING *) "
                "INSERT INTO customers_timelineevent "
                "(id, kind, occurred_at, summary, data, actor_id, customer_id) "
                "SELECT id, kind, occurred_at, summary, data, actor_id, customer_id FROM moved",
                [bound],
            )
        cursor.execute(HISTORY_KEY)
        # The existing indexes and foreign keys match the parent's and are attached as they are.
        cursor.execute(
            "ALTER TABLE customers_timelineevent ATTACH PARTITION customers_timelineevent_history "
            "FOR VALUES FROM (MINVALUE) TO (%s)",
            [bound],
        )
        if prepared:
            cursor.execute(f"ALTER TABLE customers_timelineevent_history DROP CONSTRAINT {BOUND_CONSTRAINT}")
        for ahead in (1, 2):
            _partition_create(cursor, *_month_bounds(cursor, ahead))


PLAIN = f"""
CREATE TABLE customers_timelineevent_plain (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    {COLUMNS}
);
INSERT INTO customers_timelineevent_plain (id, kind, occurred_at, summary, data, actor_id, customer_id)
SELECT id, kind, occurred_at, summary, data, actor_id, customer_id FROM customers_timelineevent;
"""
PLAIN_SEQUENCE_POSITION = """
SELECT greatest(
    pg_sequence_last_value(pg_get_serial_sequence('customers_timelineevent', 'id')::regclass),
    (SELECT max(id) FROM customers_timelineevent_plain)
)
"""
PLAIN_TAKES_OVER = f"""
DROP TABLE customers_timelineevent;
ALTER TABLE customers_timelineevent_plain RENAME TO customers_timelineevent;
ALTER TABLE customers_timelineevent RENAME CONSTRAINT customers_timelineevent_plain_pkey TO customers_timelineevent_pkey;
ALTER SEQUENCE customers_timelineevent_plain_id_seq RENAME TO customers_timelineevent_id_seq;
ALTER TABLE customers_timelineevent
    ADD CONSTRAINT {CUSTOMER_FK} FOREIGN KEY (customer_id) REFERENCES customers_customer (id) DEFERRABLE INITIALLY DEFERRED,
    ADD CONSTRAINT {ACTOR_FK} FOREIGN KEY (actor_id) REFERENCES org_staff (id) DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX customers_timeline_recent ON customers_timelineevent (customer_id, occurred_at DESC, id DESC);
CREATE INDEX customers_timeline_engagement ON customers_timelineevent (customer_id, occurred_at) WHERE {ENGAGEMENT};
"""


def unpartition(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Every row copied into a plain table again: a full rewrite, for going back before this migration."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(PLAIN)
        cursor.execute(PLAIN_SEQUENCE_POSITION)
        (last_id,) = cursor.fetchone()
        if last_id is not None:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('customers_timelineevent_plain', 'id'), %s)", [last_id]
            )
        cursor.execute(PLAIN_TAKES_OVER)
        cursor.execute(DROP_PARTITION_FUNCTION)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_tag_and_group_names_unique"),
        ("org", "0001_initial"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
