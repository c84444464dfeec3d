"""Finding customers: filters over the viewer's scope, exact PII lookup, name search.

Phone and ID number are found through their blind index (``scrm.pii.blind_index``),
so ``+86 138-0013-8000`` finds ``13800138000`` without the number ever being stored
or compared in clear.

Names are encrypted with a random nonce. A surname alone ("王", "欧阳") is found
through the surname blind index (``scrm.pii.surname_index``; the trade-off is in
docs/pii.md). A full name narrows to its surname by that index, then decrypts the
names of what is left, and only within a result the other
filters (and the viewer's scope) have already narrowed to at most
``NAME_SEARCH_MAX_CANDIDATES`` customers — an RM's book always fits, a bank-wide
search must be narrowed first. It matches the *whole* name (after Unicode and
whitespace normalisation), never a part of it: like the phone lookup it confirms a
value the searcher already knows and cannot be used to read names one character at a
time (compliance sees masked values only). See docs/customers.md.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from customers.models import AumBand, Customer, LifecycleStage, RiskLevel, Tag
from customers.segments.definition import tag_conditions
from scrm.core.exceptions import ApplicationError
from scrm.org.models import Branch, Staff
from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for
from scrm.pii import PiiKind, blind_index, surname_index, surname_index_of_surname, surname_query, unseal

# Decrypting and comparing 37,000 names (one demo RM's book) takes 120–170 ms.
NAME_SEARCH_MAX_CANDIDATES = 50_000


@dataclass(frozen=True)
class CustomerSearchFilters:
    """Every filter is optional; the ones given are combined with AND."""

    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    aum_band: AumBand | None = None
    aum_min: Decimal | None = None
    aum_max: Decimal | None = None
    lifecycle_stage: LifecycleStage | None = None
    risk_level: RiskLevel | None = None
    branch: str | None = None  # branch code: the branch and everything under it
    owner: str | None = None  # the owning RM's employee number
    phone: str | None = None
    id_number: str | None = None
    name: str | None = None
    customer_no: str | None = None


def customer_search(*, user: AbstractBaseUser | AnonymousUser, filters: CustomerSearchFilters) -> QuerySet[Customer]:
    """The customers in the user's scope that match every given filter, unordered.

    Unknown tag codes are an error (the tag catalogue is public to staff). A branch code
    or employee number that does not exist simply matches nothing, exactly like one
    outside the viewer's scope, so the search never confirms what the viewer cannot see.
    """
    customers: QuerySet[Customer] = Customer.objects.visible_to(user)
    if filters.customer_no:
        customers = customers.filter(customer_no=filters.customer_no)
    if filters.tags_any or filters.tags_all:
        ids = tag_ids_for_names_or_codes({*filters.tags_any, *filters.tags_all}, field="tags")
        customers = customers.filter(
            *tag_conditions(
                any_of=[ids[code] for code in filters.tags_any], all_of=[ids[code] for code in filters.tags_all]
            )
        )
    if filters.aum_band:
        customers = customers.filter(aum_band=filters.aum_band)
    if filters.aum_min is not None:
        customers = customers.filter(aum__gte=filters.aum_min)
    if filters.aum_max is not None:
        customers = customers.filter(aum__lte=filters.aum_max)
    if filters.lifecycle_stage:
        customers = customers.filter(lifecycle_stage=filters.lifecycle_stage)
    if filters.risk_level:
        customers = customers.filter(risk_level=filters.risk_level)
    if filters.branch:
        subtree = Branch.objects.filter(code=filters.branch).values_list("path", flat=True).first()
        if subtree is None:
            return customers.none()
        customers = customers.filter(branch__path__startswith=subtree)
    if filters.owner:
        customers = customers.filter(owner_id=Subquery(Staff.objects.filter(employee_no=filters.owner).values("id")))
    if filters.phone:
        customers = customers.filter(phone_index=blind_index(filters.phone, kind=PiiKind.PHONE))
    if filters.id_number:
        customers = customers.filter(id_number_index=blind_index(filters.id_number, kind=PiiKind.ID_NUMBER))
    if filters.name:
        customers = _with_name(customers, filters.name)
    return customers


ATTRIBUTE_FILTERS = ("tags_any", "tags_all", "aum_band", "aum_min", "aum_max", "lifecycle_stage", "risk_level")


def search_reads_scope_first(*, user: AbstractBaseUser | AnonymousUser, filters: CustomerSearchFilters) -> bool:
    """Whether a page of this search reads the viewer's whole scope before sorting (``customers_ordered``).

    Only a filtered search of an RM's book: PostgreSQL estimates one owner's rows well and
    then picks the cheaper plan itself, but multiplies a filter's selectivity by the
    book's as if independent, and then may walk the whole table in sort order hoping a
    page of matches turns up soon (seconds at 10 M customers). Reading the book first
    costs at most the book.
    """
    scope = data_scope_for(user)
    if scope is None or scope.role != Role.RM:
        return False
    # Exact probes (phone, ID, number) have indexes of their own, and branch or owner filters
    # narrow little within a book: only the attribute filters mislead the estimate.
    return any(getattr(filters, name) not in (None, ()) for name in ATTRIBUTE_FILTERS)


def tag_ids_for_names_or_codes(values: set[str], *, field: str) -> dict[str, int]:
    """Resolve what a person picked or typed (a tag's name) or a program sent (its code) to tag ids.

    A value that is a tag's code is that tag; otherwise it is a tag's name. A value that is
    neither is an error naming it.
    """
    by_code = dict(Tag.objects.filter(code__in=values).values_list("code", "id"))
    names = {value for value in values if value not in by_code}
    by_name: dict[str, int] = {}
    for pk, tag_name in Tag.objects.filter(name__in=names).values_list("id", "name"):
        by_name.setdefault(tag_name, pk)
    unknown = sorted(names - by_name.keys())
    if unknown:
        raise ApplicationError(
            _("No tag is called %(names)s.") % {"names": "、".join(unknown)}, {"field": field, "codes": unknown}
        )
    return by_code | by_name


def normalise_name(name: str) -> str:
    """Full-width and half-width forms, case and runs of spaces do not matter."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _with_name(customers: QuerySet[Customer], name: str) -> QuerySet[Customer]:
    """Decrypt the names of the (already narrowed) candidates and keep exact matches.

    Runs one query now, reading ids and name ciphertexts only; returns a queryset by
    id, so ordering and keyset pages work as for any other filter.
    """
    surname = surname_query(name)
    if surname is not None:
        # A surname alone ("王", "欧阳") is one probe of the surname blind index.
        return customers.filter(surname_index=surname_index_of_surname(surname))
    wanted = normalise_name(name)
    # Only customers of the name's surname (or not yet indexed) are decrypted and compared.
    index = surname_index(name)
    if index is not None:
        customers = customers.filter(Q(surname_index=index) | Q(surname_index__isnull=True))
    candidates = list(customers.order_by().values_list("id", "name_cipher")[: NAME_SEARCH_MAX_CANDIDATES + 1])
    if len(candidates) > NAME_SEARCH_MAX_CANDIDATES:
        raise ApplicationError(
            _(
                "Searching by name needs a narrower search: more than %(limit)d customers match the other "
                "filters. Add a branch, owner, tag or AUM filter, or search by phone or ID number."
            )
            % {"limit": NAME_SEARCH_MAX_CANDIDATES},
            {"field": "name", "limit": NAME_SEARCH_MAX_CANDIDATES},
        )
    matches = [pk for pk, token in candidates if normalise_name(unseal(bytes(token), kind=PiiKind.NAME)) == wanted]
    return customers.filter(pk__in=matches)
