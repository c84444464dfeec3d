"""客户朋友圈 tasks: created asynchronously, published by each member, seen by the customers they target."""

import pytest
import requests

from tests.wecom_sandbox.conftest import contact_way
from wecom_sandbox.client import SandboxControlError

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def moment_media(wecom, media_type: str = "image") -> str:
    """A media_id from media/upload_attachment, as a moment's attachments need."""
    answer = requests.post(
        wecom.base_url + "media/upload_attachment",
        params={"access_token": wecom.token, "media_type": media_type, "attachment_type": 1},
        files={"media": ("p.png", PNG, "image/png")},
        timeout=10,
    ).json()
    assert answer["errcode"] == 0, answer
    return str(answer["media_id"])


@pytest.fixture
def image(wecom) -> dict:
    return {"msgtype": "image", "image": {"media_id": moment_media(wecom)}}


@pytest.fixture
def customers(sandbox, staff, wecom):
    config_id = contact_way(wecom)
    return [sandbox.scan(config_id=config_id, customer={"name": f"客户{i}"})["external_userid"] for i in range(3)]


def create(wecom, **body):
    answer = wecom.post("externalcontact/add_moment_task", {"text": {"content": "春季理财节"}, **body})
    assert answer["errcode"] == 0, answer
    return answer["jobid"]


def moment_id_of(wecom, jobid):
    creating = wecom.get("externalcontact/get_moment_task_result", jobid=jobid)
    done = wecom.get("externalcontact/get_moment_task_result", jobid=jobid)
    assert (creating["status"], done["status"]) == (2, 3)
    return done["result"]["moment_id"]


def test_a_task_is_created_behind_a_job_and_each_member_publishes_it(sandbox, wecom, customers, image):
    jobid = create(wecom, attachments=[image], visible_range={"sender_list": {"user_list": ["rm_li", "nobody"]}})
    moment_id = moment_id_of(wecom, jobid)

    before = wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id})
    published = sandbox.publish_moment(moment_id=moment_id, userid="rm_li")
    after = wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id})
    seen = wecom.post("externalcontact/get_moment_send_result", {"moment_id": moment_id, "userid": "rm_li"})

    assert wecom.get("externalcontact/get_moment_task_result", jobid=jobid)["result"]["invalid_sender_list"] == {
        "user_list": ["nobody"]
    }
    assert before["task_list"] == [{"userid": "rm_li", "publish_status": 0}]
    assert published["reached"] == 3
    assert after["task_list"] == [{"userid": "rm_li", "publish_status": 1}]
    assert [row["external_userid"] for row in seen["customer_list"]] == customers
    assert {d["external_userid"] for d in sandbox.deliveries(kind="moment")} == set(customers)


def test_a_tag_list_limits_who_sees_it(sandbox, wecom, customers):
    group = wecom.post("externalcontact/add_corp_tag", {"group_name": "客户等级", "tag": [{"name": "高净值"}]})
    tag_id = group["tag_group"]["tag"][0]["id"]
    wecom.post("externalcontact/mark_tag", {"userid": "rm_li", "external_userid": customers[1], "add_tag": [tag_id]})
    moment_id = moment_id_of(
        wecom,
        create(
            wecom,
            visible_range={"sender_list": {"user_list": ["rm_li"]}, "external_contact_list": {"tag_list": [tag_id]}},
        ),
    )

    preset = wecom.post("externalcontact/get_moment_customer_list", {"moment_id": moment_id, "userid": "rm_li"})
    sandbox.publish_moment(moment_id=moment_id, userid="rm_li")

    assert [row["external_userid"] for row in preset["customer_list"]] == [customers[1]]
    assert [d["external_userid"] for d in sandbox.deliveries(kind="moment")] == [customers[1]]


def test_the_company_s_moments_are_listed_in_their_time_range(sandbox, wecom, customers):
    now = int(sandbox.now())
    moment_id = moment_id_of(wecom, create(wecom))

    listed = wecom.post(
        "externalcontact/get_moment_list", {"start_time": now - 60, "end_time": now + 60, "filter_type": 0}
    )
    too_long = wecom.post("externalcontact/get_moment_list", {"start_time": now - 40 * 86400, "end_time": now})

    [moment] = listed["moment_list"]
    assert (moment["moment_id"], moment["text"], moment["create_type"]) == (moment_id, {"content": "春季理财节"}, 0)
    assert too_long["errcode"] == 40058


def test_a_stopped_task_cannot_be_published(sandbox, wecom, customers):
    moment_id = moment_id_of(wecom, create(wecom, visible_range={"sender_list": {"user_list": ["rm_li", "rm_wang"]}}))
    sandbox.publish_moment(moment_id=moment_id, userid="rm_li")

    assert wecom.post("externalcontact/cancel_moment_task", {"moment_id": moment_id})["errcode"] == 0

    with pytest.raises(SandboxControlError, match="stopped"):
        sandbox.publish_moment(moment_id=moment_id, userid="rm_wang")
    assert [t["moment_id"] for t in sandbox.member_tasks("rm_wang")["moments"]] == []
    assert wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"] == [
        {"userid": "rm_li", "publish_status": 1},
        {"userid": "rm_wang", "publish_status": 0},
    ]


def test_a_job_id_lives_a_day(sandbox, wecom, customers):
    jobid = create(wecom)
    sandbox.advance_clock(86401)

    answer = type(wecom)(sandbox.api_base_url, sandbox.access_token()).get(
        "externalcontact/get_moment_task_result", jobid=jobid
    )

    assert answer["errcode"] == 40058


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"text": {"content": ""}}, 44004),
        ({"attachments": ["IMAGE", {"msgtype": "video", "video": {"media_id": "v"}}]}, 41065),
        ({"attachments": ["IMAGE"] * 10}, 40058),
        ({"attachments": [{"msgtype": "image", "image": {"media_id": "never-uploaded"}}]}, 40007),
        ({"attachments": [{"msgtype": "link", "link": {"url": "https://x", "media_id": "m"}}] * 2}, 40058),
        ({"attachments": [{"msgtype": "file", "file": {"media_id": "f"}}]}, 41065),
        ({"attachments": [{"msgtype": "image", "image": {}}]}, 40058),
        ({"text": {"content": "长" * 2001}}, 40058),
    ],
)
def test_content_outside_wecom_s_rules_is_refused_and_nothing_is_created(
    sandbox, wecom, customers, image, body, errcode
):
    body = {**body, "attachments": [image if a == "IMAGE" else a for a in body.get("attachments", [])]}
    assert wecom.post("externalcontact/add_moment_task", {"text": {"content": ""}, **body})["errcode"] == errcode
    assert sandbox.state()["moments"] == {}
