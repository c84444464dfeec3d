"""The surname blind index: find 王小明 by "王" while the name stays encrypted.

``surname_index(name)`` is a keyed HMAC (the blind-index key, its own domain tag) of the
name's surname: the first character of a Chinese name, or the first two for the common
two-character compound surnames (欧阳, 司马, …) when the name is longer than that. A
name in Latin letters gives its first word. The trade-off is written up in docs/pii.md:
equal surnames have equal indexes, so a reader of the database learns how often each
(unknown) surname occurs, never which surname it is.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Sequence

from django.conf import settings

from scrm.pii.crypto import BLIND_INDEX_BYTES

COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "钟离",
        "闻人",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "赫连",
        "濮阳",
        "万俟",
        "司空",
        "公羊",
        "第五",
        "拓跋",
        "单于",
    ]
)


def _normalised(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _is_cjk(character: str) -> bool:
    return "\u3400" <= character <= "\u9fff" or "\uf900" <= character <= "\ufaff"


def surname_of(name: str) -> str | None:
    """The surname a name is indexed under, or None for an empty name."""
    name = _normalised(name)
    if not name:
        return None
    if not _is_cjk(name[0]):
        return name.split(" ")[0]
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[0]


def surname_query(text: str) -> str | None:
    """The surname a search text stands for, when it is a surname alone ("王", "欧阳"); else None."""
    text = _normalised(text)
    if (len(text) == 1 and _is_cjk(text)) or text in COMPOUND_SURNAMES:
        return text
    return None


def surname_index(name: str) -> bytes | None:
    """Keyed HMAC-SHA256 of the name's surname, truncated to 128 bits; None for an empty name."""
    surname = surname_of(name)
    if surname is None:
        return None
    return surname_index_of_surname(surname)


def surname_index_of_surname(surname: str) -> bytes:
    message = b"surname\x00" + _normalised(surname).encode()
    return hmac.new(settings.PII_BLIND_INDEX_KEY.encode(), message, hashlib.sha256).digest()[:BLIND_INDEX_BYTES]


def surname_index_many(names: Sequence[str]) -> list[bytes | None]:
    """``surname_index`` of many names: each distinct surname is hashed once (a bank has a few hundred)."""
    indexes: dict[str | None, bytes | None] = {None: None}
    out = []
    for name in names:
        surname = surname_of(name)
        if surname is not None and surname not in indexes:
            indexes[surname] = surname_index_of_surname(surname)
        out.append(indexes[surname])
    return out
