"""How a member of staff stands against the WeCom directory snapshot."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.core.cache import cache
from django.utils.dateparse import parse_datetime

from channels.directory.services import snapshot_key
from scrm.org.models import Staff, StaffStatus


class DirectoryState(StrEnum):
    SYNCED = "synced"
    NO_USERID = "no_userid"  # scrm knows no WeCom account for the person
    MISSING = "missing"  # active here, not a member in WeCom
    NAME_DIFFERS = "name_differs"
    STILL_MEMBER = "still_member"  # departed here, still a member in WeCom
    UNKNOWN = "unknown"  # no snapshot yet


@dataclass(frozen=True)
class DirectorySnapshot:
    taken_at: datetime.datetime | None
    members: dict[str, str]


def directory_snapshot() -> DirectorySnapshot | None:
    raw = cache.get(snapshot_key())
    if not raw:
        return None
    return DirectorySnapshot(taken_at=parse_datetime(raw["taken_at"]), members=dict(raw["members"]))


def directory_state(*, staff: Staff, snapshot: DirectorySnapshot | None) -> DirectoryState:
    departed = staff.status == StaffStatus.DEPARTED
    if not staff.wecom_userid:
        return DirectoryState.SYNCED if departed else DirectoryState.NO_USERID
    if snapshot is None:
        return DirectoryState.UNKNOWN
    name = snapshot.members.get(staff.wecom_userid)
    if departed:
        return DirectoryState.STILL_MEMBER if name is not None else DirectoryState.SYNCED
    if name is None:
        return DirectoryState.MISSING
    return DirectoryState.NAME_DIFFERS if name != staff.name else DirectoryState.SYNCED
