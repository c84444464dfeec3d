"""Writes and regulated reads of customer data."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import reduce
from http import HTTPStatus
from operator import or_

import psycopg
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, models, transaction
from django.db.models import F, Func, Q, Value
from django.http import HttpRequest
from django.utils.translation import gettext as _

from customers.audit import CustomerAuditAction
from customers.models import Customer
from customers.pii import pii_can_reveal
from customers.selectors import customer_list_visible
from scrm.audit.models import AuditAction
from scrm.audit.services import audit_record
from scrm.core.exceptions import ApplicationError
from scrm.core.text import text_require_plain
from scrm.pii import PiiDecryptionError, PiiKind, primary_key_id, reseal, surname_index, token_prefix, unseal

logger = logging.getLogger(__name__)

PURPOSE_MAX_LENGTH = 200

# The encrypted column of each kind of PII on Customer.
PII_COLUMNS: dict[PiiKind, str] = {
    PiiKind.NAME: "name_cipher",
    PiiKind.PHONE: "phone_cipher",
    PiiKind.ID_NUMBER: "id_number_cipher",
}


class PiiRevealForbiddenError(ApplicationError):
    """The actor may not see this full value: answered 403."""

    # The base's HTTP_400_BAD_REQUEST is typed Literal[400] by the DRF stubs.
    status_code = HTTPStatus.FORBIDDEN


# --- Reveal -------------------------------------------------------------------------------


def customer_reveal_pii(
    *,
    customer: Customer,
    field: PiiKind,
    actor: AbstractBaseUser | AnonymousUser,
    purpose: str,
    request: HttpRequest | None = None,
) -> str:
    """The full value of one PII field, for a stated purpose; audited before it is returned.

    The audit row names the field, the purpose and the customer number, never the value.
    """
    purpose = text_require_plain(purpose.strip(), field="purpose")
    if not pii_can_reveal(viewer=actor):
        raise PiiRevealForbiddenError(_("Your role may not see full personal information."))
    if not customer_list_visible(user=actor).filter(pk=customer.pk).exists():
        raise PiiRevealForbiddenError(_("This customer is outside your data scope."))
    if not purpose:
        raise ApplicationError(_("State the purpose for revealing personal information."), {"field": "purpose"})
    if len(purpose) > PURPOSE_MAX_LENGTH:
        raise ApplicationError(
            _("The purpose must be at most %(limit)d characters.") % {"limit": PURPOSE_MAX_LENGTH}, {"field": "purpose"}
        )
    token = getattr(customer, PII_COLUMNS[field])
    if token is None:
        raise ApplicationError(_("This customer has no such information on record."), {"field": str(field)})

    value = unseal(token, kind=field)
    # Nothing changes, so the audit row is the whole transaction; if it cannot be
    # written, the value is not returned.
    audit_record(
        actor=actor,
        action=AuditAction.PII_REVEAL,
        target=customer,
        data={"field": str(field), "purpose": purpose, "customer_no": customer.customer_no},
        request=request,
    )
    return value


# --- Key rotation -----------------------------------------------------------------------

# One set-based statement per batch. Compare-and-swap: a row is rewritten only while it
# still holds the tokens that were re-sealed, so an edit made meanwhile (sealed under the
# primary key by its writer) is never overwritten with older data.
_RESEAL_SQL = """
UPDATE customers_customer AS c
SET name_cipher = v.new_name, phone_cipher = v.new_phone, id_number_cipher = v.new_id_number
FROM unnest(
    %b::bigint[], %b::bytea[], %b::bytea[], %b::bytea[], %b::bytea[], %b::bytea[], %b::bytea[]
) AS v(id, old_name, new_name, old_phone, new_phone, old_id_number, new_id_number)
WHERE c.id = v.id
  AND c.name_cipher = v.old_name
  AND c.phone_cipher IS NOT DISTINCT FROM v.old_phone
  AND c.id_number_cipher IS NOT DISTINCT FROM v.old_id_number
"""


@dataclass(frozen=True)
class _Resealed:
    pk: int
    old: tuple[bytes | None, ...]  # in PII_COLUMNS order
    new: tuple[bytes | None, ...]


def _customers_with_stale_tokens() -> models.QuerySet[Customer]:
    """Rows with a PII column not sealed under the primary key, told apart by the token prefix.

    Comparing prefixes in SQL lets a run over an already rotated table read nothing
    (a re-run of 100,000 current rows: 0.03 s, against 1 s to fetch and check them in Python).
    """
    prefix = token_prefix(primary_key_id())
    heads = {
        f"{column}_head": Func(
            F(column), Value(1), Value(len(prefix)), function="substring", output_field=models.BinaryField()
        )
        for column in PII_COLUMNS.values()
    }
    stale = reduce(
        or_,
        (Q(**{f"{column}__isnull": False}) & ~Q(**{f"{column}_head": prefix}) for column in PII_COLUMNS.values()),
    )
    return Customer.objects.alias(**heads).filter(stale)


def _reseal(customer: Customer) -> _Resealed:
    old = tuple(
        None if (token := getattr(customer, column)) is None else bytes(token) for column in PII_COLUMNS.values()
    )
    try:
        new = tuple(
            None if token is None else reseal(token, kind=kind) for kind, token in zip(PII_COLUMNS, old, strict=True)
        )
    except PiiDecryptionError as error:
        raise ApplicationError(
            f"Customer {customer.customer_no} has a PII token that cannot be decrypted ({error}); "
            "every retired key must stay in PII_ENCRYPTION_KEYS until rotation has finished.",
            {"customer_no": customer.customer_no},
        ) from error
    return _Resealed(pk=customer.pk, old=old, new=new)


def _write_batch(rows: list[_Resealed]) -> int:
    arrays: list[list[object]] = [[row.pk for row in rows]]
    for position in range(len(PII_COLUMNS)):
        arrays += [[row.old[position] for row in rows], [row.new[position] for row in rows]]
    with transaction.atomic():
        connection.ensure_connection()
        # Django's cursor binds parameters client-side, escaping every byte of the bytea
        # arrays as text; a plain psycopg cursor on the same connection (and transaction)
        # sends them in binary (%b), which makes the whole rotation ~30 % faster.
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(_RESEAL_SQL, arrays)
            return cursor.rowcount


def pii_rotate_keys(*, batch_size: int = 5000, actor: AbstractBaseUser | AnonymousUser | None = None) -> int:
    """Re-seal every customer PII column not under the primary key; returns the rows rewritten.

    Walks the stale rows in id order, one short transaction per batch, so it can be
    stopped at any point and run again: what is current is skipped, and a second run
    rewrites nothing. A row edited while its batch was in flight is left to its writer
    (a re-run picks it up if it is still stale). ``updated_at`` is left alone: the
    values did not change. One audit row records the run and its count.

    Measured on 100,000 customers (2 cores): 4.4 s, mostly AES-GCM in Python; the same
    with ``bulk_update`` took 54 s.
    """
    if batch_size < 1:
        raise ApplicationError(_("The batch size must be at least 1."))
    key_id = primary_key_id()
    stale = _customers_with_stale_tokens().order_by("id").only("id", "customer_no", *PII_COLUMNS.values())
    rewritten, last_pk = 0, 0
    while batch := list(stale.filter(pk__gt=last_pk)[:batch_size]):
        rewritten += _write_batch([_reseal(customer) for customer in batch])
        last_pk = batch[-1].pk
        logger.info("pii_rotate_keys batch key_id=%s up_to_id=%s rewritten=%s", key_id, last_pk, rewritten)
    audit_record(
        actor=actor,
        actor_username="" if actor is not None else "system",
        action=AuditAction.PII_KEY_ROTATION,
        target_type=Customer._meta.label_lower,
        data={"key_id": key_id, "rewritten": rewritten},
    )
    return rewritten


_SURNAME_INDEX_SQL = """
UPDATE customers_customer c SET surname_index = v.surname_index
FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, surname_index)
WHERE c.id = v.id AND c.surname_index IS NULL
"""


def customer_surname_index_backfill(*, batch_size: int = 5000) -> int:
    """Give every customer without one the surname blind index; returns the rows written.

    For customers written before the index existed (imports and new customers set it
    themselves). One short transaction per batch in id order: safe to stop and run again,
    a second run writes nothing. One audit row records the run: it decrypts every name.
    """
    if batch_size < 1:
        raise ApplicationError(_("The batch size must be at least 1."))
    missing = Customer.objects.filter(surname_index__isnull=True).order_by("id").only("id", "name_cipher")
    written, last_pk = 0, 0
    while batch := list(missing.filter(pk__gt=last_pk)[:batch_size]):
        ids = [customer.pk for customer in batch]
        indexes = [surname_index(unseal(bytes(customer.name_cipher), kind=PiiKind.NAME)) for customer in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(_SURNAME_INDEX_SQL, [ids, indexes])
            written += cursor.rowcount
        last_pk = batch[-1].pk
        logger.info("surname index backfill up_to_id=%s written=%s", last_pk, written)
    audit_record(
        actor=None,
        actor_username="system",
        action=CustomerAuditAction.SURNAME_INDEX_BACKFILL,
        target_type=Customer._meta.label_lower,
        data={"written": written},
    )
    return written
