"""Customer groups: simulated membership changes, their events, and the sync APIs."""

from tests.wecom_sandbox.conftest import contact_way, decrypt


def test_a_group_is_created_joined_left_and_dismissed_with_its_events(sandbox, staff, wecom, receiver, crypto):
    config_id = contact_way(wecom)
    a = sandbox.scan(config_id=config_id, customer={"name": "甲", "unionid": "ounion-a"})["external_userid"]
    b = sandbox.scan(config_id=config_id, customer={"name": "乙"})["external_userid"]

    chat_id = sandbox.group_create(owner="rm_li", name="理财交流群", members=[a, "rm_wang"])["chat_id"]
    sandbox.group_join(chat_id=chat_id, external_userid=b, join_scene=3)
    sandbox.group_leave(chat_id=chat_id, external_userid=a)

    [listed] = wecom.post("externalcontact/groupchat/list", {"owner_filter": {"userid_list": ["rm_li"]}})[
        "group_chat_list"
    ]
    detail = wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})["group_chat"]
    assert listed == {"chat_id": chat_id, "status": 0}
    assert (detail["name"], detail["owner"]) == ("理财交流群", "rm_li")
    members = {m["userid"]: m for m in detail["member_list"]}
    assert set(members) == {"rm_li", "rm_wang", b}
    assert (members["rm_wang"]["type"], members[b]["type"], members[b]["join_scene"]) == (1, 2, 3)
    assert members["rm_wang"]["invitor"] == {"userid": "rm_li"}

    sandbox.group_dismiss(chat_id=chat_id)

    events = [decrypt(crypto, r) for r in receiver.wait_for(6)][2:]
    assert [(e["Event"], e["ChangeType"], e.get("UpdateDetail")) for e in events] == [
        ("change_external_chat", "create", None),
        ("change_external_chat", "update", "add_member"),
        ("change_external_chat", "update", "del_member"),
        ("change_external_chat", "dismiss", None),
    ]
    assert all(e["ChatId"] == chat_id for e in events)
    assert (events[1]["JoinScene"], events[1]["MemChangeCnt"], events[1]["MemChangeList"]["Item"]) == ("3", "1", b)
    assert events[2]["QuitScene"] == "0"
    assert wecom.post("externalcontact/groupchat/list", {})["group_chat_list"] == []
    assert wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id})["errcode"] == 49008


def test_group_renames_send_change_name(sandbox, staff, receiver, crypto):
    chat_id = sandbox.group_create(owner="rm_li", name="旧名")["chat_id"]

    sandbox.group_update(chat_id=chat_id, name="新名")

    event = decrypt(crypto, receiver.wait_for(2)[1])
    assert event["UpdateDetail"] == "change_name"


def test_an_unknown_chat_is_40050(sandbox, wecom):
    assert wecom.post("externalcontact/groupchat/get", {"chat_id": "wrnope"})["errcode"] == 40050


def test_group_list_pages(sandbox, staff, wecom):
    chats = [sandbox.group_create(owner="rm_li", name=f"群{i}")["chat_id"] for i in range(3)]

    page1 = wecom.post("externalcontact/groupchat/list", {"limit": 2})
    page2 = wecom.post("externalcontact/groupchat/list", {"limit": 2, "cursor": page1["next_cursor"]})

    assert [c["chat_id"] for c in page1["group_chat_list"] + page2["group_chat_list"]] == chats
    assert page2["next_cursor"] == ""
