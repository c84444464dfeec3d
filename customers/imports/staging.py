"""Staged rows of one import run, and the set-based SQL that checks and upserts them.

Each run stages into two TEMP tables on its own database session: every row of the
file (valid rows with their values; invalid ones with just their key) and every
error found. Rows arrive by ``COPY … FROM STDIN``; the checks that need the whole
file or the customer table are single statements over the stage; the upsert is one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE changed`` that also writes the
timeline. Temporary tables vanish with the session, so a worker that dies mid-way
leaves nothing behind.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any, ClassVar

import pandas as pd
from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg import sql

from customers.consent.history import consent_history_insert_sql
from customers.imports.contract import CUSTOMER_CONTRACT, HOLDING_CONTRACT, Contract, HeaderMapping
from customers.imports.validation import CheckedChunk
from customers.models import ConsentPurpose, ConsentSource, ImportKind, LifecycleStage, TimelineKind
from customers.timeline.services import timeline_insert_sql
from scrm.pii import PiiKind, blind_index_many, seal_many, surname_index_many, unseal
from scrm.pii.crypto import PiiDecryptionError

logger = logging.getLogger(__name__)

STAGE_TABLE = "import_stage"
ERROR_TABLE = "import_errors"
ERROR_REPORT_BOM = "\ufeff"


@dataclass(frozen=True)
class StageCounts:
    valid_rows: int
    invalid_rows: int


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    # The id range of the customers written (None when nothing was): their rule tags are due again.
    first_customer_id: int | None = None
    last_customer_id: int | None = None


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor() as psycopg_cursor,
        psycopg_cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _as_text(column: str) -> str:
    """SQL for a report cell that Excel shows as text even when it starts like a formula."""
    return f"CASE WHEN {column} ~ '^[-=+@\\t\\r]' THEN '''' || {column} ELSE {column} END"


def _execute(statement: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


class Staging:
    """The stage of one run: use as a context manager, ``add`` each checked chunk, then check and upsert."""

    contract: ClassVar[Contract]
    # The stage's value columns (after row_no, valid and the key columns), with their SQL types.
    value_columns: ClassVar[tuple[tuple[str, str], ...]]

    def __init__(self, *, header: HeaderMapping) -> None:
        self.header = header

    def __enter__(self) -> Staging:
        key_columns = ", ".join(f"{name} text" for name in self.contract.key)
        value_columns = ", ".join(f"{name} {sql_type}" for name, sql_type in self.value_columns)
        _execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}, {ERROR_TABLE}")
        _execute(
            f"CREATE TEMP TABLE {STAGE_TABLE} "
            f"(row_no bigint PRIMARY KEY, valid boolean NOT NULL, {key_columns}, {value_columns})"
        )
        _execute(
            f"CREATE TEMP TABLE {ERROR_TABLE} "
            "(row_no bigint NOT NULL, position int NOT NULL, label text, value text, reason text NOT NULL)"
        )
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        if exc_type is not None and connection.in_atomic_block:
            return  # the enclosing transaction's rollback drops the tables with it
        try:
            _execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}, {ERROR_TABLE}")
        except DatabaseError:
            if exc_type is None:
                raise
            logger.warning("import stage not dropped after a failed run; it goes with the session")

    # --- Loading ------------------------------------------------------------------

    def add(self, checked: CheckedChunk) -> None:
        values = checked.values
        valid = values[values["valid"]]
        invalid = values[~values["valid"]]
        if not valid.empty:
            columns = self._stage_values(valid)
            names = ["row_no", "valid", *self.contract.key, *columns]
            _copy(
                STAGE_TABLE,
                names,
                zip(
                    valid["row"].tolist(),
                    [True] * len(valid),
                    *(valid[key].tolist() for key in self.contract.key),
                    *columns.values(),
                    strict=True,
                ),
            )
        if not invalid.empty:
            _copy(
                STAGE_TABLE,
                ["row_no", "valid", *self.contract.key],
                zip(
                    invalid["row"].tolist(),
                    [False] * len(invalid),
                    *(invalid[key].tolist() for key in self.contract.key),
                    strict=True,
                ),
            )
        self._add_errors(checked.errors)

    def _stage_values(self, valid: pd.DataFrame) -> dict[str, list[Any]]:
        return {name: valid[name].tolist() for name, _sql_type in self.value_columns}

    def _add_errors(self, errors: pd.DataFrame) -> None:
        if errors.empty:
            return
        columns = errors["column"].tolist()
        _copy(
            ERROR_TABLE,
            ["row_no", "position", "label", "value", "reason"],
            zip(
                errors["row"].tolist(),
                [self.contract.position(column) for column in columns],
                [self.header.label(column) for column in columns],
                errors["value"].tolist(),
                errors["reason"].tolist(),
                strict=True,
            ),
        )

    # --- Checks over the whole file ---------------------------------------------------

    def loaded(self) -> None:
        """Call once every chunk is in: statistics let the set-based statements below plan well."""
        _execute(f"ANALYZE {STAGE_TABLE}")

    def reject_repeated_keys(self) -> None:
        """Each key may appear once in a file: every later row with the same key is rejected."""
        key = self.contract.key
        last = key[-1]
        key_sql = ", ".join(key)
        _execute(
            f"""
            WITH firsts AS (
                SELECT row_no, min(row_no) OVER (PARTITION BY {key_sql}) AS first_row
                FROM {STAGE_TABLE}
                WHERE {" AND ".join(f"{name} IS NOT NULL" for name in key)}
            ),
            repeated AS (
                UPDATE {STAGE_TABLE} s SET valid = false
                FROM firsts f
                WHERE s.row_no = f.row_no AND f.row_no <> f.first_row
                RETURNING s.row_no, s.{last} AS value, f.first_row
            )
            INSERT INTO {ERROR_TABLE} (row_no, position, label, value, reason)
            SELECT row_no, %s, %s, value, replace(%s, '%%(row)s', first_row::text) FROM repeated
            """,  # noqa: S608 - names are constants of this module
            [self.contract.position(last), self.header.label(last), self._repeated_key_reason()],
        )

    def _repeated_key_reason(self) -> str:
        raise NotImplementedError

    def check_references(self) -> None:
        """Checks against tables the validator does not hold in memory."""

    def counts(self) -> StageCounts:
        ((valid, invalid),) = _execute(
            f"SELECT count(*) FILTER (WHERE valid), count(*) FILTER (WHERE NOT valid) FROM {STAGE_TABLE}"  # noqa: S608
        )
        return StageCounts(valid_rows=valid, invalid_rows=invalid)

    def error_report_write(self, out: IO[bytes]) -> None:
        """The errors as CSV, in file order: UTF-8 with a BOM, so that Excel shows Chinese correctly."""
        header = [_("row"), _("column"), _("value"), _("reason")]
        out.write((ERROR_REPORT_BOM + ",".join(header) + "\r\n").encode())
        # A cell starting with = + - @ would be a formula to Excel: a leading ' shows it as text.
        statement = f"""
            COPY (
                SELECT row_no, {_as_text("label")}, {_as_text("value")}, reason
                FROM {ERROR_TABLE}
                ORDER BY row_no, position
            ) TO STDOUT WITH (FORMAT csv)
        """  # noqa: S608 - names are constants of this module
        with (
            connection.cursor() as cursor,
            cursor.connection.cursor() as psycopg_cursor,
            psycopg_cursor.copy(statement) as copy,
        ):
            for data in copy:
                out.write(data)

    # --- Writing ------------------------------------------------------------------------

    def upsert(self, *, job_id: int, actor_id: int, now: Any) -> UpsertCounts:
        raise NotImplementedError


# --- Customers -------------------------------------------------------------------------


class CustomerStaging(Staging):
    contract = CUSTOMER_CONTRACT
    value_columns = (
        # The id of the customer with this number when the row was staged (None: a new one).
        ("customer_id", "bigint"),
        ("name_cipher", "bytea"),
        ("surname_index", "bytea"),
        ("phone_cipher", "bytea"),
        ("phone_index", "bytea"),
        ("id_number_cipher", "bytea"),
        ("id_number_index", "bytea"),
        ("gender", "text"),
        ("birth_date", "date"),
        ("branch_id", "bigint"),
        ("owner_id", "bigint"),
        ("aum", "numeric(18, 2)"),
        ("risk_level", "text"),
        ("marketing_consent", "boolean"),
        ("consent_source", "text"),
        ("opened_on", "date"),
        ("last_contact_at", "timestamptz"),
    )
    # Customer columns an import sets, and the field name its timeline event reports when
    # it changed (None: follows the column before it, e.g. a blind index its ciphertext).
    FIELDS: ClassVar[tuple[tuple[str, str | None], ...]] = (
        ("name_cipher", "name"),
        ("surname_index", None),
        ("phone_cipher", "phone"),
        ("phone_index", None),
        ("id_number_cipher", "id_number"),
        ("id_number_index", None),
        ("gender", "gender"),
        ("birth_date", "birth_date"),
        ("branch_id", "branch"),
        ("owner_id", "owner"),
        ("aum", "aum"),
        ("risk_level", "risk_level"),
        ("marketing_consent", "marketing_consent"),
        ("consent_source", "consent_source"),
        ("opened_on", "opened_on"),
        ("last_contact_at", "last_contact_at"),
    )

    def _stage_values(self, valid: pd.DataFrame) -> dict[str, list[Any]]:
        previous = _sealed_pii_of(valid["customer_no"].tolist())
        before = [previous.get(customer_no, _NO_PII) for customer_no in valid["customer_no"].tolist()]
        name_cipher = _seal_names(valid["name"].tolist(), [row[1] for row in before])
        phone_cipher, phone_index = _seal_indexed(
            valid["phone"].tolist(), [row[2] for row in before], [row[3] for row in before], kind=PiiKind.PHONE
        )
        id_cipher, id_index = _seal_indexed(
            valid["id_number"].tolist(), [row[4] for row in before], [row[5] for row in before], kind=PiiKind.ID_NUMBER
        )
        plain = {
            name: valid[name].tolist() if name in valid.columns else [None] * len(valid)
            for name, _sql_type in self.value_columns
        }
        return plain | {
            "customer_id": [row[0] for row in before],
            "name_cipher": name_cipher,
            "surname_index": surname_index_many(valid["name"].tolist()),
            "phone_cipher": phone_cipher,
            "phone_index": phone_index,
            "id_number_cipher": id_cipher,
            "id_number_index": id_index,
        }

    def _repeated_key_reason(self) -> str:
        return _("This customer number already appears on row %(row)s; each customer may appear once.")

    def _fields(self) -> list[tuple[str, str | None]]:
        """The columns this file sets: an optional column the header lacks is left as it is."""
        return [
            (column, field)
            for column, field in self.FIELDS
            if column != "last_contact_at" or "last_contact_at" in self.header.positions
        ]

    def upsert(self, *, job_id: int, actor_id: int, now: Any) -> UpsertCounts:
        fields = self._fields()
        columns = [column for column, _field in fields]
        compared = [column for column, field in fields if field is not None]
        changes = ",\n".join(
            f"CASE WHEN c.{column} IS DISTINCT FROM s.{column} THEN '{field}' END"
            for column, field in fields
            if field is not None
        )
        updates = ",\n".join(f"{column} = EXCLUDED.{column}" for column in columns)
        events = timeline_insert_sql(
            """
            SELECT u.id,
                CASE WHEN u.created THEN %(imported)s ELSE %(updated)s END,
                %(now)s, %(actor)s,
                CASE WHEN u.created THEN %(imported_summary)s ELSE %(updated_summary)s END,
                CASE WHEN u.created THEN jsonb_build_object('import_job', %(job)s::bigint)
                     ELSE jsonb_build_object('import_job', %(job)s::bigint, 'fields', to_jsonb(ch.fields))
                END
            FROM upserted u LEFT JOIN changes ch ON ch.id = u.id"""
        )
        # The consent history of every customer whose marketing consent the file changed:
        # created with consent given (no earlier value), or updated to the other value.
        consents = consent_history_insert_sql(
            """
            SELECT u.id, %(consent_purpose)s, ch.consent_before, u.marketing_consent, %(consent_source)s, '',
                %(actor)s, %(job)s, %(now)s
            FROM upserted u LEFT JOIN changes ch ON ch.id = u.id
            WHERE CASE WHEN u.created THEN u.marketing_consent
                       ELSE ch.consent_before IS DISTINCT FROM u.marketing_consent END"""
        )
        statement = f"""
        WITH upserted AS (
            INSERT INTO customers_customer AS c (
                customer_no, {", ".join(columns)},
                lifecycle_stage, consent_at, created_at, updated_at
            )
            SELECT s.customer_no, {", ".join(f"s.{column}" for column in columns)},
                %(new_stage)s, CASE WHEN s.marketing_consent THEN %(now)s END, %(now)s, %(now)s
            FROM {STAGE_TABLE} s
            WHERE s.valid
            ON CONFLICT (customer_no) DO UPDATE SET
                {updates},
                consent_at = CASE
                    WHEN NOT EXCLUDED.marketing_consent THEN NULL
                    WHEN c.marketing_consent THEN c.consent_at
                    ELSE EXCLUDED.consent_at
                END,
                updated_at = EXCLUDED.updated_at
            WHERE ({", ".join(f"c.{column}" for column in compared)})
                IS DISTINCT FROM ({", ".join(f"EXCLUDED.{column}" for column in compared)})
            RETURNING c.id, c.customer_no, (c.xmax = 0) AS created, c.marketing_consent, c.aum
        ),
        changes AS (
            -- What the file changes, read from the table as it was before this statement (one
            -- snapshot): for the customers known when their rows were staged, by id, so a file
            -- of new customers costs no join with the customer table ...
            SELECT c.id, array_remove(ARRAY[{changes}], NULL) AS fields, c.marketing_consent AS consent_before
            FROM {STAGE_TABLE} s JOIN customers_customer c ON c.id = s.customer_id
            WHERE s.valid AND s.customer_id IS NOT NULL  -- said outright, the planner skips sorting new rows
            UNION ALL
            -- ... and for the rows staged as new that met a customer another import created since.
            SELECT c.id, array_remove(ARRAY[{changes}], NULL), c.marketing_consent
            FROM upserted u
            JOIN {STAGE_TABLE} s ON s.customer_no = u.customer_no
            JOIN customers_customer c ON c.id = u.id
            WHERE NOT u.created AND s.customer_id IS NULL AND s.valid
        ),
        aum_history AS (
            -- The day's AUM of every customer whose AUM this file set: churn features read the history.
            INSERT INTO customers_aumsnapshot AS a (customer_id, as_of, aum)
            SELECT u.id, %(today)s, u.aum
            FROM upserted u LEFT JOIN changes ch ON ch.id = u.id
            WHERE u.created OR 'aum' = ANY(ch.fields)
            ON CONFLICT (customer_id, as_of) DO UPDATE SET aum = EXCLUDED.aum
        ),
        events AS (
            {events}
        ),
        consents AS (
            {consents}
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created), min(id), max(id) FROM upserted
        """  # noqa: S608 - every name above is a constant of this module
        ((created, updated, first_id, last_id),) = _execute(
            statement,
            {
                "new_stage": LifecycleStage.NEW.value,
                "now": now,
                "today": timezone.localdate(now),
                "actor": actor_id,
                "job": job_id,
                "imported": TimelineKind.IMPORTED.value,
                "updated": TimelineKind.UPDATED.value,
                "imported_summary": _("Imported from core banking"),
                "updated_summary": _("Updated from core banking"),
                "consent_purpose": ConsentPurpose.MARKETING.value,
                "consent_source": ConsentSource.IMPORT.value,
            },
        )
        return UpsertCounts(created=created, updated=updated, first_customer_id=first_id, last_customer_id=last_id)


_NO_PII: tuple[None, ...] = (None,) * 6


def _sealed_pii_of(customer_nos: list[str]) -> dict[str, tuple[Any, ...]]:
    """The ids, stored ciphertexts and blind indexes of the customers of a chunk that already exist."""
    rows = _execute(
        "SELECT customer_no, id, name_cipher, phone_cipher, phone_index, id_number_cipher, id_number_index "
        "FROM customers_customer WHERE customer_no = ANY(%s)",
        [customer_nos],
    )
    return {row[0]: (row[1], *(None if value is None else bytes(value) for value in row[2:])) for row in rows}


def _seal_names(names: list[str], previous: list[bytes | None]) -> list[bytes]:
    """A stored ciphertext is kept while its plaintext is unchanged, so "changed" is a byte comparison."""
    tokens = [
        token if token is not None and _unseal_or_none(token, PiiKind.NAME) == name else None
        for name, token in zip(names, previous, strict=True)
    ]
    missing = [position for position, token in enumerate(tokens) if token is None]
    sealed = dict(zip(missing, seal_many([names[i] for i in missing], kind=PiiKind.NAME), strict=True))
    return [token if token is not None else sealed[position] for position, token in enumerate(tokens)]


def _seal_indexed(
    values: list[str | None],
    previous_tokens: list[bytes | None],
    previous_indexes: list[bytes | None],
    *,
    kind: PiiKind,
) -> tuple[list[bytes | None], list[bytes | None]]:
    """Ciphertexts and blind indexes; an unchanged value (same blind index) keeps its stored ciphertext.

    Sealed and hashed in batches (``seal_many``, ``blind_index_many``): per-value overhead
    was most of an import's sealing time.
    """
    present = {position: value for position, value in enumerate(values) if value is not None}
    hashed = dict(zip(present, blind_index_many(list(present.values()), kind=kind), strict=True))
    indexes = [hashed.get(position) for position in range(len(values))]
    kept = {
        position: old_token
        for position, (index, old_token, old_index) in enumerate(
            zip(indexes, previous_tokens, previous_indexes, strict=True)
        )
        if index is not None and old_token is not None and old_index == index
    }
    missing = [position for position in present if position not in kept]
    sealed = dict(zip(missing, seal_many([present[i] for i in missing], kind=kind), strict=True))
    tokens = [kept.get(position, sealed.get(position)) for position in range(len(values))]
    return tokens, indexes


def _unseal_or_none(token: bytes, kind: PiiKind) -> str | None:
    try:
        return unseal(token, kind=kind)
    except PiiDecryptionError:
        return None


# --- Holdings --------------------------------------------------------------------------


class HoldingStaging(Staging):
    contract = HOLDING_CONTRACT
    value_columns = (
        ("product_name", "text"),
        ("product_type", "text"),
        ("amount", "numeric(18, 2)"),
        ("opened_on", "date"),
        ("maturity_date", "date"),
    )

    def _repeated_key_reason(self) -> str:
        return _("This product of this customer already appears on row %(row)s.")

    def check_references(self) -> None:
        """A holding must belong to a customer scrm knows."""
        _execute(
            f"""
            WITH unknown AS (
                UPDATE {STAGE_TABLE} s SET valid = false
                WHERE s.valid AND NOT EXISTS (
                    SELECT 1 FROM customers_customer c WHERE c.customer_no = s.customer_no
                )
                RETURNING s.row_no, s.customer_no
            )
            INSERT INTO {ERROR_TABLE} (row_no, position, label, value, reason)
            SELECT row_no, %s, %s, customer_no, %s FROM unknown
            """,  # noqa: S608 - names are constants of this module
            [
                self.contract.position("customer_no"),
                self.header.label("customer_no"),
                _("No customer has this customer number: import the customer first."),
            ],
        )

    def upsert(self, *, job_id: int, actor_id: int, now: Any) -> UpsertCounts:
        columns = [name for name, _sql_type in self.value_columns]
        # ``previous`` reads the table as it was before this statement (a CTE sees one
        # snapshot), so new and increased holdings become purchases in the same statement.
        statement = f"""
        WITH previous AS (
            SELECT h.customer_id, h.product_code, h.amount
            FROM customers_productholding h
            JOIN customers_customer c ON c.id = h.customer_id
            JOIN {STAGE_TABLE} s ON s.customer_no = c.customer_no AND s.product_code = h.product_code
            WHERE s.valid
        ),
        upserted AS (
            INSERT INTO customers_productholding AS h (customer_id, product_code, {", ".join(columns)})
            SELECT c.id, s.product_code, {", ".join(f"s.{column}" for column in columns)}
            FROM {STAGE_TABLE} s JOIN customers_customer c ON c.customer_no = s.customer_no
            WHERE s.valid
            ON CONFLICT (customer_id, product_code) DO UPDATE SET
                {", ".join(f"{column} = EXCLUDED.{column}" for column in columns)}
            WHERE ({", ".join(f"h.{column}" for column in columns)})
                IS DISTINCT FROM ({", ".join(f"EXCLUDED.{column}" for column in columns)})
            RETURNING h.customer_id, h.product_code, h.product_type, h.amount, h.opened_on,
                      (h.xmax = 0) AS created
        ),
        purchases AS (
            INSERT INTO customers_holdingpurchase
                (customer_id, product_code, product_type, amount, purchased_on, import_job_id, recorded_at)
            SELECT u.customer_id, u.product_code, u.product_type, u.amount - coalesce(p.amount, 0),
                   CASE WHEN p.customer_id IS NULL THEN coalesce(u.opened_on, %(today)s) ELSE %(today)s END,
                   %(job_id)s, %(now)s
            FROM upserted u
            LEFT JOIN previous p ON p.customer_id = u.customer_id AND p.product_code = u.product_code
            WHERE p.customer_id IS NULL OR u.amount > p.amount
        )
        SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created),
               min(customer_id), max(customer_id)
        FROM upserted
        """  # noqa: S608 - every name above is a constant of this module
        ((created, updated, first_id, last_id),) = _execute(
            statement, {"today": timezone.localdate(now), "job_id": job_id, "now": now}
        )
        return UpsertCounts(created=created, updated=updated, first_customer_id=first_id, last_customer_id=last_id)


STAGINGS: dict[str, type[Staging]] = {
    ImportKind.CUSTOMERS: CustomerStaging,
    ImportKind.HOLDINGS: HoldingStaging,
}
