"""The compliance console's pages: who may open them, the filters, keyset pages, the audited export."""

import csv
import io

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from customers.services import customer_reveal_pii
from scrm.audit.models import AuditAction, AuditEvent, ChainCheck
from scrm.audit.services import audit_record
from scrm.pii import PiiKind
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _reveal(world: World, *, purpose: str = "核实身份，客户来电 13912345678") -> AuditEvent:
    customer = world.customers_rm_bj[0]
    customer_reveal_pii(customer=customer, field=PiiKind.PHONE, actor=world.rm_bj.user, purpose=purpose)
    return AuditEvent.objects.filter(action=AuditAction.PII_REVEAL).latest("sequence")


@pytest.mark.parametrize("url", ["/compliance/audit/", "/compliance/audit/reveals/", "/compliance/audit/chain/"])
@pytest.mark.parametrize(
    ("role", "status"), [("compliance", 200), ("hq_admin", 200), ("branch_manager", 403), ("rm", 403)]
)
def test_only_compliance_and_head_office_open_the_console(client_for, url: str, role: str, status: int) -> None:
    assert client_for(role).get(url).status_code == status


def test_the_nav_shows_the_console_to_compliance_only_among_the_readers(client_for) -> None:
    assertContains(client_for("compliance").get("/"), "审计日志")
    assertContains(client_for("compliance").get("/"), "查看明文记录")
    assertNotContains(client_for("rm").get("/"), "审计日志")


def test_the_log_shows_a_reveal_in_chinese_with_the_purpose_masked(world: World, client_for) -> None:
    event = _reveal(world)

    response = client_for("compliance").get("/compliance/audit/", {"customer": world.customers_rm_bj[0].customer_no})

    assert response.status_code == 200
    assertContains(response, f'data-sequence="{event.sequence}"')
    assertContains(response, "查看明文信息")
    assertContains(response, "139****5678")
    assertNotContains(response, "13912345678")
    assertNotContains(response, "pii.reveal<")


def test_the_reveal_history_names_field_customer_and_purpose(world: World, client_for) -> None:
    _reveal(world, purpose="客户要求核对")
    audit_record(actor=world.rm_bj.user, action=AuditAction.LOGIN)

    response = client_for("compliance").get("/compliance/audit/reveals/")

    rows = response.context["rows"]
    assert len(rows) == 1
    assert (rows[0].actor, rows[0].customer_no, rows[0].field, rows[0].purpose) == (
        "rm",
        world.customers_rm_bj[0].customer_no,
        "手机号",
        "客户要求核对",
    )


def test_the_pages_link_older_rows_by_keyset_without_skipping_or_repeating(world: World, client_for) -> None:
    for _ in range(120):
        audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)
    client = client_for("compliance")
    expected = list(
        AuditEvent.objects.filter(action=AuditAction.LOGIN).order_by("-sequence").values_list("sequence", flat=True)
    )

    seen: list[int] = []
    params = {"action": AuditAction.LOGIN.value}
    while True:
        response = client.get("/compliance/audit/", params)
        seen += [row.sequence for row in response.context["rows"]]
        if response.context["next_before"] is None:
            break
        params = {**params, "before": str(response.context["next_before"])}

    assert seen == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-02-30"}, "请输入有效日期"),
        ({"since": "2026-12-05", "until": "2026-12-01"}, "开始日期不能晚于结束日期"),
        ({"action": "no.such.action"}, "请从列表中选择操作"),
        ({"before": "abc"}, "页面链接无效"),
        ({"customer": "C" * 40}, "请输入有效的客户号"),
    ],
)
def test_bad_filters_answer_a_clear_chinese_error_not_a_5xx(client_for, params: dict[str, str], message: str) -> None:
    response = client_for("compliance").get("/compliance/audit/", params)

    assert response.status_code == 400
    assertContains(response, message, status_code=400)


def test_the_export_is_audited_and_holds_the_filtered_rows_masked(world: World, client_for) -> None:
    event = _reveal(world)
    audit_record(actor=world.hq_admin.user, action=AuditAction.LOGIN)

    response = client_for("compliance").post("/compliance/audit/export/", {"action": "pii.reveal"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["序号", "时间", "用户", "操作"]
    assert [row[0] for row in rows[1:]] == [str(event.sequence)]
    assert rows[1][3] == "查看明文信息"
    assert "139****5678" in rows[1][5]
    assert "13912345678" not in text
    export = AuditEvent.objects.filter(action=AuditAction.EXPORT).get()
    assert export.actor_username == "compliance"
    assert export.data == {"kind": "audit_log", "format": "csv", "filters": {"action": "pii.reveal"}, "row_count": 1}


def test_an_export_with_bad_filters_exports_nothing_and_records_nothing(client_for) -> None:
    response = client_for("compliance").post("/compliance/audit/export/", {"until": "not-a-date"})

    assert response.status_code == 400
    assertContains(response, "请输入有效日期", status_code=400)
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_an_rm_may_not_export_the_log(client_for) -> None:
    assert client_for("rm").post("/compliance/audit/export/").status_code == 403
    assert not AuditEvent.objects.filter(action=AuditAction.EXPORT).exists()


def test_verify_now_starts_one_recorded_check(world: World, client_for) -> None:
    client = client_for("compliance")

    response = client.post("/compliance/audit/chain/", headers={"HX-Request": "true"})
    client.post("/compliance/audit/chain/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assertContains(response, "校验中")
    assert ChainCheck.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CHAIN_CHECK).count() == 1


def test_a_row_shows_known_details_in_words_and_keeps_internal_keys_for_the_csv(world: World, client_for) -> None:
    audit_record(
        actor=world.hq_admin.user,
        action=AuditAction.EXPORT,
        data={"kind": "segment_members", "row_count": 12, "segment_id": 7, "note": "致电 13912345678"},
    )

    response = client_for("compliance").get("/compliance/audit/")

    row = response.context["rows"][0]
    assert [(detail.label, detail.value) for detail in row.details] == [("类型", "客群成员"), ("行数", "12")]
    assert "139****5678" in row.raw
    assert "13912345678" not in row.raw
    assertNotContains(response, "segment_id")
    assertNotContains(response, "13912345678")


def test_a_name_reveal_is_named_as_a_persons_name(world: World, client_for) -> None:
    customer_reveal_pii(customer=world.customers_rm_bj[0], field=PiiKind.NAME, actor=world.rm_bj.user, purpose="核对")

    response = client_for("compliance").get("/compliance/audit/reveals/")

    assert response.context["rows"][0].field == "姓名"


def test_the_console_answers_in_english_too(world: World, client_for) -> None:
    _reveal(world)

    response = client_for("hq_admin").get("/en/compliance/audit/reveals/")

    assertContains(response, "Reveal history")
    assertContains(response, "Phone")
