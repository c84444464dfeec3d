"""Contact ways, a customer's scan and its callback, the welcome message, and reading contacts."""

import pytest
import requests

from tests.wecom_sandbox.conftest import contact_way, decrypt


def test_contact_way_crud(sandbox, staff, wecom):
    config_id = contact_way(wecom, type=2, user=["rm_li", "rm_wang"], state="bj-hd", remark="海淀支行")

    got = wecom.post("externalcontact/get_contact_way", {"config_id": config_id})["contact_way"]
    assert got["type"] == 2
    assert got["user"] == ["rm_li", "rm_wang"]
    assert got["state"] == "bj-hd"
    assert got["qr_code"] == f"{sandbox.base_url}/sandbox/qr/{config_id}.svg"

    assert (
        wecom.post("externalcontact/update_contact_way", {"config_id": config_id, "user": ["rm_zhao"]})["errcode"] == 0
    )
    assert wecom.post("externalcontact/get_contact_way", {"config_id": config_id})["contact_way"]["user"] == ["rm_zhao"]
    listed = wecom.post("externalcontact/list_contact_way", {})["contact_way"]
    assert listed == [{"config_id": config_id}]

    assert wecom.post("externalcontact/del_contact_way", {"config_id": config_id})["errcode"] == 0
    assert wecom.post("externalcontact/get_contact_way", {"config_id": config_id})["errcode"] == 41044


@pytest.mark.parametrize(
    ("fields", "errcode"),
    [
        ({"state": "x" * 31}, 40058),
        ({"user": ["rm_li", "rm_wang"]}, 40058),
        ({"user": ["nobody"]}, 40003),
        ({"type": 3}, 41039),
        ({"scene": 9}, 41040),
        ({"type": 2, "party": [99]}, 40066),
    ],
)
def test_an_invalid_contact_way_is_refused_and_not_created(sandbox, staff, wecom, fields, errcode):
    answer = wecom.post("externalcontact/add_contact_way", {"type": 1, "scene": 2, "user": ["rm_li"], **fields})

    assert answer["errcode"] == errcode
    assert sandbox.state()["contact_ways"] == {}


def test_a_contact_way_of_more_than_100_staff_counting_departments_is_41041(sandbox, staff, wecom):
    sandbox.upsert_directory(users=[{"userid": f"rm{i:03}", "name": f"RM {i}", "department": [3]} for i in range(99)])

    # 海淀支行 now has 101 members: 李, 王 and the 99.
    too_many = wecom.post("externalcontact/add_contact_way", {"type": 2, "scene": 2, "party": [3]})
    just_enough = wecom.post("externalcontact/add_contact_way", {"type": 2, "scene": 2, "party": [2], "user": []})

    assert too_many["errcode"] == 41041
    assert just_enough["errcode"] == 41041  # 北京分行 counts its sub-branch too
    sandbox.configure(contact_way_user_limit=200)
    assert wecom.post("externalcontact/add_contact_way", {"type": 2, "scene": 2, "party": [3]})["errcode"] == 0


def test_a_scan_creates_the_relation_and_posts_a_signed_encrypted_add_event(sandbox, staff, wecom, receiver, crypto):
    config_id = contact_way(wecom, state="bj-hd-1")

    outcome = sandbox.scan(config_id=config_id, customer={"name": "王女士", "unionid": "ounion1"})

    assert outcome["userid"] == "rm_li"
    assert outcome["external_userid"].startswith("wm")
    assert len(outcome["external_userid"]) == 28
    assert outcome["callback"] == {"id": 1, "status": 200, "attempts": 1, "delivered": True, "deliver": True}
    [received] = receiver.wait_for(1)
    event = decrypt(crypto, received)
    assert event == {
        "ToUserName": sandbox.config()["corp_id"],
        "FromUserName": "sys",
        "CreateTime": received.query["timestamp"],
        "MsgType": "event",
        "Event": "change_external_contact",
        "ChangeType": "add_external_contact",
        "UserID": "rm_li",
        "ExternalUserID": outcome["external_userid"],
        "State": "bj-hd-1",
        "WelcomeCode": outcome["welcome_code"],
    }
    got = wecom.get("externalcontact/get", external_userid=outcome["external_userid"])
    assert got["external_contact"]["name"] == "王女士"
    assert got["external_contact"]["unionid"] == "ounion1"
    [follow] = got["follow_user"]
    assert (follow["userid"], follow["state"], follow["add_way"]) == ("rm_li", "bj-hd-1", 1)
    assert follow["oper_userid"] == outcome["external_userid"]


def test_a_multi_user_way_rotates_staff_and_the_same_customer_gets_a_second_relation(sandbox, staff, wecom):
    config_id = contact_way(wecom, type=2, user=["rm_li", "rm_wang"])

    first = sandbox.scan(config_id=config_id, customer={"name": "甲"})
    second = sandbox.scan(config_id=config_id, customer={"name": "乙"})
    again = sandbox.scan(config_id=config_id, customer={"external_userid": first["external_userid"]})

    assert [first["userid"], second["userid"], again["userid"]] == ["rm_li", "rm_wang", "rm_wang"]
    assert again["external_userid"] == first["external_userid"]
    follows = wecom.get("externalcontact/get", external_userid=first["external_userid"])["follow_user"]
    assert sorted(f["userid"] for f in follows) == ["rm_li", "rm_wang"]


def test_a_scan_by_state_finds_the_way(sandbox, staff, wecom):
    contact_way(wecom, state="campaign-7")

    assert sandbox.scan(state="campaign-7", customer={"name": "丙"})["userid"] == "rm_li"


def test_the_welcome_code_works_once_then_41051(sandbox, staff, wecom):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    body = {"welcome_code": outcome["welcome_code"], "text": {"content": "王女士您好，我是李经理"}}

    first = wecom.post("externalcontact/send_welcome_msg", body)
    second = wecom.post("externalcontact/send_welcome_msg", body)

    assert (first["errcode"], second["errcode"]) == (0, 41051)
    [welcome] = sandbox.deliveries(outcome["external_userid"], kind="welcome")
    assert welcome["text"] == "王女士您好，我是李经理"
    assert welcome["userid"] == "rm_li"


def test_the_welcome_code_expires_after_20_seconds_of_the_sandbox_clock(sandbox, staff, wecom):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    sandbox.advance_clock(21)

    answer = wecom.post(
        "externalcontact/send_welcome_msg", {"welcome_code": outcome["welcome_code"], "text": {"content": "hi"}}
    )

    assert answer["errcode"] == 41050
    assert sandbox.deliveries(outcome["external_userid"]) == []


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"welcome_code": "unknown", "text": {"content": "hi"}}, 41050),
        ({"text": {"content": "hi"}}, 41049),
        ({"attachments": [{"msgtype": "link", "link": {"title": "t", "url": "u"}}] * 10}, 40058),
        ({"attachments": [{"msgtype": "voice", "voice": {}}]}, 41065),
        ({"text": {"content": ""}}, 44004),
    ],
)
def test_invalid_welcome_messages_are_refused_and_do_not_spend_the_code(sandbox, staff, wecom, body, errcode):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    if "welcome_code" not in body and errcode != 41049:
        body = {"welcome_code": outcome["welcome_code"], **body}

    assert wecom.post("externalcontact/send_welcome_msg", body)["errcode"] == errcode
    retry = {"welcome_code": outcome["welcome_code"], "text": {"content": "hi"}}
    assert wecom.post("externalcontact/send_welcome_msg", retry)["errcode"] == 0


def test_a_half_add_then_a_full_add_carries_no_welcome_code_once_it_was_used(sandbox, staff, wecom, receiver, crypto):
    config_id = contact_way(wecom)
    half = sandbox.scan(config_id=config_id, customer={"name": "王女士"}, half=True)
    wecom.post("externalcontact/send_welcome_msg", {"welcome_code": half["welcome_code"], "text": {"content": "hi"}})

    full = sandbox.scan(config_id=config_id, customer={"external_userid": half["external_userid"]})

    first, second = (decrypt(crypto, r) for r in receiver.wait_for(2))
    assert first["ChangeType"] == "add_half_external_contact"
    assert second["ChangeType"] == "add_external_contact"
    assert "WelcomeCode" not in second
    assert full["welcome_code"] is None


def test_list_and_batch_get_by_user_page_with_a_cursor(sandbox, staff, wecom):
    config_id = contact_way(wecom)
    ids = [sandbox.scan(config_id=config_id, customer={"name": f"客户{i}"})["external_userid"] for i in range(3)]

    listed = wecom.get("externalcontact/list", userid="rm_li")["external_userid"]
    page1 = wecom.post("externalcontact/batch/get_by_user", {"userid_list": ["rm_li"], "limit": 2})
    page2 = wecom.post(
        "externalcontact/batch/get_by_user", {"userid_list": ["rm_li"], "limit": 2, "cursor": page1["next_cursor"]}
    )

    assert listed == ids
    assert [c["external_contact"]["external_userid"] for c in page1["external_contact_list"]] == ids[:2]
    assert [c["external_contact"]["external_userid"] for c in page2["external_contact_list"]] == ids[2:]
    assert page2["next_cursor"] == ""
    assert page1["external_contact_list"][0]["follow_info"]["userid"] == "rm_li"


def test_remark_changes_the_relation(sandbox, staff, wecom):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    answer = wecom.post(
        "externalcontact/remark",
        {
            "userid": "rm_li",
            "external_userid": outcome["external_userid"],
            "remark": "王女士-理财",
            "description": "关注大额存单",
            "remark_mobiles": ["13800000001"],
        },
    )

    assert answer["errcode"] == 0
    [follow] = wecom.get("externalcontact/get", external_userid=outcome["external_userid"])["follow_user"]
    assert (follow["remark"], follow["description"], follow["remark_mobiles"]) == (
        "王女士-理财",
        "关注大额存单",
        ["13800000001"],
    )


def test_unknown_external_userid_is_40096_and_no_relation_84061(sandbox, staff, wecom):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    assert wecom.get("externalcontact/get", external_userid="wmnobody")["errcode"] == 40096
    remark = {"userid": "rm_wang", "external_userid": outcome["external_userid"], "remark": "x"}
    assert wecom.post("externalcontact/remark", remark)["errcode"] == 84061


def test_deletions_and_edits_change_state_and_send_their_events(sandbox, staff, wecom, receiver, crypto):
    config_id = contact_way(wecom, type=2, user=["rm_li", "rm_wang"])
    a = sandbox.scan(config_id=config_id, customer={"name": "甲"})
    b = sandbox.scan(config_id=config_id, customer={"name": "乙"})

    sandbox.edit_contact(userid=a["userid"], external_userid=a["external_userid"], remark="甲-VIP")
    sandbox.customer_deletes_staff(userid=a["userid"], external_userid=a["external_userid"])
    sandbox.staff_deletes_customer(userid=b["userid"], external_userid=b["external_userid"])

    events = [decrypt(crypto, r) for r in receiver.wait_for(5)][2:]
    assert [(e["ChangeType"], e["UserID"], e.get("Source")) for e in events] == [
        ("edit_external_contact", "rm_li", None),
        ("del_follow_user", "rm_li", None),
        ("del_external_contact", "rm_wang", None),
    ]
    assert wecom.get("externalcontact/list", userid="rm_li")["external_userid"] == []
    assert wecom.get("externalcontact/get", external_userid=b["external_userid"])["errcode"] == 84061


def test_the_qr_code_and_scan_page_work_without_scripts(sandbox, staff, wecom):
    config_id = contact_way(wecom, state="page")

    qr = requests.get(f"{sandbox.base_url}/sandbox/qr/{config_id}.svg", timeout=10)
    form = requests.get(f"{sandbox.base_url}/sandbox/scan/{config_id}", timeout=10)
    posted = requests.post(f"{sandbox.base_url}/sandbox/scan/{config_id}", data={"name": "页面客户"}, timeout=10)
    index = requests.get(f"{sandbox.base_url}/sandbox/", timeout=10)

    assert qr.headers["Content-Type"] == "image/svg+xml"
    assert qr.text.lstrip().startswith("<?xml")
    assert "<form" in form.text
    assert "<script" not in form.text
    assert "已添加 added" in posted.text
    assert config_id in index.text
    [contact] = sandbox.state()["contacts"].values()
    assert contact["name"] == "页面客户"
