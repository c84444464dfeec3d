"""Every page, as every role, in Chinese: no English left, no 5xx, errors in the product's own pages.

The pages are found from the URLconf, so a new page is checked the day it is routed; a
page that takes arguments must say here which object it is opened with. Each answer is
read twice for English (see ``tests/support/untranslated.py``): the messages gettext
could not translate while it rendered, and the English words left in what a reader sees.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import LocalePrefixPattern

from campaigns.models import Campaign, ContentCategory, ContentItem, Script, ScriptCategory
from campaigns.scripts.services import script_category_create, script_create
from campaigns.services import campaign_create
from channels.models import AssignmentStrategy, ChannelCode, CustomerGroup
from customers.imports.services import import_job_run
from customers.models import ImportJob, Segment, Tag, TagBulkAction, TagBulkJob, TagGroup, TagRule, TagRuleRun
from customers.tagging.demo import demo_tags_create
from risk.compliance.models import ContentCategory as WordCategory
from risk.compliance.models import SensitiveWord
from risk.compliance.violations.services import violations_scan
from risk.models import Violation
from scrm.org.models import Staff
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.compliance_factories import SensitiveWordFactory
from tests.conftest import World
from tests.customers.imports.extracts import csv_write, customer_row, job_uploaded
from tests.factories import ContentCategoryFactory, ContentItemFactory, CustomerGroupFactory, GroupMemberFactory
from tests.risk.compliance.violations.factories import chat_of, message_in
from tests.support.untranslated import english_words, gettext_misses

pytestmark = pytest.mark.django_db

ROLES = ("hq_admin", "branch_manager", "rm", "compliance")

# Not pages a member of staff reads in the product's layout, each with the reason.
NOT_CHECKED = {
    "login": "checked signed out by tests/scrm/test_pages.py",
    "logout": "signs out; POST only",
}

# A customer's own (H5) pages answer a bad link in their own mobile layout, not the staff error page.
CUSTOMER_PAGES = {"identity-verify", "consent-preferences"}
# Values a file may hold, which the import page's column rules quote as they must be written.
FILE_VALUES = {"yes", "no", "true", "false", "counter", "mobile", "banking", "deposit", "fund", "insurance", "loan"}
ALLOWED_WORDS = {"customer-import-upload": FILE_VALUES | {"wealth", "time", "csv", "xlsx"}}

# How each page that takes arguments is opened: from the world, for the member of staff asking.
Arguments = Callable[[World, Staff], dict[str, Any]]


def _own_customer(world: World, staff: Staff) -> dict[str, Any]:
    owner = staff if staff.role == "rm" else world.rm_bj
    return {"customer_no": owner.customers.order_by("id").first().customer_no}  # type: ignore[attr-defined]


def _first(model: Any, field: str = "pk", argument: str = "pk") -> Arguments:
    return lambda world, staff: {argument: getattr(model.objects.order_by("pk").first(), field)}


PAGE_ARGUMENTS: dict[str, Arguments] = {
    "tag-rule-run-progress": _first(TagRuleRun),
    "tag-group-edit": _first(TagGroup),
    "tag-edit": _first(Tag),
    "tag-retire": _first(Tag),
    "tag-reactivate": _first(Tag),
    "tag-bulk-progress": _first(TagBulkJob),
    "customer-notes": _own_customer,
    "tag-rule-edit": lambda world, staff: {"code": TagRule.objects.order_by("pk").first().tag.code},  # type: ignore[union-attr]
    "customer-import-template": lambda world, staff: {"kind": "customers", "file_format": "xlsx"},
    "customer-import-job": _first(ImportJob),
    "customer-import-progress": _first(ImportJob),
    "customer-import-error-report": _first(ImportJob),
    "group-detail": _first(CustomerGroup),
    "channel-code-detail": _first(ChannelCode),
    "channel-code-edit": _first(ChannelCode),
    "channel-code-deactivate": _first(ChannelCode),
    "channel-code-activate": _first(ChannelCode),
    # A customer's own pages: opened with a link that is no longer valid, which they must understand too.
    "identity-verify": lambda world, staff: {"token": "expired-link"},
    "consent-preferences": lambda world, staff: {"token": "expired-link"},
    "customer-page": _own_customer,
    "customer-reveal": _own_customer,
    "churn-customer-panel": _own_customer,
    "segment-page": _first(Segment),
    "segment-edit": _first(Segment),
    "script-edit": _first(Script),
    "script-delete": _first(Script),
    "script-category-delete": _first(ScriptCategory),
    "content-edit": _first(ContentItem),
    "content-file": _first(ContentItem),
    "content-delete": _first(ContentItem),
    "content-category-rename": _first(ContentCategory),
    "content-category-delete": _first(ContentCategory),
    "campaign-detail": _first(Campaign),
    "campaign-edit": _first(Campaign),
    "campaign-audience": _first(Campaign),
    "campaign-recipients-export": _first(Campaign),
    "campaign-action": lambda world, staff: {"pk": Campaign.objects.order_by("pk").first().pk, "action": "submit"},  # type: ignore[union-attr]
    "compliance-word-edit": _first(SensitiveWord),
    "compliance-word-active": _first(SensitiveWord),
    "compliance-pattern-save": lambda world, staff: {"pattern": "mobile"},
    "violation-detail-page": _first(Violation),
    "violation-review-page": _first(Violation),
    "violation-assign-page": _first(Violation),
    "churn-promote": lambda world, staff: {"version": 1},
    "org-branch": lambda world, staff: {"pk": world.bj_hd_1.pk},
    "org-staff-detail": lambda world, staff: {"pk": world.rm_bj.pk},
}


@dataclass(frozen=True)
class Page:
    name: str
    takes_arguments: bool


def _walk(patterns: list[URLPattern | URLResolver], in_language: bool = False) -> Iterator[Page]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin, translated by Django, for operators
            yield from _walk(pattern.url_patterns, in_language or isinstance(pattern.pattern, LocalePrefixPattern))
        elif in_language and pattern.name:
            yield Page(pattern.name, bool(pattern.pattern.regex.groupindex))


def product_pages() -> list[Page]:
    return [page for page in _walk(get_resolver().url_patterns) if page.name not in NOT_CHECKED]


@pytest.fixture
def bank(world: World, tmp_path: Path) -> World:
    """The world with one of everything a page can be opened on."""
    demo_tags_create(actor=world.hq_admin)
    owner = world.rm_bj.employee_no
    rows = [customer_row(1, owner=owner), customer_row(2, owner=owner, id_number="110101")]
    import_job_run(job_id=job_uploaded(csv_write(tmp_path / "客户.csv", rows), actor=world.hq_admin).pk)
    ChannelCode.objects.create(
        name="中关村网点海报",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="pagesbj",
        created_by=world.hq_admin,
    )
    group = CustomerGroupFactory(owner=world.rm_bj, name="中关村理财沙龙")
    GroupMemberFactory(group=group)
    TagBulkJob.objects.create(
        tag=Tag.objects.order_by("pk").first(), action=TagBulkAction.ASSIGN, created_by=world.rm_bj, selected=3
    )
    segment = SegmentFactory(created_by=world.hq_admin)
    campaign_create(actor=world.hq_admin, draft=campaign_draft(segment, name="总行活动"))
    script_create(
        actor=world.hq_admin,
        category=script_category_create(name="开场白", actor=world.hq_admin),
        title="问候",
        content="您好，我是您的客户经理。",
    )
    ContentItemFactory(title="理财周报", category=ContentCategoryFactory(name="周报"))
    SensitiveWordFactory(word="保本", category=WordCategory.PROMISED_RETURN)
    violations_scan([message_in(chat_of(world.rm_bj), "这款产品保本").pk])
    return world


def test_every_page_is_routed_with_the_object_it_opens_on() -> None:
    unopened = [page.name for page in product_pages() if page.takes_arguments and page.name not in PAGE_ARGUMENTS]

    assert unopened == [], f"say in PAGE_ARGUMENTS which object these pages open on: {unopened}"


def test_every_page_reads_in_chinese_for_every_role(bank: World) -> None:
    problems: list[str] = []
    for role in ROLES:
        staff = bank.staff_for(role)
        client = Client()
        client.force_login(staff.user)
        for page in product_pages():
            arguments = PAGE_ARGUMENTS[page.name](bank, staff) if page.takes_arguments else {}
            url = reverse(page.name, kwargs=arguments)
            with gettext_misses() as misses:
                response = client.get(url)
                body = response.content.decode() if "text/html" in response.get("Content-Type", "") else ""
            where = f"{role} {url} ({response.status_code})"
            if response.status_code >= 500:
                problems.append(f"{where}: server error")
            if response.status_code in (403, 404) and page.name not in CUSTOMER_PAGES and "scrm-error" not in body:
                problems.append(f"{where}: not the product's error page")
            problems.extend(f"{where}: untranslated message {message!r}" for message in sorted(set(misses)))
            if words := sorted(set(english_words(body)) - ALLOWED_WORDS.get(page.name, set())):
                problems.append(f"{where}: English on the page: {', '.join(words)}")

    assert problems == [], "\n".join(problems)
