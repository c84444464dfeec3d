"""The channel code API and pages: who may write, who sees which codes, and what a refusal changes."""

import pytest
from django.utils import translation

from channels.codes.services import channel_code_create, channel_code_deactivate, channel_code_update
from channels.models import AssignmentStrategy, ChannelCode
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db


def create_body(world: World, **overrides) -> dict:
    return {"name": "海淀轮询", "branch": world.bj_hd.code, "strategy": "round_robin", **overrides}


def test_an_hq_admin_creates_a_code_through_the_api(wecom, world: World, client_for, channel_tags) -> None:
    answer = client_for("hq_admin").post(
        "/api/channels/codes/",
        create_body(
            world,
            strategy="fixed",
            staff=[world.rm_bj.employee_no],
            tags=[channel_tags[0].code],
            welcome_text="{name}您好",
            welcome_attachments=[{"msgtype": "link", "title": "指南", "url": "https://bank.example/g"}],
        ),
        content_type="application/json",
    )

    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["is_active"] is True
    assert body["staff"] == [world.rm_bj.employee_no]
    assert body["tags"] == [channel_tags[0].code]
    assert body["welcome_attachments"] == [
        {"msgtype": "link", "link": {"title": "指南", "url": "https://bank.example/g"}}
    ]
    assert wecom.state()["contact_ways"][body["config_id"]]["user"] == [world.rm_bj.wecom_userid]


def test_api_validation_errors_are_explained_and_change_nothing(wecom, world: World, client_for) -> None:
    answer = client_for("hq_admin").post(
        "/api/channels/codes/", create_body(world, welcome_text="{foo}"), content_type="application/json"
    )

    assert answer.status_code == 400
    assert answer.json()["extra"]["field"] == "welcome_text"
    assert "{foo}" in answer.json()["message"]
    assert ChannelCode.objects.count() == 0


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_rms_and_compliance_cannot_create_codes(wecom, world: World, client_for, role: str) -> None:
    answer = client_for(role).post("/api/channels/codes/", create_body(world), content_type="application/json")

    assert answer.status_code == 403
    assert ChannelCode.objects.count() == 0


def test_a_branch_manager_cannot_create_for_another_branch(wecom, world: World, client_for) -> None:
    answer = client_for("branch_manager").post(
        "/api/channels/codes/", create_body(world, branch=world.sh.code), content_type="application/json"
    )

    assert answer.status_code == 403
    assert ChannelCode.objects.count() == 0


def test_each_role_lists_the_codes_of_its_scope(wecom, world: World, client_for) -> None:
    outlet = channel_code_create(
        actor=world.hq_admin, name="中关村", branch=world.bj_hd_1, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    beijing = channel_code_create(
        actor=world.hq_admin, name="北京", branch=world.bj, strategy=AssignmentStrategy.ROUND_ROBIN
    )
    shanghai = channel_code_create(
        actor=world.hq_admin, name="上海", branch=world.sh, strategy=AssignmentStrategy.ROUND_ROBIN
    )

    def listed(role: str) -> set[int]:
        return {row["id"] for row in client_for(role).get("/api/channels/codes/").json()["results"]}

    assert listed("hq_admin") == {outlet.pk, beijing.pk, shanghai.pk}
    assert listed("compliance") == {outlet.pk, beijing.pk, shanghai.pk}
    assert listed("branch_manager") == {outlet.pk, beijing.pk}
    assert listed("rm") == {outlet.pk}
    assert client_for("rm").get(f"/api/channels/codes/{shanghai.pk}/").status_code == 404
    assert client_for("rm").get(f"/api/channels/codes/{outlet.pk}/stats/").json()["adds"] == 0
    update = client_for("rm").put(
        f"/api/channels/codes/{outlet.pk}/", create_body(world, name="改"), content_type="application/json"
    )
    assert update.status_code == 403
    assert ChannelCode.objects.get(pk=outlet.pk).name == "中关村"


def test_deactivate_through_the_api(wecom, world: World, client_for) -> None:
    code = channel_code_create(actor=world.hq_admin, name="活动", branch=world.bj, strategy=AssignmentStrategy.OWNER)

    answer = client_for("branch_manager").post(f"/api/channels/codes/{code.pk}/deactivate/")

    assert answer.status_code == 200
    assert answer.json()["is_active"] is False
    assert code.config_id not in wecom.state()["contact_ways"]


def test_the_create_page_makes_a_code_and_shows_its_qr_and_simulated_scan(
    wecom, world: World, client_for, channel_tags
) -> None:
    client = client_for("branch_manager")
    assert client.get("/channels/codes/new/").status_code == 200

    answer = client.post(
        "/channels/codes/new/",
        {
            "name": "页面创建",
            "branch": world.bj_hd.code,
            "strategy": "fixed",
            "staff": [world.rm_bj.employee_no, world.rm_bj2.employee_no],
            "tags": [channel_tags[1].code],
            "welcome_text": "{name}，欢迎",
            "skip_verify": "on",
        },
    )

    code = ChannelCode.objects.get()
    assert answer.status_code == 302
    assert answer["Location"] == f"/channels/codes/{code.pk}/"
    detail = client.get(answer["Location"]).content.decode()
    assert f'src="{code.qr_code}"' in detail
    assert f'href="{wecom.base_url}/sandbox/scan/{code.config_id}"' in detail
    assert "channel-code-chart" in detail
    listing = client.get("/channels/codes/").content.decode()
    assert "页面创建" in listing


def test_the_create_page_shows_the_error_and_creates_nothing(wecom, world: World, client_for) -> None:
    answer = client_for("hq_admin").post(
        "/channels/codes/new/",
        {
            "name": "x",
            "branch": world.bj.code,
            "strategy": "round_robin",
            "attachments-TOTAL_FORMS": "1",
            "attachments-INITIAL_FORMS": "0",
            "attachments-0-msgtype": "link",
            "attachments-0-title": "开户指南",
        },
    )

    assert answer.status_code == 400
    assert "此类附件必须填写该项" in answer.content.decode()
    assert ChannelCode.objects.count() == 0


def test_rms_see_the_list_but_not_the_create_page(wecom, world: World, client_for) -> None:
    client = client_for("rm")

    assert client.get("/channels/codes/").status_code == 200
    assert client.get("/channels/codes/new/").status_code == 403
    assert "new-channel-code" not in client.get("/channels/codes/").content.decode()


def test_the_code_list_answers_in_a_fixed_number_of_queries(
    wecom, world: World, client_for, channel_tags, django_assert_num_queries
) -> None:
    for number in range(3):
        channel_code_create(
            actor=world.hq_admin,
            name=f"码{number}",
            branch=world.bj,
            strategy=AssignmentStrategy.FIXED,
            staff=[world.rm_bj, world.rm_bj2],
            tags=channel_tags,
        )
    client = client_for("hq_admin")

    # user, staff scope, the page of codes, their staff, their tags; the idle-session refresh (3)
    with django_assert_num_queries(8):
        rows = client.get("/api/channels/codes/").json()["results"]

    assert len(rows) == 3
    assert all(row["tags"] == [tag.code for tag in channel_tags] for row in rows)


def test_a_deactivated_code_cannot_be_edited(wecom, world: World) -> None:
    code = channel_code_create(actor=world.hq_admin, name="旧", branch=world.bj, strategy=AssignmentStrategy.OWNER)
    channel_code_deactivate(actor=world.hq_admin, code=code)

    with translation.override("en"), pytest.raises(ApplicationError, match="deactivated"):
        channel_code_update(actor=world.hq_admin, code=code, name="新", strategy=AssignmentStrategy.OWNER)
    code.refresh_from_db()
    assert code.name == "旧"


def test_staff_outside_the_callers_scope_look_exactly_like_staff_who_do_not_exist(
    wecom, world: World, client_for
) -> None:
    client = client_for("branch_manager")

    def refusal(employee_no: str) -> dict:
        answer = client.post(
            "/api/channels/codes/",
            create_body(world, strategy="fixed", staff=[employee_no]),
            content_type="application/json",
        )
        assert answer.status_code == 400
        return answer.json()

    outside = refusal(world.rm_sh.employee_no)
    unknown = refusal("E-NOBODY")

    def redacted(body: dict) -> str:
        return str(body).replace(world.rm_sh.employee_no, "#").replace("E-NOBODY", "#")

    assert redacted(outside) == redacted(unknown)
    assert world.rm_sh.name not in str(outside)
    assert ChannelCode.objects.count() == 0
