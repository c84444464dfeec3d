"""Who may see a customer's personal information, and in what form — the one policy.

* Every role sees name, phone and ID number masked (张*, 138****1234,
  110101********1234); no list, page or export carries a full value.
* A full value is shown only by ``customers.services.customer_reveal_pii``: to a
  role in ``PII_REVEAL_ROLES``, for a customer inside the viewer's data scope,
  with a stated purpose, and with an audit row written before it is returned.
* Compliance reads the whole bank but never a full value (DESIGN.md §2).

``scrm.pii`` knows how to encrypt and mask but nothing of roles (the import
contract forbids it), so the policy lives here, in the app that owns the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrm.org.roles import Role
from scrm.org.scoping import data_scope_for
from scrm.pii import PiiKind, mask, unseal

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

PII_REVEAL_ROLES = frozenset({Role.HQ_ADMIN, Role.BRANCH_MANAGER, Role.RM})


def pii_can_reveal(*, viewer: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Whether the viewer's role may ask for full values (scope is checked per customer)."""
    scope = data_scope_for(viewer)
    return scope is not None and scope.role in PII_REVEAL_ROLES


def pii_masked(token: bytes | memoryview | None, *, kind: PiiKind) -> str | None:
    """Decrypt and mask at once, so the full value never leaves this function."""
    if token is None:
        return None
    return mask(unseal(bytes(token), kind=kind), kind=kind)
