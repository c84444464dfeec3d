"""Keyset cursors for the channels pages: "the rows after (time, id)", never an OFFSET.

A cursor is opaque to the browser (base64 of a small JSON); anything that does not
decode to the expected shape is refused with a message, never a server error.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from scrm.core.exceptions import ApplicationError

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: its sort time (None when the list is ordered by id alone) and id."""

    at: datetime.datetime | None
    id: int

    def encode(self) -> str:
        payload = {"t": self.at.isoformat() if self.at else None, "i": self.id}
        return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, value: str, *, timed: bool) -> Cursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
            pk = payload["i"]
            if not isinstance(pk, int) or isinstance(pk, bool) or pk < 0:
                raise ValueError("bad id")
            at = None
            if timed:
                at = datetime.datetime.fromisoformat(payload["t"])
                if at.tzinfo is None:
                    raise ValueError("naive timestamp")
            return cls(at=at, id=pk)
        except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError) as error:
            raise ApplicationError(
                _("The page cursor is invalid; start again from the first page."), {"field": "cursor"}
            ) from error
