"""Segment writes: validated definitions, frozen snapshots, masked and audited exports."""

import csv
import io
import json
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from customers.models import Customer, CustomerTag, Segment, SegmentSnapshotMember
from customers.segments.export import ExportFormat, export_header
from customers.segments.services import (
    segment_create,
    segment_export,
    segment_snapshot_create,
    segment_update,
)
from customers.tagging.services import tag_create
from scrm.audit.models import AuditAction, AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.pii import PiiKind, unseal
from tests.conftest import World
from tests.customers.segments.conftest import Tags, tag
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = [
    "Customer number",
    "Name",
    "Phone",
    "Outlet code",
    "Outlet",
    "Branch",
    "Owner employee number",
    "Owner",
    "AUM band",
    "Tags",
]


def test_a_segment_is_stored_with_its_normalised_definition(world: World, tags: Tags) -> None:
    segment = segment_create(
        name=" 贵宾 ", description="高净值", definition={"tags_any": ["vip", "vip"]}, actor=world.hq_admin
    )

    segment.refresh_from_db()
    assert (segment.name, segment.description, segment.created_by) == ("贵宾", "高净值", world.hq_admin)
    assert segment.definition == {"tags_any": ["vip"], "tags_all": [], "tags_none": [], "rule": None}


@pytest.mark.parametrize(
    ("name", "definition", "field"),
    [
        ("", {"tags_any": ["vip"]}, "name"),
        ("x" * 101, {"tags_any": ["vip"]}, "name"),
        ("空", {}, "definition"),
        ("坏规则", {"rule": {"field": "wealth", "op": "eq", "value": 1}}, "rule"),
    ],
)
def test_an_invalid_segment_is_refused_and_nothing_is_saved(
    world: World, tags: Tags, name: str, definition: dict, field: str
) -> None:
    with pytest.raises(ApplicationError) as raised:
        segment_create(name=name, definition=definition, actor=world.hq_admin)

    assert raised.value.extra["field"] == field
    assert Segment.objects.count() == 0


def test_an_invalid_update_changes_nothing(world: World, tags: Tags) -> None:
    segment = segment_create(name="贵宾", definition={"tags_any": ["vip"]}, actor=world.hq_admin)

    with pytest.raises(ApplicationError):
        segment_update(segment=segment, name="改名", definition={"tags_any": ["ghost"]}, actor=world.hq_admin)

    segment.refresh_from_db()
    assert (segment.name, segment.definition["tags_any"]) == ("贵宾", ["vip"])


# --- snapshots -------------------------------------------------------------------------------


def snapshot_members(snapshot) -> set[int]:
    return set(SegmentSnapshotMember.objects.filter(snapshot=snapshot).values_list("customer_id", flat=True))


def test_a_snapshot_freezes_the_members_and_later_changes_do_not_alter_it(world: World, tags: Tags) -> None:
    bj, sh = world.customers_rm_bj, world.customers_rm_sh
    segment = segment_create(name="养老金", definition={"tags_any": ["pension"]}, actor=world.hq_admin)

    snapshot = segment_snapshot_create(segment=segment, actor=world.hq_admin)
    CustomerTag.objects.filter(customer=bj[1], tag=tags.pension).delete()
    tag(sh[3], tags.pension)
    segment_update(segment=segment, name="贵宾", definition={"tags_any": ["vip"]}, actor=world.hq_admin)
    later = segment_snapshot_create(segment=segment, actor=world.hq_admin)

    snapshot.refresh_from_db()
    assert snapshot.member_count == 4
    assert snapshot_members(snapshot) == {bj[1].pk, bj[2].pk, sh[0].pk, sh[1].pk}
    assert later.member_count == 5
    assert snapshot_members(later) == {
        bj[0].pk, bj[1].pk, world.customers_rm_bj2[0].pk, sh[0].pk, world.pool_customer_bj_hd_1.pk
    }  # fmt: skip


def test_a_snapshot_holds_only_the_members_the_actor_may_see(world: World, tags: Tags) -> None:
    segment = segment_create(name="养老金", definition={"tags_any": ["pension"]}, actor=world.hq_admin)

    snapshot = segment_snapshot_create(segment=segment, actor=world.branch_manager_bj)

    assert snapshot.member_count == 2
    assert snapshot_members(snapshot) == {world.customers_rm_bj[1].pk, world.customers_rm_bj[2].pk}
    assert snapshot.created_by == world.branch_manager_bj


# --- exports ---------------------------------------------------------------------------------


@pytest.fixture
def vip_segment(world: World, tags: Tags) -> Segment:
    return segment_create(name="贵宾客户", definition={"tags_any": ["vip"]}, actor=world.hq_admin)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    return [[cell if cell is not None else "" for cell in row] for row in sheet.iter_rows(values_only=True)]


def export(segment: Segment, user, export_format: ExportFormat) -> list[list[str]]:
    """Exported in English, so headers and labels are exact whatever the catalogue holds."""
    with translation.override("en"):
        result = segment_export(segment=segment, user=user, format=export_format)
        content = b"".join(result.chunks)
    return read_csv(content) if export_format is ExportFormat.CSV else read_xlsx(content)


@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_an_export_is_masked_scoped_and_keeps_chinese(
    world: World, tags: Tags, vip_segment: Segment, export_format: ExportFormat
) -> None:
    first, second = world.customers_rm_bj[0], world.customers_rm_bj[1]
    Customer.objects.filter(pk=second.pk).update(aum=Decimal("800000"))

    rows = export(vip_segment, world.rm_bj.user, export_format)

    assert rows[0] == HEADER
    assert rows[1:] == [
        [first.customer_no, "张*", f"138****{_phone(first)[-4:]}", "BJ-HD-1", "中关村网点", "北京分行",
         world.rm_bj.employee_no, world.rm_bj.name, "Potential (50k–500k)", "贵宾"],
        [second.customer_no, "张*", f"138****{_phone(second)[-4:]}", "BJ-HD-1", "中关村网点", "北京分行",
         world.rm_bj.employee_no, world.rm_bj.name, "Wealth (500k–6M)", "养老金客户、贵宾"],
        [world.pool_customer_bj_hd_1.customer_no, "张*", f"138****{_phone(world.pool_customer_bj_hd_1)[-4:]}",
         "BJ-HD-1", "中关村网点", "北京分行", "", "", "Potential (50k–500k)", "贵宾"],
    ]  # fmt: skip


def _phone(customer: Customer) -> str:
    return unseal(bytes(customer.phone_cipher), kind=PiiKind.PHONE)


def test_an_export_writes_one_audit_row_without_personal_information(
    world: World, tags: Tags, vip_segment: Segment
) -> None:
    before = AuditEvent.objects.count()

    rows = export(vip_segment, world.branch_manager_bj.user, ExportFormat.CSV)

    events = list(AuditEvent.objects.order_by("sequence")[before:])
    assert len(events) == 1
    event = events[0]
    assert (event.action, event.actor_id, event.target_type, event.target_id) == (
        AuditAction.EXPORT,
        world.branch_manager_bj.user_id,
        "customers.segment",
        str(vip_segment.pk),
    )
    assert event.data == {"kind": "segment_members", "segment_id": vip_segment.pk, "format": "csv", "row_count": 4}
    assert len(rows) - 1 == 4
    recorded = json.dumps(event.data, ensure_ascii=False)
    assert "张" not in recorded
    assert not any(_phone(customer) in recorded for customer in world.customers_rm_bj)


def test_cells_a_spreadsheet_would_run_as_formulas_stay_text(world: World, tags: Tags) -> None:
    formula = tag_create(group=tags.vip.group, code="formula", name='=HYPERLINK("http://x")')
    tag(world.customers_rm_bj[0], formula)
    segment = segment_create(name="公式", definition={"tags_all": ["formula"]}, actor=world.hq_admin)

    csv_rows = export(segment, world.hq_admin.user, ExportFormat.CSV)
    xlsx_rows = export(segment, world.hq_admin.user, ExportFormat.XLSX)

    assert csv_rows[1][-1] == xlsx_rows[1][-1] == '\'=HYPERLINK("http://x")、贵宾'


def test_an_export_too_large_for_excel_is_refused_before_anything_is_audited(
    world: World, tags: Tags, vip_segment: Segment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("customers.segments.export.XLSX_MAX_ROWS", 2)
    before = AuditEvent.objects.count()

    with pytest.raises(ApplicationError) as raised:
        segment_export(segment=vip_segment, user=world.hq_admin.user, format=ExportFormat.XLSX)

    assert raised.value.extra == {"field": "format", "row_count": 5}
    assert AuditEvent.objects.count() == before


def test_a_large_csv_export_streams_in_chunks(world: World, tags: Tags, vip_segment: Segment) -> None:
    CustomerFactory.create_batch(2100, owner=world.rm_sh)
    segment = segment_create(name="上海未打标", definition={"tags_none": ["vip", "pension"]}, actor=world.hq_admin)

    result = segment_export(segment=segment, user=world.rm_sh.user, format=ExportFormat.CSV)
    chunks = list(result.chunks)

    assert result.row_count == 2102
    assert len(chunks) == 2
    assert len(read_csv(b"".join(chunks))) == 2103


def test_the_export_names_the_outlet_and_its_branch_apart_in_chinese() -> None:
    with translation.override("zh-hans"):
        header = export_header()

    assert header[3:6] == ["网点代码", "网点", "分行"]
