"""Heavy reads on a streaming read replica; every other query on the primary.

With ``DATABASE_REPLICA_URL`` set, ``DATABASES["replica"]`` is a hot standby streaming from
the primary. Nothing goes there by itself: a heavy read says so at its call site, either

* ``@reads_from_replica`` on a read-only function (the home page's figures): its ORM reads
  go to the replica, and if the replica fails during the call the call runs again on the
  primary, so a replica going away costs time, never an error page; or
* ``replica_alias_for_read()`` for a queryset evaluated later (an export streamed after
  the view returns): ``rows.using(replica_alias_for_read())``. The count and the rows of
  one export then come from the same server.

The replica is used only when it can answer as the primary would for that read
(docs/scaling.md, "Read replica"):

* never inside a transaction on the primary (the caller may read its own uncommitted
  rows, and a transaction's reads belong to one snapshot);
* never for sessions, users, permissions and the org tree (``PRIMARY_ONLY_APPS``): who may
  see what is decided on the primary, so a revoked role is revoked at once;
* after the request (or Celery task) wrote through the ORM, only once the replica has
  replayed the primary's WAL up to that point: the caller reads its own writes;
* only while it streams and lags less than ``DATABASE_REPLICA_MAX_LAG_SECONDS``, checked
  with one small query at most every ``DATABASE_REPLICA_CHECK_SECONDS``; an unreachable
  replica is tried again after ``DATABASE_REPLICA_RETRY_SECONDS``.

Writes and migrations always go to the primary. Without a replica all of this answers
"default" without a query.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA_DB_ALIAS = "replica"

# Authorisation and the caller's own session are read where they are written.
PRIMARY_ONLY_APPS = frozenset({"admin", "auth", "axes", "contenttypes", "org", "sessions"})

# After a write, how long a replica read waits for the replica to replay it before it
# goes to the primary instead: a streaming replica replays a commit within milliseconds.
CATCH_UP_WAIT_SECONDS = 0.2
_CATCH_UP_POLL_SECONDS = 0.01

# Where this unit of work's ORM reads go (None: outside any heavy read, the primary).
_read_alias: ContextVar[str | None] = ContextVar("scrm_read_alias", default=None)
# Whether this request or task wrote through the ORM (db_for_write was asked).
_wrote: ContextVar[bool] = ContextVar("scrm_wrote", default=False)

# Lag: 0 when everything received is replayed and the WAL receiver runs; otherwise the age
# of the last transaction replayed (an idle, cut-off replica ages; a streaming one does not).
# Only the receiver's pid is visible to a role without pg_read_all_stats, which is enough.
_STATE_SQL = """
SELECT pg_is_in_recovery(),
       CASE WHEN EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE pid IS NOT NULL)
                 AND pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
       END
"""


@dataclass(frozen=True)
class ReplicaState:
    usable: bool
    # Seconds behind the primary; None when it could not be told (unreachable, never replayed).
    lag_seconds: float | None
    reason: str
    checked_at: float


_state_lock = threading.Lock()
_state: ReplicaState | None = None

P = ParamSpec("P")
R = TypeVar("R")


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in settings.DATABASES


def replica_state(*, max_age: float | None = None) -> ReplicaState:
    """The replica's health, measured at most ``max_age`` seconds ago (default: the check interval)."""
    global _state
    state = _state
    now = time.monotonic()
    if state is not None:
        age_limit = max_age
        if age_limit is None:
            age_limit = (
                settings.DATABASE_REPLICA_CHECK_SECONDS if state.usable else settings.DATABASE_REPLICA_RETRY_SECONDS
            )
        if now - state.checked_at < age_limit:
            return state
    state = _replica_measure()
    with _state_lock:
        _state = state
    return state


def _replica_measure() -> ReplicaState:
    now = time.monotonic()
    try:
        with connections[REPLICA_DB_ALIAS].cursor() as cursor:
            cursor.execute(_STATE_SQL)
            in_recovery, lag = cursor.fetchone()
    except DatabaseError as error:
        connections[REPLICA_DB_ALIAS].close()
        logger.warning("database replica unreachable, reading from the primary: %s", type(error).__name__)
        return ReplicaState(usable=False, lag_seconds=None, reason="unreachable", checked_at=now)
    if not in_recovery:
        # A promoted (or mistaken) replica no longer follows the primary.
        logger.warning("database replica is not a standby, reading from the primary")
        return ReplicaState(usable=False, lag_seconds=None, reason="not a standby", checked_at=now)
    if lag is None or lag > settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        logger.info("database replica lags (%s s), reading from the primary", lag)
        return ReplicaState(usable=False, lag_seconds=lag, reason="lagging", checked_at=now)
    return ReplicaState(usable=True, lag_seconds=lag, reason="streaming", checked_at=now)


def replica_state_forget() -> None:
    """Measure afresh on the next heavy read (tests; after repointing the replica)."""
    global _state
    with _state_lock:
        _state = None


def replica_writes_forget() -> None:
    """A new request or task starts: nothing of it has been written yet."""
    _wrote.set(False)


def replica_alias_for_read(*, max_age: float | None = None) -> str:
    """The alias a heavy read should use now: ``"replica"`` when it may, else ``"default"``."""
    if not replica_configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if not replica_state(max_age=max_age).usable:
        return DEFAULT_DB_ALIAS
    if _wrote.get() and not _replica_replayed_own_writes():
        return DEFAULT_DB_ALIAS
    return REPLICA_DB_ALIAS


def _replica_replayed_own_writes() -> bool:
    """Whether the replica has replayed the primary's WAL as of now, which holds this unit's commits."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (primary_lsn,) = cursor.fetchone()
        deadline = time.monotonic() + CATCH_UP_WAIT_SECONDS
        with connections[REPLICA_DB_ALIAS].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [primary_lsn])
                if cursor.fetchone()[0]:
                    return True
                if time.monotonic() >= deadline:
                    return False
                time.sleep(_CATCH_UP_POLL_SECONDS)
    except DatabaseError:
        connections[REPLICA_DB_ALIAS].close()
        replica_state(max_age=0)
        return False


def reads_from_replica(func: Callable[P, R]) -> Callable[P, R]:
    """Run a read-only function with its ORM reads on the replica when it may; on the primary otherwise.

    A replica failing during the call (gone, restarted, a query cancelled by recovery) makes
    the call run again on the primary. The function must not write.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if _read_alias.get() is not None:
            # An outer heavy read decided for the whole computation.
            return func(*args, **kwargs)
        alias = replica_alias_for_read()
        token = _read_alias.set(alias)
        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError):
            if alias != REPLICA_DB_ALIAS:
                raise
            logger.warning("a read on the database replica failed; reading from the primary")
            connections[REPLICA_DB_ALIAS].close()
            replica_state(max_age=0)
        finally:
            _read_alias.reset(token)
        with reads_from_primary():
            return func(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def reads_from_primary() -> Iterator[None]:
    """Inside a heavy read, a block whose reads must be the primary's."""
    token = _read_alias.set(DEFAULT_DB_ALIAS)
    try:
        yield
    finally:
        _read_alias.reset(token)


class ReplicaRouter:
    """Reads go where the surrounding heavy read decided (the primary outside one); writes to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        alias = _read_alias.get()
        if alias is None or alias == DEFAULT_DB_ALIAS:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label in PRIMARY_ONLY_APPS or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        _wrote.set(True)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # A row read on the replica is the primary's row.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
