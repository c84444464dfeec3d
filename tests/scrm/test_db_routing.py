"""Heavy reads on a real streaming replica of the embedded server (scrm.core.db_routing).

The module starts a hot standby of the embedded PostgreSQL (``pg_basebackup -R``, its own
socket) and points a ``replica`` alias at the test database on it. Pausing the standby's
replay holds it behind the primary, so where a read went shows in what it returns.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.services import home_figures_forget
from analytics.services import home_page_figures as home_figures
from campaigns.models import CampaignRecipient
from customers.models import Customer, CustomerTag, TagKind
from customers.segments.services import segment_create
from customers.tagging.services import tag_create, tag_group_create
from scrm.audit.models import AuditAction, AuditEvent
from scrm.audit.services import audit_record
from scrm.core.db_routing import (
    REPLICA_DB_ALIAS,
    reads_from_primary,
    reads_from_replica,
    replica_alias_for_read,
    replica_state,
    replica_state_forget,
    replica_writes_forget,
)
from scrm.embedded import REPLICA_DIRECTORY, REPLICA_PORT, ensure_replica, stop_replica
from scrm.org.models import Staff
from tests.campaigns.results.test_results import campaign, planned
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS])

VAR_DIR = Path(settings.VAR_DIR)


@dataclass(frozen=True)
class Replica:
    pgdata: Path

    def superuser(self) -> psycopg.Connection:
        return psycopg.connect(f"postgresql://postgres@:{REPLICA_PORT}/postgres?host={self.pgdata}", autocommit=True)


def _replica_connection_forget() -> None:
    """Drop this thread's connection object for the alias, so the next use reads its settings afresh."""
    for opened in connections.all(initialized_only=True):
        if opened.alias == REPLICA_DB_ALIAS:
            opened.close()
            del connections[REPLICA_DB_ALIAS]


@pytest.fixture(scope="module")
def replica(django_db_setup: None, django_db_blocker) -> Iterator[Replica]:
    """A standby streaming from the embedded primary, and a ``replica`` alias for the test database on it.

    With ``DATABASE_REPLICA_URL`` set the alias exists already, as a test mirror of the
    primary; it is pointed at the standby for this module and put back afterwards.
    """
    ensure_replica(VAR_DIR)
    pgdata = VAR_DIR / REPLICA_DIRECTORY
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    alias = copy.deepcopy(primary) | {"HOST": str(pgdata), "PORT": str(REPLICA_PORT)}
    # As settings configure it: the test runner never creates or empties a database there.
    alias["TEST"] = {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    configured = connections.settings.get(REPLICA_DB_ALIAS)
    with django_db_blocker.unblock():
        _replica_connection_forget()
    connections.settings[REPLICA_DB_ALIAS] = alias
    replica_state_forget()
    try:
        yield Replica(pgdata=pgdata)
    finally:
        with django_db_blocker.unblock():
            _replica_connection_forget()
        if configured is None:
            del connections.settings[REPLICA_DB_ALIAS]
        else:
            connections.settings[REPLICA_DB_ALIAS] = configured
        replica_state_forget()
        stop_replica(VAR_DIR)


@pytest.fixture(autouse=True)
def fresh_measurement(replica: Replica) -> Iterator[None]:
    replica_state_forget()
    yield
    replica_state_forget()


def _primary_lsn() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return str(cursor.fetchone()[0])


def replayed(replica: Replica, timeout: float = 10.0) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    target = _primary_lsn()
    deadline = time.monotonic() + timeout
    with replica.superuser() as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]).fetchone()[0]:
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.01)


@contextmanager
def replay_paused(replica: Replica) -> Iterator[None]:
    """The standby keeps receiving WAL but applies none of it: it shows the primary as it was."""
    replayed(replica)
    with replica.superuser() as conn:
        conn.execute("SELECT pg_wal_replay_pause()")
        while conn.execute("SELECT pg_get_wal_replay_pause_state()").fetchone()[0] != "paused":
            time.sleep(0.01)
    try:
        yield
    finally:
        with replica.superuser() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")


def a_new_request() -> None:
    """What request_started does: nothing of this request has been written yet."""
    replica_writes_forget()


def test_the_replica_streams_from_the_primary_and_is_read_only(replica: Replica) -> None:
    with replica.superuser() as conn:
        assert conn.execute("SELECT pg_is_in_recovery(), status FROM pg_stat_wal_receiver").fetchone() == (
            True,
            "streaming",
        )
    state = replica_state(max_age=0)
    assert (state.usable, state.reason) == (True, "streaming")
    assert state.lag_seconds is not None
    assert state.lag_seconds < settings.DATABASE_REPLICA_MAX_LAG_SECONDS


def test_home_figures_are_read_on_the_replica(world: World, replica: Replica) -> None:
    hq = world.hq_admin.user
    replayed(replica)
    with replay_paused(replica):
        CustomerFactory(owner=world.rm_bj)  # committed on the primary, not yet applied on the replica
        a_new_request()
        with (
            CaptureQueriesContext(connections[REPLICA_DB_ALIAS]) as on_replica,
            CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
        ):
            figures = home_figures(user=hq)

    assert figures["customers"] == 10  # the world's ten: the eleventh is not on the replica yet
    assert Customer.objects.count() == 11
    assert any("customers_customer" in query["sql"] for query in on_replica.captured_queries)
    # Who the viewer is and what they may see is read on the primary only.
    assert any("org_staff" in query["sql"] for query in on_primary.captured_queries)
    assert not any('FROM "org_staff"' in query["sql"] for query in on_replica.captured_queries)
    assert not any("customers_customer" in query["sql"] for query in on_primary.captured_queries)

    replayed(replica)
    home_figures_forget(user=hq)
    assert home_figures(user=hq)["customers"] == 11


def test_a_read_inside_the_callers_transaction_stays_on_the_primary(world: World, replica: Replica) -> None:
    hq = world.hq_admin.user
    a_new_request()
    with transaction.atomic(), CaptureQueriesContext(connections[REPLICA_DB_ALIAS]) as on_replica:
        CustomerFactory(owner=world.rm_bj)
        figures = home_figures(user=hq)
        assert replica_alias_for_read() == DEFAULT_DB_ALIAS

    assert figures["customers"] == 11  # its own uncommitted row
    assert not any("customers_customer" in query["sql"] for query in on_replica.captured_queries)


def test_after_a_write_the_replica_serves_only_once_it_has_replayed_it(world: World, replica: Replica) -> None:
    a_new_request()
    with replay_paused(replica):
        CustomerFactory(owner=world.rm_bj)
        assert replica_alias_for_read(max_age=0) == DEFAULT_DB_ALIAS
        a_new_request()
        assert replica_alias_for_read(max_age=0) == REPLICA_DB_ALIAS

    CustomerFactory(owner=world.rm_bj)
    replayed(replica)
    assert replica_alias_for_read(max_age=0) == REPLICA_DB_ALIAS


def test_writes_and_migrations_go_to_the_primary_only(world: World, replica: Replica) -> None:
    replayed(replica)
    a_new_request()
    customer = Customer.objects.using(REPLICA_DB_ALIAS).get(pk=world.customers_rm_bj[0].pk)

    @reads_from_replica
    def read_then_write() -> tuple[str, str]:
        customer.risk_level = "C3"
        customer.save(update_fields=["risk_level"])  # a row read on the replica is saved on the primary
        Customer.objects.filter(pk=customer.pk).update(consent_source="replica-test")
        return router.db_for_write(Customer), router.db_for_read(Customer)

    assert read_then_write() == (DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS)
    saved = Customer.objects.get(pk=customer.pk)
    assert (saved.risk_level, saved.consent_source) == ("C3", "replica-test")
    assert router.allow_migrate(REPLICA_DB_ALIAS, "customers") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "customers") is True


def test_sessions_users_and_the_org_tree_are_read_on_the_primary(world: World, replica: Replica) -> None:
    replayed(replica)
    a_new_request()

    @reads_from_replica
    def where_reads_go() -> dict[str, str]:
        with reads_from_primary():
            pinned = router.db_for_read(Customer)
        return {
            "user": router.db_for_read(get_user_model()),
            "staff": router.db_for_read(Staff),
            "customer": router.db_for_read(Customer),
            "pinned": pinned,
        }

    assert where_reads_go() == {
        "user": DEFAULT_DB_ALIAS,
        "staff": DEFAULT_DB_ALIAS,
        "customer": REPLICA_DB_ALIAS,
        "pinned": DEFAULT_DB_ALIAS,
    }
    assert router.db_for_read(Customer) == DEFAULT_DB_ALIAS  # outside a heavy read


def test_a_segment_export_counts_and_streams_from_the_replica(world: World, replica: Replica, client_for) -> None:
    vip = tag_create(group=tag_group_create(code="marketing", name="营销"), code="vip", name="贵宾")
    CustomerTag.objects.bulk_create(
        [CustomerTag(customer=customer, tag=vip, source=TagKind.MANUAL) for customer in world.customers_rm_bj]
    )
    segment = segment_create(
        name="贵宾",
        description="",
        definition={"tags_any": ["vip"], "tags_all": [], "tags_none": [], "rule": None},
        actor=world.hq_admin,
    )
    client = client_for("hq_admin")
    with replay_paused(replica):
        Customer.objects.filter(pk=world.customers_rm_bj[0].pk).update(customer_no="C-LATE")
        response = client.get(reverse("api:segment-export", args=[segment.pk]), {"format": "csv"})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert response.status_code == 200
    numbers = {row[0] for row in rows[1:]}
    assert world.customers_rm_bj[0].customer_no in numbers  # as the replica had it
    assert "C-LATE" not in numbers
    event = AuditEvent.objects.get(action=AuditAction.EXPORT)  # written on the primary
    assert event.data["row_count"] == len(rows) - 1 == 3


def test_a_campaign_recipients_export_counts_and_streams_from_the_replica(
    world: World, replica: Replica, client_for
) -> None:
    sent = campaign(world)
    planned(sent, {"A": (3, 0), "holdout": (1, 0)}, world=world)
    client = client_for("hq_admin")
    with replay_paused(replica):
        planned(sent, {"A": (2, 0)}, world=world)  # a second occurrence, on the primary only
        response = client.get(f"/campaigns/{sent.pk}/recipients/?file_format=csv")
        rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()

    assert response.status_code == 200
    assert len(rows) == 1 + 4
    assert CampaignRecipient.objects.filter(occurrence__campaign=sent).count() == 6
    event = AuditEvent.objects.get(action="campaign.recipients_exported")
    assert event.data["row_count"] == 4


def test_the_audit_log_export_holds_every_row_below_its_own(world: World, replica: Replica, client_for) -> None:
    client = client_for("compliance")
    replayed(replica)
    for _ in range(3):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
    with CaptureQueriesContext(connections[REPLICA_DB_ALIAS]) as on_replica:
        response = client.post("/compliance/audit/export/", {"action": AuditAction.LOGIN})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert response.status_code == 200
    assert len(rows) - 1 == 3
    assert any("audit_auditevent" in query["sql"] for query in on_replica.captured_queries)

    # Held behind, the replica has not replayed the export's own row: the primary serves the rows.
    with replay_paused(replica):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
        response = client.post("/compliance/audit/export/", {"action": AuditAction.LOGIN})
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) - 1 == 4


def test_a_stopped_replica_falls_back_to_the_primary_without_an_error(
    world: World, replica: Replica, client_for, settings
) -> None:
    settings.DATABASE_REPLICA_CHECK_SECONDS = 300  # the last measurement still says "streaming"
    client = client_for("hq_admin")
    replayed(replica)
    assert replica_state().usable
    stop_replica(VAR_DIR, restart_soon=True)
    try:
        home_figures_forget(user=world.hq_admin.user)
        home = client.get("/")
        dashboard = client.get(reverse("identity-dashboard"))
        assert (home.status_code, dashboard.status_code) == (200, 200)
        assert (replica_state().usable, replica_state().reason) == (False, "unreachable")
        assert replica_alias_for_read(max_age=0) == DEFAULT_DB_ALIAS
        assert home_figures(user=world.hq_admin.user)["customers"] == 10
    finally:
        ensure_replica(VAR_DIR)
        replica_state_forget()


# --- Settings ---------------------------------------------------------------------------------

_PRINT_DATABASES = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({alias: {k: db[k] for k in ('HOST', 'PORT', 'NAME', 'TEST')} "
    "for alias, db in settings.DATABASES.items()}, default=str)); print(settings.DATABASE_ROUTERS)"
)


def _databases(env: dict[str, str]) -> tuple[dict, str]:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DATABASE_REPLICA")}
    result = subprocess.run(
        [sys.executable, "-c", _PRINT_DATABASES],
        cwd=Path(__file__).resolve().parents[2],
        env={**clean, "DJANGO_SETTINGS_MODULE": "scrm.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    databases, routers = result.stdout.strip().splitlines()[-2:]
    return json.loads(databases), routers


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS])
def test_without_a_replica_url_there_is_one_database(replica: Replica) -> None:
    databases, routers = _databases({})

    assert list(databases) == [DEFAULT_DB_ALIAS]
    assert "scrm.core.db_routing.ReplicaRouter" in routers


@pytest.mark.django_db(databases=[DEFAULT_DB_ALIAS])
def test_a_replica_url_from_a_secret_file_adds_the_alias_as_a_test_mirror(replica: Replica, tmp_path: Path) -> None:
    secret = tmp_path / "database_replica_url"
    secret.write_text(f"postgresql://scrm_app:@:{REPLICA_PORT}/scrm?host={replica.pgdata}\n")

    databases, _routers = _databases({"DATABASE_REPLICA_URL_FILE": str(secret)})

    assert databases[REPLICA_DB_ALIAS]["HOST"] == str(replica.pgdata)
    assert databases[REPLICA_DB_ALIAS]["PORT"] == REPLICA_PORT
    assert databases[REPLICA_DB_ALIAS]["NAME"] == "scrm"
    assert databases[REPLICA_DB_ALIAS]["TEST"]["MIRROR"] == DEFAULT_DB_ALIAS
