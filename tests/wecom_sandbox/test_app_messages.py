"""应用消息 (message/send): WeCom's checks, its per-member limit (the excess is dropped) and its duplicate check."""

from tests.wecom_sandbox.conftest import WeCom
from wecom_sandbox.client import SandboxControl


def _text(sandbox: SandboxControl, touser: str, content: str, **extra: object) -> dict:
    agent = sandbox.config()["agent_id"]
    return {"touser": touser, "msgtype": "text", "agentid": int(agent), "text": {"content": content}, **extra}


def test_a_text_message_reaches_each_member_and_names_the_unknown_ones(sandbox, wecom: WeCom, staff) -> None:
    answer = wecom.post("message/send", _text(sandbox, "rm_li|rm_wang|nobody", "合规提醒"))

    assert answer["errcode"] == 0
    assert answer["invaliduser"] == "nobody"
    assert answer["msgid"]
    assert [(m["content"], m["delivered"]) for m in sandbox.app_messages("rm_li")] == [("合规提醒", True)]
    assert len(sandbox.app_messages("rm_wang")) == 1


def test_wecom_refuses_a_wrong_agent_an_empty_text_and_no_valid_member(sandbox, wecom: WeCom, staff) -> None:
    wrong_agent = {**_text(sandbox, "rm_li", "x"), "agentid": 1}

    assert wecom.post("message/send", wrong_agent)["errcode"] == 40056
    assert wecom.post("message/send", _text(sandbox, "rm_li", ""))["errcode"] == 44004
    assert wecom.post("message/send", _text(sandbox, "nobody", "x"))["errcode"] == 81013
    assert wecom.post("message/send", _text(sandbox, "rm_li", "长" * 700))["errcode"] == 45002
    assert wecom.post("message/send", {**_text(sandbox, "rm_li", "x"), "msgtype": "voice"})["errcode"] == 40008
    assert sandbox.app_messages("rm_li") == []


def test_more_than_thirty_messages_a_minute_to_one_member_are_dropped(sandbox, wecom: WeCom, staff) -> None:
    for number in range(31):
        assert wecom.post("message/send", _text(sandbox, "rm_li", f"第{number}条"))["errcode"] == 0

    received = sandbox.app_messages("rm_li")
    assert [m["delivered"] for m in received] == [True] * 30 + [False]
    assert received[-1]["dropped"] == "member_limit"
    sandbox.advance_clock(61)
    wecom.post("message/send", _text(sandbox, "rm_li", "一分钟后"))
    assert sandbox.app_messages("rm_li")[-1]["delivered"] is True


def test_the_duplicate_check_drops_the_same_text_within_its_interval(sandbox, wecom: WeCom, staff) -> None:
    checked = {"enable_duplicate_check": 1, "duplicate_check_interval": 600}

    wecom.post("message/send", _text(sandbox, "rm_li", "同一条", **checked))
    wecom.post("message/send", _text(sandbox, "rm_li", "同一条", **checked))
    wecom.post("message/send", _text(sandbox, "rm_li", "同一条"))
    sandbox.advance_clock(601)
    wecom.post("message/send", _text(sandbox, "rm_li", "同一条", **checked))

    assert [m["dropped"] for m in sandbox.app_messages("rm_li")] == ["", "duplicate", "", ""]


def test_the_members_page_shows_the_app_messages_they_received(sandbox, wecom: WeCom, staff) -> None:
    import requests

    wecom.post("message/send", _text(sandbox, "rm_li", "【合规提醒】新增 1 条高风险违规"))

    page = requests.get(f"{sandbox.base_url}/sandbox/member/rm_li", timeout=10).text

    assert "应用消息 app messages" in page
    assert "【合规提醒】新增 1 条高风险违规" in page
