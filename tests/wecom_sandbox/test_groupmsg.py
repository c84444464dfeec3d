"""Mass sends (群发): a task is created, the RM confirms it, each customer gets a status."""

import calendar

import pytest
import requests

from tests.wecom_sandbox.conftest import WeCom, contact_way
from wecom_sandbox.client import SandboxControlError
from wecom_sandbox.state import china_month


@pytest.fixture
def customers(sandbox, staff, wecom):
    config_id = contact_way(wecom)
    return [sandbox.scan(config_id=config_id, customer={"name": f"客户{i}"})["external_userid"] for i in range(3)]


def _send(wecom, customers, content="三月理财沙龙邀请"):
    answer = wecom.post(
        "externalcontact/add_msg_template",
        {"chat_type": "single", "sender": "rm_li", "external_userid": customers, "text": {"content": content}},
    )
    assert answer["errcode"] == 0, answer
    return answer


def test_a_task_waits_for_the_rm_then_each_recipient_gets_sent_not_friend_or_quota(sandbox, wecom, customers):
    first, friendless, quota_used = customers
    earlier = _send(wecom, [quota_used], "早上的消息")
    sandbox.confirm_groupmsg(msgid=earlier["msgid"], userid="rm_li")
    answer = _send(wecom, [*customers, "wmnotacustomer"])
    sandbox.customer_deletes_staff(userid="rm_li", external_userid=friendless)

    before = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": answer["msgid"], "userid": "rm_li"})
    confirmed = sandbox.confirm_groupmsg(msgid=answer["msgid"], userid="rm_li")
    after = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": answer["msgid"], "userid": "rm_li"})

    assert answer["fail_list"] == ["wmnotacustomer"]
    assert [r["status"] for r in before["send_list"]] == [0, 0, 0]
    assert (confirmed["sent"], confirmed["not_friend"], confirmed["quota"]) == (1, 1, 1)
    assert {r["external_userid"]: r["status"] for r in after["send_list"]} == {first: 1, friendless: 2, quota_used: 3}
    assert [d["external_userid"] for d in sandbox.deliveries(kind="groupmsg")] == [quota_used, first]


def test_the_daily_quota_resets_the_next_china_day_and_is_configurable(sandbox, wecom, customers):
    sandbox.confirm_groupmsg(msgid=_send(wecom, customers[:1])["msgid"], userid="rm_li")
    sandbox.advance_clock(86400)
    wecom = WeCom(sandbox.api_base_url, sandbox.access_token())  # a day outlives the token

    second = _send(wecom, customers[:1])
    sandbox.confirm_groupmsg(msgid=second["msgid"], userid="rm_li")

    [row] = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": second["msgid"], "userid": "rm_li"})[
        "send_list"
    ]
    assert row["status"] == 1
    sandbox.configure(groupmsg_daily_quota=2)
    third = _send(wecom, customers[:1])
    sandbox.confirm_groupmsg(msgid=third["msgid"], userid="rm_li")
    assert sandbox.deliveries(customers[0], kind="groupmsg")[-1]["msgid"] == third["msgid"]


def test_task_and_send_result_page_with_next_cursor(sandbox, wecom, customers):
    answer = _send(wecom, customers)
    sandbox.confirm_groupmsg(msgid=answer["msgid"], userid="rm_li")

    [task] = wecom.post("externalcontact/get_groupmsg_task", {"msgid": answer["msgid"]})["task_list"]
    page1 = wecom.post(
        "externalcontact/get_groupmsg_send_result", {"msgid": answer["msgid"], "userid": "rm_li", "limit": 2}
    )
    page2 = wecom.post(
        "externalcontact/get_groupmsg_send_result",
        {"msgid": answer["msgid"], "userid": "rm_li", "limit": 2, "cursor": page1["next_cursor"]},
    )

    assert (task["userid"], task["status"]) == ("rm_li", 2)
    assert [r["external_userid"] for r in page1["send_list"] + page2["send_list"]] == customers
    assert page1["next_cursor"] != ""
    assert page2["next_cursor"] == ""


def test_the_group_message_list_shows_the_task_in_its_time_range(sandbox, wecom, customers):
    now = int(sandbox.now())
    answer = _send(wecom, customers)

    listed = wecom.post(
        "externalcontact/get_groupmsg_list_v2",
        {"chat_type": "single", "start_time": now - 60, "end_time": now + 60, "creator": "rm_li"},
    )
    empty = wecom.post("externalcontact/get_groupmsg_list_v2", {"start_time": now - 7200, "end_time": now - 3600})

    [msg] = listed["group_msg_list"]
    assert msg["msgid"] == answer["msgid"]
    assert msg["text"] == {"content": "三月理财沙龙邀请"}
    assert empty["group_msg_list"] == []


@pytest.mark.parametrize(
    ("body", "errcode"),
    [
        ({"sender": "rm_li", "external_userid": ["wmnobody"], "text": {"content": "x"}}, 41048),
        ({"text": {"content": "x"}}, 40058),
        ({"sender": "rm_li", "text": {"content": ""}}, 44004),
        ({"sender": "nobody", "text": {"content": "x"}}, 40003),
    ],
)
def test_invalid_mass_sends_are_refused(sandbox, wecom, customers, body, errcode):
    assert wecom.post("externalcontact/add_msg_template", body)["errcode"] == errcode
    assert sandbox.state()["groupmsgs"] == {}


def test_reminders_reach_members_who_have_not_sent_three_times_a_day(sandbox, wecom, customers):
    answer = _send(wecom, customers)

    answers = [wecom.post("externalcontact/remind_groupmsg_send", {"msgid": answer["msgid"]}) for _ in range(4)]

    assert [a["errcode"] for a in answers] == [0, 0, 0, 45009]
    [msg] = sandbox.state()["groupmsgs"].values()
    assert [r["userids"] for r in msg["reminders"]] == [["rm_li"]] * 3
    sandbox.advance_clock(86401)
    wecom = WeCom(sandbox.api_base_url, sandbox.access_token())
    assert wecom.post("externalcontact/remind_groupmsg_send", {"msgid": answer["msgid"]})["errcode"] == 0


def test_a_stopped_message_can_no_longer_be_sent_and_its_recipients_stay_unsent(sandbox, wecom, customers):
    answer = _send(wecom, customers)

    assert wecom.post("externalcontact/cancel_groupmsg_send", {"msgid": answer["msgid"]})["errcode"] == 0

    with pytest.raises(SandboxControlError, match="stopped"):
        sandbox.confirm_groupmsg(msgid=answer["msgid"], userid="rm_li")
    results = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": answer["msgid"], "userid": "rm_li"})
    assert {r["status"] for r in results["send_list"]} == {0}
    assert sandbox.member_tasks("rm_li")["groupmsgs"] == []
    assert sandbox.deliveries(kind="groupmsg") == []
    assert wecom.post("externalcontact/cancel_groupmsg_send", {"msgid": "msgnothing"})["errcode"] == 41047


def test_a_monthly_quota_can_be_configured_beside_the_daily_one(sandbox, wecom, customers):
    sandbox.configure(groupmsg_daily_quota=5, groupmsg_monthly_quota=2)
    statuses = []
    for _ in range(3):
        answer = _send(wecom, customers[:1])
        sandbox.confirm_groupmsg(msgid=answer["msgid"], userid="rm_li")
        [row] = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": answer["msgid"], "userid": "rm_li"})[
            "send_list"
        ]
        statuses.append(row["status"])

    assert statuses == [1, 1, 3]


def test_the_member_sees_pending_tasks_and_may_ignore_one(sandbox, wecom, customers):
    first = _send(wecom, customers, "第一条")
    second = _send(wecom, customers[:1], "第二条")

    pending = sandbox.member_tasks("rm_li")["groupmsgs"]
    sandbox.ignore_groupmsg(msgid=first["msgid"], userid="rm_li")

    assert [(t["msgid"], t["recipients"]) for t in pending] == [(first["msgid"], 3), (second["msgid"], 1)]
    assert [t["msgid"] for t in sandbox.member_tasks("rm_li")["groupmsgs"]] == [second["msgid"]]
    results = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": first["msgid"], "userid": "rm_li"})
    assert {r["status"] for r in results["send_list"]} == {0}


def test_the_member_page_confirms_a_task_as_the_rm_would_in_the_client(sandbox, wecom, customers):
    answer = _send(wecom, customers, "四月基金定投")
    page = requests.get(f"{sandbox.base_url}/sandbox/member/rm_li", timeout=10)

    confirmed = requests.post(
        f"{sandbox.base_url}/sandbox/member/rm_li", data={"msgid": answer["msgid"], "action": "confirm"}, timeout=10
    )

    assert "四月基金定投" in page.text
    assert "已发送 sent: 3" in confirmed.text
    assert "四月基金定投" not in confirmed.text.split("群发助手")[1].split("朋友圈")[0]
    assert len(sandbox.deliveries(kind="groupmsg")) == 3


def _group_send(wecom, chat_ids, content="客户群理财沙龙"):
    body = {"chat_type": "group", "sender": "rm_li", "text": {"content": content}}
    if chat_ids is not None:
        body["chat_id_list"] = chat_ids
    return wecom.post("externalcontact/add_msg_template", body)


def test_a_group_message_goes_to_the_senders_own_live_groups_it_names(sandbox, wecom, customers):
    mine = [sandbox.group_create(owner="rm_li", name=f"群{i}", members=customers[:1])["chat_id"] for i in range(3)]
    sandbox.group_dismiss(chat_id=mine[2])

    named = _group_send(wecom, [mine[0], mine[2]])
    everything = _group_send(wecom, None)
    none_left = _group_send(wecom, [mine[2]])
    too_many = _group_send(wecom, [f"wr{i}" for i in range(2001)])

    state = sandbox.state()["groupmsgs"]
    assert [r["chat_id"] for r in state[named["msgid"]]["results"]] == [mine[0]]
    assert {r["chat_id"] for r in state[everything["msgid"]]["results"]} == set(mine[:2])
    assert none_left["errcode"] == 41048
    assert too_many["errcode"] == 40058


def test_a_group_receives_as_many_group_messages_a_month_as_the_month_has_days(sandbox, wecom, customers):
    chat_id = sandbox.group_create(owner="rm_li", name="理财群", members=customers[:1])["chat_id"]
    days = calendar.monthrange(*china_month(sandbox.now()))[1]
    outcomes = []
    for _ in range(days + 1):
        msgid = _group_send(wecom, [chat_id])["msgid"]
        sandbox.confirm_groupmsg(msgid=msgid, userid="rm_li")
        [row] = wecom.post("externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": "rm_li"})["send_list"]
        outcomes.append(row["status"])

    assert outcomes == [1] * days + [3]
