"""Personal information protection (JR/T 0171): encryption at rest, blind index, masking.

Every read or write of a name, phone or ID number goes through this package:

* :func:`seal` / :func:`unseal` — AES-256-GCM with a key ring, the field kind bound
  in as associated data so a phone ciphertext can never be passed off as an ID;
* :func:`blind_index` — keyed HMAC of the normalised value, for exact lookup;
* :func:`surname_index` — keyed HMAC of the surname, for "王" finds 王小明;
* :func:`mask` — the display form for people who may not see the full value;
* :data:`MAINLAND_MOBILE` / :data:`MAINLAND_MOBILE_IN_TEXT` — how a mobile number is recognised.

Revealing a full value to a person is a service of the owning app
(``customers.services.customer_reveal_pii``) and is audited there.
"""

from scrm.pii.crypto import (
    PiiDecryptionError,
    PiiKind,
    blind_index,
    blind_index_many,
    needs_rotation,
    primary_key_id,
    reseal,
    seal,
    seal_many,
    token_prefix,
    unseal,
)
from scrm.pii.masking import mask, mask_id_number, mask_name, mask_phone
from scrm.pii.phones import MAINLAND_MOBILE, MAINLAND_MOBILE_IN_TEXT
from scrm.pii.surnames import (
    surname_index,
    surname_index_many,
    surname_index_of_surname,
    surname_of,
    surname_query,
)

__all__ = [
    "MAINLAND_MOBILE",
    "MAINLAND_MOBILE_IN_TEXT",
    "PiiDecryptionError",
    "PiiKind",
    "blind_index",
    "blind_index_many",
    "mask",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "needs_rotation",
    "primary_key_id",
    "reseal",
    "seal",
    "seal_many",
    "surname_index",
    "surname_index_many",
    "surname_index_of_surname",
    "surname_of",
    "surname_query",
    "token_prefix",
    "unseal",
]
