"""The channel code pages: the RM picker, the welcome attachment fields, the validity and the status words."""

import datetime

import pytest
from django.utils import timezone, translation

from channels.codes.services import channel_code_create
from channels.models import AssignmentStrategy, ChannelCode
from scrm.org.models import Role, StaffStatus
from tests.conftest import World
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def test_the_staff_search_offers_only_rms_in_the_managers_scope(wecom, world: World, client_for) -> None:
    # A branch manager of Beijing searches "员工": every member of staff is named 员工<n>.
    StaffFactory(role=Role.COMPLIANCE, branch=world.bj_hd_1, name="员工合规")
    body = client_for("branch_manager").get("/channels/codes/staff/search/", {"q": "员工"}).content.decode()

    assert world.rm_bj.employee_no in body
    assert world.rm_bj2.employee_no in body
    assert world.rm_sh.employee_no not in body  # Shanghai is outside the scope
    assert world.branch_manager_bj.employee_no not in body  # not an RM
    assert world.hq_admin.employee_no not in body
    assert "员工合规" not in body


def test_the_staff_search_finds_by_employee_number_and_says_when_nothing_matches(
    wecom, world: World, client_for
) -> None:
    client = client_for("hq_admin")

    found = client.get("/channels/codes/staff/search/", {"q": world.rm_sh.employee_no}).content.decode()
    none = client.get("/channels/codes/staff/search/", {"q": "没有这个人"}).content.decode()

    assert world.rm_sh.name in found
    assert "您的数据范围内没有匹配的客户经理" in none


def test_picking_an_rm_adds_a_checked_box_and_refuses_one_outside_the_scope(wecom, world: World, client_for) -> None:
    client = client_for("branch_manager")

    picked = client.get("/channels/codes/staff/pick/", {"pick": world.rm_bj.employee_no}).content.decode()
    again = client.get(
        "/channels/codes/staff/pick/", {"pick": world.rm_bj.employee_no, "staff": world.rm_bj.employee_no}
    ).content.decode()
    outside = client.get("/channels/codes/staff/pick/", {"pick": world.rm_sh.employee_no})

    assert f'name="staff" value="{world.rm_bj.employee_no}"' in picked
    assert "checked" in picked
    assert again.strip() == ""
    assert outside.status_code == 200
    assert outside.content.strip() == b""


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_only_code_managers_may_search_staff(wecom, world: World, client_for, role: str) -> None:
    assert client_for(role).get("/channels/codes/staff/search/", {"q": "员工"}).status_code == 403


def test_the_form_refuses_a_branch_manager_as_fixed_staff(wecom, world: World, client_for) -> None:
    answer = client_for("hq_admin").post(
        "/channels/codes/new/",
        {"name": "固定", "branch": world.bj.code, "strategy": "fixed", "staff": [world.branch_manager_bj.employee_no]},
    )

    assert answer.status_code == 400
    assert ChannelCode.objects.count() == 0


def test_the_create_form_has_no_500_row_staff_list(wecom, world: World, client_for) -> None:
    StaffFactory.create_batch(30, role=Role.RM, branch=world.bj_hd_1)

    body = client_for("hq_admin").get("/channels/codes/new/").content.decode()

    assert 'id="staff-search"' in body
    assert "<option" not in body.split('id="staff-picker"', 1)[1].split("</fieldset>", 1)[0]
    assert "JSON" not in body


def test_welcome_attachments_are_entered_as_fields_and_come_back_for_editing(wecom, world: World, client_for) -> None:
    client = client_for("hq_admin")
    answer = client.post(
        "/channels/codes/new/",
        {
            "name": "带附件",
            "branch": world.bj.code,
            "strategy": "round_robin",
            "attachments-TOTAL_FORMS": "3",
            "attachments-INITIAL_FORMS": "0",
            "attachments-0-msgtype": "link",
            "attachments-0-title": "开户指南",
            "attachments-0-url": "https://bank.example/guide",
            "attachments-0-desc": "三分钟开户",
            "attachments-1-msgtype": "image",
            "attachments-1-pic_url": "https://bank.example/poster.png",
            "attachments-2-msgtype": "",
        },
    )

    assert answer.status_code == 302, answer.content.decode()
    code = ChannelCode.objects.get()
    assert code.welcome_attachments == [
        {"msgtype": "link", "link": {"title": "开户指南", "url": "https://bank.example/guide", "desc": "三分钟开户"}},
        {"msgtype": "image", "image": {"pic_url": "https://bank.example/poster.png"}},
    ]
    edit = client.get(f"/channels/codes/{code.pk}/edit/").content.decode()
    assert 'value="https://bank.example/guide"' in edit
    assert 'value="https://bank.example/poster.png"' in edit
    detail = client.get(f"/channels/codes/{code.pk}/").content.decode()
    assert "开户指南" in detail


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"msgtype": "link", "title": "指南"}, "此类附件必须填写该项"),
        ({"msgtype": "link", "title": "指南", "url": "ftp://bank.example/x"}, "URL"),
        ({"msgtype": "image"}, "图片附件需要填写图片地址或已上传图片"),
        ({"msgtype": "miniprogram", "title": "小程序"}, "此类附件必须填写该项"),
        ({"msgtype": "", "title": "只填了标题"}, "请选择该附件的类型"),
        ({"msgtype": "video"}, "选择一个有效的选项"),
    ],
)
def test_a_wrong_attachment_is_explained_in_chinese_and_changes_nothing(
    wecom, world: World, client_for, row: dict, message: str
) -> None:
    code = channel_code_create(actor=world.hq_admin, name="原样", branch=world.bj, strategy=AssignmentStrategy.OWNER)
    data = {
        "name": "改名",
        "strategy": "owner",
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        **{f"attachments-0-{key}": value for key, value in row.items()},
    }

    answer = client_for("hq_admin").post(f"/channels/codes/{code.pk}/edit/", data)

    assert answer.status_code == 400
    assert message in answer.content.decode() or message.lower() in answer.content.decode().lower()
    code.refresh_from_db()
    assert (code.name, code.welcome_attachments) == ("原样", [])


def test_an_endless_validity_reads_long_term(wecom, world: World, client_for) -> None:
    endless = channel_code_create(actor=world.hq_admin, name="长期", branch=world.bj, strategy=AssignmentStrategy.OWNER)
    start = timezone.make_aware(datetime.datetime(2026, 1, 1, 9, 0))
    from_only = channel_code_create(
        actor=world.hq_admin, name="有起点", branch=world.bj, strategy=AssignmentStrategy.OWNER, valid_from=start
    )
    client = client_for("hq_admin")

    def validity(code: ChannelCode) -> str:
        body = client.get(f"/channels/codes/{code.pk}/").content.decode()
        return " ".join(body.split('id="channel-code-validity">', 1)[1].split("</dd>", 1)[0].split())

    assert validity(endless) == "长期有效"
    assert validity(from_only) == "自 2026-01-01 09:00 起长期有效"
    assert "…" not in validity(endless)


def test_codes_say_enabled_and_disabled_while_staff_stay_employed(wecom, world: World, client_for) -> None:
    code = channel_code_create(actor=world.hq_admin, name="状态", branch=world.bj, strategy=AssignmentStrategy.OWNER)
    client = client_for("hq_admin")

    listing = client.get("/channels/codes/").content.decode()
    detail = client.get(f"/channels/codes/{code.pk}/").content.decode()

    assert ">启用</span>" in listing
    assert '<span id="channel-code-status">启用' in detail
    assert "在职" not in listing
    assert "在职" not in detail
    client.post(f"/channels/codes/{code.pk}/deactivate/")
    assert ">停用</span>" in client.get("/channels/codes/").content.decode()
    with translation.override("zh-hans"):
        assert str(StaffStatus.ACTIVE.label) == "在职"


def test_the_edit_form_shows_the_codes_rms_as_picked(wecom, world: World, client_for) -> None:
    code = channel_code_create(
        actor=world.hq_admin, name="固定", branch=world.bj, strategy=AssignmentStrategy.FIXED, staff=[world.rm_bj]
    )

    body = client_for("hq_admin").get(f"/channels/codes/{code.pk}/edit/").content.decode()
    picked = body.split('id="staff-picked"', 1)[1].split("</div>\n", 1)[0]

    assert f'name="staff" value="{world.rm_bj.employee_no}"' in body
    assert world.rm_bj.name in picked
    assert world.rm_bj2.name not in body
