"""Display masks for people who may not see a full value."""

from scrm.pii.crypto import PiiKind


def mask_phone(phone: str) -> str:
    """138****1234; a shorter (local) number keeps only its last four digits: ****5678."""
    if len(phone) >= 11:
        return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"
    if len(phone) > 4:
        return "*" * (len(phone) - 4) + phone[-4:]
    return "*" * len(phone)


def mask_id_number(id_number: str) -> str:
    """110101********1234; anything too short to hide a middle part is hidden whole."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"


def mask_name(name: str) -> str:
    """张* (two characters), 欧阳** (compound surnames keep their first two)."""
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    keep = 2 if len(name) >= 4 else 1
    return name[:keep] + "*" * (len(name) - keep)


_MASKS = {PiiKind.NAME: mask_name, PiiKind.PHONE: mask_phone, PiiKind.ID_NUMBER: mask_id_number}


def mask(value: str, *, kind: PiiKind) -> str:
    return _MASKS[kind](value)
