"""The WeCom side of the demo bank: the staff directory for the sandbox, channel tags and codes."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.db import transaction

from channels.codes.services import channel_code_create
from channels.contacts.services import contact_upsert, relation_upsert
from channels.groups.services import group_store
from channels.identity.services import contact_link
from channels.models import AssignmentStrategy, ChannelCode, CustomerGroup, FollowRelation, MatchMethod
from channels.wecom.gateway import wecom
from customers.models import Customer, TagKind
from customers.tagging.selectors import tag_groups_list, tags_list
from customers.tagging.services import tag_create, tag_group_create
from scrm.core.exceptions import ApplicationError
from scrm.org.demo import DEMO_RM_USERNAME
from scrm.org.models import Branch, Role, Staff, StaffStatus
from scrm.pii import PiiKind, unseal

DEMO_WELCOME = (
    "{name}您好！我是您的专属客户经理，很高兴通过企业微信为您服务。"
    "完成身份认证后，即可在这里查看专属权益与产品到期提醒：{verify_link}"
)
CHANNEL_TAGS = (("channel_poster", "网点海报", "#0d6efd"), ("channel_salon", "理财沙龙", "#c9a227"))
SANDBOX_TIMEOUT_SECONDS = 5.0
SANDBOX_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class DemoCustomer:
    customer_no: str
    phone: str


def demo_wecom_directory() -> dict[str, list[dict[str, Any]]]:
    """The bank's branches and staff as WeCom departments and members (the sandbox's --directory)."""
    branches = list(Branch.objects.order_by("depth", "path").values("id", "name", "path", "depth"))
    by_path = {branch["path"]: branch["id"] for branch in branches}
    step = Branch.steplen
    departments = [
        {
            "id": branch["id"],
            "name": branch["name"],
            "parentid": by_path.get(branch["path"][:-step], 0) if branch["depth"] > 1 else 0,
        }
        for branch in branches
    ]
    users = [
        {
            "userid": userid,
            "name": name,
            "department": [branch_id],
            "status": 1 if status == StaffStatus.ACTIVE else 5,
        }
        for userid, name, branch_id, status in Staff.objects.filter(wecom_userid__isnull=False)
        .order_by("id")
        .values_list("wecom_userid", "name", "branch_id", "status")
    ]
    return {"departments": departments, "users": users}


def demo_wecom_directory_write(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Write the directory where the sandbox reads it; written whole, then renamed into place."""
    directory = demo_wecom_directory()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(directory, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)
    return directory


def demo_sandbox_directory_upsert(directory: dict[str, list[dict[str, Any]]], *, wait_seconds: float) -> None:
    """Give the running sandbox the staff directory now, over its control API (``POST /sandbox/users``).

    Waits up to ``wait_seconds`` for the sandbox at WECOM_SANDBOX_URL to answer
    ``GET /sandbox/config`` first; the sandbox is a separate process, reached over HTTP only.
    """
    base_url = settings.WECOM_SANDBOX_URL.rstrip("/")
    control = f"{base_url}/sandbox"
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            requests.get(f"{control}/config", timeout=SANDBOX_TIMEOUT_SECONDS).raise_for_status()
            break
        except requests.RequestException as error:
            if time.monotonic() >= deadline:
                raise ApplicationError(f"The WeCom sandbox at {base_url} is not answering: {error}") from error
            time.sleep(SANDBOX_POLL_SECONDS)
    try:
        response = requests.post(
            f"{control}/users",
            json={"users": directory["users"], "departments": directory["departments"]},
            timeout=SANDBOX_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
    except requests.RequestException as error:
        raise ApplicationError(f"The WeCom sandbox at {base_url} did not take the staff directory: {error}") from error


def demo_channel_codes_create() -> list[ChannelCode]:
    """Two channel codes for the demo RM's outlet, once; returns the bank's demo codes."""
    demo_tags = [code for code, _name, _colour in CHANNEL_TAGS]
    existing = list(ChannelCode.objects.filter(tags__code__in=demo_tags).distinct().order_by("id"))
    if existing:
        return existing
    rm = Staff.objects.select_related("branch").get(user__username=DEMO_RM_USERNAME)
    hq_admin = Staff.objects.filter(role=Role.HQ_ADMIN).order_by("id").first() or rm
    group = tag_groups_list().filter(code="channel_source").first() or tag_group_create(
        code="channel_source", name="渠道来源", sort_order=90
    )
    tags = {
        code: tags_list().filter(code=code).first()
        or tag_create(group=group, code=code, name=name, color=color, kind=TagKind.CHANNEL)
        for code, name, color in CHANNEL_TAGS
    }
    poster = channel_code_create(
        actor=hq_admin,
        name=f"{rm.branch.name} · 海报",
        branch=rm.branch,
        strategy=AssignmentStrategy.FIXED,
        staff=[rm],
        tags=[tags["channel_poster"]],
        welcome_text=DEMO_WELCOME,
    )
    salon = channel_code_create(
        actor=hq_admin,
        name=f"{rm.branch.name} · 理财沙龙",
        branch=rm.branch,
        strategy=AssignmentStrategy.ROUND_ROBIN,
        tags=[tags["channel_salon"]],
        welcome_text=DEMO_WELCOME,
    )
    return [poster, salon]


def demo_customer_for_verification() -> DemoCustomer | None:
    """One of the demo RM's customers with a phone, to try the verification page as that customer."""
    rm = Staff.objects.select_related("user").filter(user__username=DEMO_RM_USERNAME).first()
    if rm is None:
        return None
    customer = Customer.objects.visible_to(rm.user).filter(owner=rm, phone_cipher__isnull=False).order_by("id").first()
    if customer is None or customer.phone_cipher is None:
        return None
    return DemoCustomer(
        customer_no=customer.customer_no, phone=unseal(bytes(customer.phone_cipher), kind=PiiKind.PHONE)
    )


DEMO_LINKED_CUSTOMERS = 20


def demo_wecom_customers_link(*, count: int = DEMO_LINKED_CUSTOMERS) -> int:
    """The demo RM's first ``count`` customers as their WeCom contacts, in the sandbox and here, once.

    So a campaign has someone to reach in the demo: each becomes a sandbox contact of the RM
    (over the control API), a local contact and relation, and is linked to the customer as if
    staff had matched them. Returns how many were linked now (0 the second time).
    """
    rm = Staff.objects.filter(user__username=DEMO_RM_USERNAME, wecom_userid__isnull=False).first()
    if rm is None:
        return 0
    # Customers who agreed to marketing first, so a marketing campaign in the demo reaches them.
    customers = list(
        Customer.objects.visible_to(rm.user)
        .filter(owner=rm, wecom_contacts__isnull=True)
        .order_by("-marketing_consent", "id")[:count]
    )
    if not customers or FollowRelation.objects.filter(staff=rm, contact__customer__isnull=False).exists():
        return 0
    control = f"{settings.WECOM_SANDBOX_URL.rstrip('/')}/sandbox"
    body: dict[str, Any] = {
        "contacts": [{"name": f"客户{c.customer_no[-4:]}", "follow": [{"userid": rm.wecom_userid}]} for c in customers]
    }
    try:
        response = requests.post(f"{control}/contacts", json=body, timeout=SANDBOX_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise ApplicationError(f"The WeCom sandbox did not take the demo contacts: {error}") from error
    now = int(time.time())
    with transaction.atomic():
        _demo_contacts_record(rm, customers, response.json()["external_userids"], now=now)
    return len(customers)


def _demo_contacts_record(rm: Staff, customers: list[Customer], external_userids: list[str], *, now: int) -> None:
    for customer, external_userid in zip(customers, external_userids, strict=True):
        contact = contact_upsert(
            contact={"external_userid": external_userid, "name": f"客户{customer.customer_no[-4:]}"}
        )
        relation_upsert(contact=contact, userid=str(rm.wecom_userid), follow={"createtime": now}, channel=None)
        contact_link(contact=contact, customer=customer, method=MatchMethod.MANUAL, actor=rm)


DEMO_GROUP_NAME = "演示理财客户群"
DEMO_GROUP_MEMBERS = 5


def demo_customer_group_create() -> CustomerGroup | None:
    """A customer group of the demo RM's with some of their linked customers, in the sandbox and here, once.

    So a campaign to customer groups has a group to go to in the demo. None when the RM
    has no linked customers yet, or already has the group.
    """
    rm = Staff.objects.filter(user__username=DEMO_RM_USERNAME, wecom_userid__isnull=False).first()
    if rm is None or CustomerGroup.objects.filter(owner=rm, name=DEMO_GROUP_NAME).exists():
        return None
    members = list(
        FollowRelation.objects.filter(staff=rm, contact__customer__marketing_consent=True)
        .order_by("contact__customer_id")
        .values_list("contact__external_userid", flat=True)[:DEMO_GROUP_MEMBERS]
    )
    if not members:
        return None
    control = f"{settings.WECOM_SANDBOX_URL.rstrip('/')}/sandbox"
    body = {"owner": rm.wecom_userid, "name": DEMO_GROUP_NAME, "members": members, "deliver": False}
    try:
        response = requests.post(f"{control}/simulate/group_create", json=body, timeout=SANDBOX_TIMEOUT_SECONDS)
        response.raise_for_status()
    except requests.RequestException as error:
        raise ApplicationError(f"The WeCom sandbox did not create the demo group: {error}") from error
    # Stored as the nightly sync would: whole, from groupchat/get.
    return group_store(wecom().group_chat(response.json()["chat_id"]))
