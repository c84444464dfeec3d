"""The sandbox corp's whole world, in memory under one lock, snapshotted to a JSON file.

Everything is plain JSON data (dicts, lists, strings, numbers), so the snapshot is the
state itself: a restarted sandbox carries on where it stopped. Time comes from a clock
whose offset the control API can advance, so token expiry, the 20-second welcome-code
window and "one group message a day" can be tested without waiting.
"""

from __future__ import annotations

import calendar
import datetime
import json
import os
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from wecom_sandbox.config import Corp, Tunables

CALLS_KEPT = 5000
CALLBACKS_KEPT = 1000
_ID_ALPHABET = string.ascii_letters + string.digits
# WeCom's "today" is China's calendar day: UTC+8, no daylight saving.
CHINA_UTC_OFFSET_SECONDS = 8 * 3600


def random_id(prefix: str, length: int, alphabet: str = _ID_ALPHABET) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def china_day(timestamp: float) -> int:
    return int((timestamp + CHINA_UTC_OFFSET_SECONDS) // 86400)


def china_month_of_day(day: int) -> tuple[int, int]:
    """(year, month) of a China day number as :func:`china_day` counts them."""
    date = datetime.date(1970, 1, 1) + datetime.timedelta(days=day)
    return date.year, date.month


def china_month(timestamp: float) -> tuple[int, int]:
    return china_month_of_day(china_day(timestamp))


def days_in_china_month(timestamp: float) -> int:
    year, month = china_month(timestamp)
    return calendar.monthrange(year, month)[1]


def _empty(tunables: Tunables) -> dict[str, Any]:
    return {
        "config": asdict(tunables),
        "clock_offset": 0.0,
        "departments": {},  # str(id) -> department
        "users": {},  # userid -> user
        "tokens": {},  # access_token -> expires_at
        "contacts": {},  # external_userid -> external contact
        "follows": {},  # "userid|external_userid" -> follow relation
        "tag_groups": {},  # group_id -> group (its tag ids in "tags")
        "tags": {},  # tag_id -> tag
        "contact_ways": {},  # config_id -> contact way
        "rotation": {},  # config_id -> how many scans it has had (staff rotation)
        "welcome_codes": {},  # code -> {userid, external_userid, issued_at, used}
        "welcome_messages": [],
        "groupmsgs": {},  # msgid -> group message with tasks and per-customer results
        "groupmsg_received": {},  # external_userid -> [china day, ...] of group messages received
        "groupchat_received": {},  # chat_id -> [china day, ...] of group messages the group received
        "moment_jobs": {},  # jobid -> the asynchronous creation of a moment task
        "moments": {},  # moment_id -> moment task with each member's publish status
        "transfers": [],  # every transfer request, newest last
        "groupchats": {},  # chat_id -> group chat
        "oauth_codes": {},  # code -> {userid, expires_at}
        "tickets": {},  # "jsapi" | "agent_config" -> {ticket, expires_at}
        "current_chat": {},  # userid -> external_userid open in the RM's chat window
        "chat_messages": [],
        "deliveries": [],  # everything a customer received, in order
        "callbacks": [],  # callbacks sent, with their attempts
        "faults": [],
        "media": {},  # media_id -> temporary media (metadata; the bytes are in media_blobs)
        "seq": {},  # counters for ids that must be readable (callback numbers)
    }


class SandboxState:
    """All of the corp's data; mutate only inside ``with state.mutate():``."""

    def __init__(
        self,
        *,
        corp: Corp,
        tunables: Tunables,
        path: Path | None = None,
        directory: Path | None = None,
    ) -> None:
        self.corp = corp
        self._initial_tunables = tunables
        self.path = path
        self.directory = directory
        self.lock = threading.RLock()
        self.data: dict[str, Any] = _empty(tunables)
        # Not part of the snapshot: a log for tests and a sliding window for the rate limit.
        self.calls: deque[dict[str, Any]] = deque(maxlen=CALLS_KEPT)
        self.rate_windows: dict[str, deque[float]] = {}
        # Uploaded media bytes by media_id (wecom_sandbox.media); too big for the snapshot.
        self.media_blobs: dict[str, bytes] = {}
        self._directory_mtime: float | None = None
        if path is not None and path.exists():
            snapshot = json.loads(path.read_text(encoding="utf-8"))
            # A snapshot from an older sandbox lacks newer settings: they take their defaults.
            snapshot["config"] = {**self.data["config"], **snapshot.get("config", {})}
            self.data.update(snapshot)
        self.reload_directory_if_changed()

    # --- time ----------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + float(self.data["clock_offset"])

    def now_int(self) -> int:
        return int(self.now())

    @property
    def config(self) -> dict[str, Any]:
        return self.data["config"]

    # --- mutation and persistence ----------------------------------------------------

    @contextmanager
    def mutate(self) -> Iterator[dict[str, Any]]:
        """Hold the lock for a change and write the snapshot after it, even a partial one.

        Handlers validate before they change anything, so an error leaves nothing half done;
        saving in ``finally`` keeps the file equal to memory either way.
        """
        with self.lock:
            try:
                yield self.data
            finally:
                self.save()

    def save(self) -> None:
        if self.path is None:
            return
        with self.lock:
            text = json.dumps(self.data, ensure_ascii=False)  # key order is insertion order: keep it
            tmp = self.path.with_name(self.path.name + ".tmp")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, self.path)

    def reset(self) -> None:
        with self.mutate():
            self.data.clear()
            self.data.update(_empty(self._initial_tunables))
            self.calls.clear()
            self.rate_windows.clear()
            self.media_blobs.clear()
            self._directory_mtime = None
            self.reload_directory_if_changed()

    def next_seq(self, name: str) -> int:
        with self.lock:
            value = int(self.data["seq"].get(name, 0)) + 1
            self.data["seq"][name] = value
            return value

    # --- the directory (staff and departments) ----------------------------------------

    def reload_directory_if_changed(self) -> bool:
        """Upsert staff from the --directory file when it is new or has changed since last read."""
        if self.directory is None or not self.directory.exists():
            return False
        mtime = self.directory.stat().st_mtime
        if mtime == self._directory_mtime:
            return False
        try:
            payload = json.loads(self.directory.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # half-written file: the next poll reads it whole
        self._directory_mtime = mtime
        with self.mutate():
            self.upsert_directory(departments=payload.get("departments", []), users=payload.get("users", []))
        return True

    def upsert_directory(self, *, departments: list[dict[str, Any]], users: list[dict[str, Any]]) -> dict[str, int]:
        with self.mutate() as data:
            for raw in departments:
                dept_id = int(raw["id"])
                current = data["departments"].get(str(dept_id), {})
                data["departments"][str(dept_id)] = {
                    "id": dept_id,
                    "name": raw.get("name", current.get("name", str(dept_id))),
                    "name_en": raw.get("name_en", current.get("name_en", "")),
                    "parentid": int(raw.get("parentid", current.get("parentid", 0 if dept_id == 1 else 1))),
                    "order": int(raw.get("order", current.get("order", 0))),
                    "department_leader": raw.get("department_leader", current.get("department_leader", [])),
                }
            for raw in users:
                userid = str(raw["userid"])
                current = data["users"].get(userid, {})
                status = int(raw.get("status", current.get("status", 1)))
                user = {
                    **current,
                    "userid": userid,
                    "name": raw.get("name", current.get("name", userid)),
                    "department": [int(d) for d in raw.get("department", current.get("department", [1]))],
                    "position": raw.get("position", current.get("position", "")),
                    "gender": str(raw.get("gender", current.get("gender", "0"))),
                    "status": status,
                    "dimission_time": current.get("dimission_time", 0),
                }
                user["main_department"] = int(raw.get("main_department", (user["department"] or [1])[0]))
                if status == 5 and current.get("status") != 5:
                    user["dimission_time"] = self.now_int()
                if status != 5:
                    user["dimission_time"] = 0
                data["users"][userid] = user
            return {"departments": len(departments), "users": len(users)}

    # --- reads used by several modules --------------------------------------------------

    def active_user(self, userid: str) -> dict[str, Any] | None:
        user = self.data["users"].get(userid)
        return user if user and user["status"] != 5 else None

    def follow(self, userid: str, external_userid: str) -> dict[str, Any] | None:
        return self.data["follows"].get(f"{userid}|{external_userid}")

    def follows_of_contact(self, external_userid: str) -> list[dict[str, Any]]:
        rows = [f for f in self.data["follows"].values() if f["external_userid"] == external_userid]
        return sorted(rows, key=lambda f: f["createtime"])  # stable: ties keep the order they were added

    def follows_of_user(self, userid: str) -> list[dict[str, Any]]:
        rows = [f for f in self.data["follows"].values() if f["userid"] == userid]
        return sorted(rows, key=lambda f: f["createtime"])

    def department_subtree(self, dept_id: int) -> set[int]:
        ids = {dept_id}
        changed = True
        while changed:
            changed = False
            for dept in self.data["departments"].values():
                if dept["parentid"] in ids and dept["id"] not in ids:
                    ids.add(dept["id"])
                    changed = True
        return ids

    def users_in_departments(self, dept_ids: set[int]) -> list[str]:
        return sorted(
            u["userid"]
            for u in self.data["users"].values()
            if u["status"] != 5 and any(d in dept_ids for d in u["department"])
        )
