"""The chat archive of the demo bank: a corp key pair, customers who agreed, and conversations in the sandbox.

``demo_chat_archive_create()`` (run by ``manage.py setup_archive_demo`` from ``make run``):

* the corp's archive private key (version 1) is generated on first run where
  ``WECOM_ARCHIVE_PRIVATE_KEYS[1]`` points (``var/archive/private_key_v1.pem`` by default),
  and its public key is given to the sandbox, which encrypts every record with it;
* three of the demo RM's linked customers agree to archiving (in the sandbox, and their
  chat-archive consent recorded from WeCom as the msg_audit_approved callback would);
* realistic conversations between the RM and them are posted, some breaking the rules: a
  promised return (保本保息，稳赚不赔), the RM sending a customer's ID and phone numbers,
  a customer's complaint (我要投诉); and one with a fourth customer who did not agree,
  which ingestion must discard.

Runs once: a sandbox that already holds archive records is left as it is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.utils import timezone

from channels.contacts.selectors import linked_contacts_of_staff
from customers.consent.services import consent_set
from customers.models import ConsentPurpose, ConsentSource
from risk.compliance.archive.crypto import archive_keys_forget
from scrm.core.exceptions import ApplicationError
from scrm.org.demo import DEMO_RM_USERNAME
from scrm.org.models import Staff

SANDBOX_TIMEOUT_SECONDS = 10.0
DEMO_KEY_VERSION = 1


def _id_number(first17: str) -> str:
    """A resident ID number with its GB 11643 check digit, so that the PII check recognises it."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


DEMO_ID_NUMBER = _id_number("11010519850307203")
DEMO_PHONE = "13912345678"

# (who, text): "staff" is the RM.
CONVERSATIONS: list[list[tuple[str, str]]] = [
    [
        ("staff", "王女士您好，您在我行的定期存款下周到期，需要帮您安排续存吗？"),
        ("customer", "到期了啊，现在有什么收益高一点的产品吗？"),
        ("staff", "我们新发行了一款一年期理财，业绩比较基准4.2%，风险等级R2。"),
        ("customer", "理财会不会亏本？我年纪大了，不想冒险。"),
        ("staff", "您放心，这款保本保息，稳赚不赔，很多老客户都买了。"),
        ("customer", "那好，我明天上午去网点办理。"),
    ],
    [
        ("customer", "李经理，我想确认一下我在银行预留的信息对不对。"),
        ("staff", f"您登记的身份证号是{DEMO_ID_NUMBER}，手机号{DEMO_PHONE}，如果没问题我就帮您提交了。"),
        ("customer", "对的，谢谢。"),
        ("staff", "不客气，办好后我再通知您。"),
    ],
    [
        ("customer", "上周的跨行转账到现在还没到账，打了两次客服也没人处理，我要投诉！"),
        ("staff", "非常抱歉给您带来不便，我马上帮您查询转账进度。"),
        ("staff", "已经查到了，是收款行退回了，今天下午会原路退回到您的账户。"),
        ("customer", "好吧，希望尽快处理。"),
    ],
]
NOT_AGREED_CONVERSATION: list[tuple[str, str]] = [
    ("staff", "您好，本周六网点有理财沙龙，欢迎您来参加。"),
    ("customer", "好的，我看看时间。"),
]


@dataclass(frozen=True)
class DemoArchive:
    agreed: int
    messages: int
    not_agreed_messages: int
    key_path: str


def demo_archive_key_ensure() -> tuple[Path, str]:
    """The demo corp's archive private key (generated once, readable by its owner only) and its public PEM."""
    path = Path(settings.WECOM_ARCHIVE_PRIVATE_KEYS[DEMO_KEY_VERSION])
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        archive_keys_forget()
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return path, public.decode()


def _sandbox(method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    url = f"{settings.WECOM_SANDBOX_URL.rstrip('/')}/sandbox/{path}"
    try:
        response = requests.request(method, url, json=body, timeout=SANDBOX_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise ApplicationError(f"The WeCom sandbox did not take the demo chat archive ({path}): {error}") from error
    return response.json()


def _lines(conversation: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"by": by, "text": text} for by, text in conversation]


def _working_morning_minutes_ago() -> float:
    """Minutes since the last 10:00 (local) at least five hours ago: the demo chats happen in
    working hours, so only their words, not their hour, make violations."""
    now = timezone.localtime()
    morning = now.replace(hour=10, minute=0, second=0, microsecond=0)
    if now - morning < timedelta(hours=5):
        morning -= timedelta(days=1)
    return (now - morning).total_seconds() / 60


def demo_chat_archive_create() -> DemoArchive | None:
    """The demo's archived conversations in the sandbox, once; None when there is nothing to do.

    Needs the demo RM's WeCom contacts (``setup_wecom_demo`` links them) and the sandbox.
    """
    if not settings.WECOM_SANDBOX_URL:
        return None
    rm = Staff.objects.filter(user__username=DEMO_RM_USERNAME, wecom_userid__isnull=False).first()
    if rm is None:
        return None
    contacts = linked_contacts_of_staff(staff_id=rm.pk, limit=len(CONVERSATIONS) + 1)
    if len(contacts) < len(CONVERSATIONS) + 1 or _sandbox("GET", "archive/records"):
        return None
    path, public_pem = demo_archive_key_ensure()
    _sandbox("POST", "archive/public_key", {"version": DEMO_KEY_VERSION, "pem": public_pem})
    userid = str(rm.wecom_userid)
    start = _working_morning_minutes_ago()
    messages = 0
    for index, ((external_userid, customer_id), conversation) in enumerate(zip(contacts, CONVERSATIONS, strict=False)):
        _sandbox("POST", "archive/agree", {"userid": userid, "external_userid": external_userid, "deliver": False})
        # As the msg_audit_approved callback records it (the callback is not delivered: the
        # product's web server is not up yet while the demo is prepared).
        consent_set(
            customer_id=customer_id, purpose=ConsentPurpose.CHAT_ARCHIVE, granted=True, source=ConsentSource.WECOM
        )
        body = {
            "userid": userid,
            "external_userid": external_userid,
            "lines": _lines(conversation),
            "minutes_ago": start - 60 * index,
        }
        messages += len(_sandbox("POST", "archive/conversation", body)["posted"])
    not_agreed_external, _ = contacts[len(CONVERSATIONS)]
    body = {"userid": userid, "external_userid": not_agreed_external, "lines": _lines(NOT_AGREED_CONVERSATION)}
    not_agreed = len(_sandbox("POST", "archive/conversation", {**body, "minutes_ago": start - 240})["posted"])
    return DemoArchive(agreed=len(CONVERSATIONS), messages=messages, not_agreed_messages=not_agreed, key_path=str(path))
