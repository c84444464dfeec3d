"""Corp tags through the API, tagging a customer, and tag edits made in the admin console."""

from tests.wecom_sandbox.conftest import contact_way, decrypt


def _add(wecom, group_name, *names):
    answer = wecom.post("externalcontact/add_corp_tag", {"group_name": group_name, "tag": [{"name": n} for n in names]})
    assert answer["errcode"] == 0, answer
    return answer["tag_group"]


def test_add_list_edit_and_delete_corp_tags(sandbox, wecom):
    group = _add(wecom, "资产等级", "高净值", "大众")
    more = _add(wecom, "资产等级", "私行")  # an existing group name adds to that group

    assert more["group_id"] == group["group_id"]
    [listed] = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    assert [t["name"] for t in listed["tag"]] == ["高净值", "大众", "私行"]

    high = group["tag"][0]["id"]
    assert wecom.post("externalcontact/edit_corp_tag", {"id": high, "name": "高净值客户"})["errcode"] == 0
    assert wecom.post("externalcontact/edit_corp_tag", {"id": high, "name": "大众"})["errcode"] == 40071
    assert wecom.post("externalcontact/del_corp_tag", {"tag_id": [high]})["errcode"] == 0
    [listed] = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    assert [t["name"] for t in listed["tag"]] == ["大众", "私行"]
    assert wecom.post("externalcontact/get_corp_tag_list", {"tag_id": [more["tag"][0]["id"]]})["tag_group"][0][
        "tag"
    ] == [listed["tag"][1]]

    assert wecom.post("externalcontact/del_corp_tag", {"group_id": [group["group_id"]]})["errcode"] == 0
    assert wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"] == []


def test_a_duplicate_tag_name_in_a_group_is_40071_and_nothing_is_added(sandbox, wecom):
    _add(wecom, "偏好", "基金")

    answer = wecom.post(
        "externalcontact/add_corp_tag", {"group_name": "偏好", "tag": [{"name": "保险"}, {"name": "基金"}]}
    )

    assert answer["errcode"] == 40071
    [group] = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    assert [t["name"] for t in group["tag"]] == ["基金"]


def test_the_corp_tag_limit_is_40126(sandbox, wecom):
    sandbox.configure(corp_tag_limit=2)
    _add(wecom, "偏好", "基金", "保险")

    assert (
        wecom.post("externalcontact/add_corp_tag", {"group_name": "偏好", "tag": [{"name": "理财"}]})["errcode"]
        == 40126
    )


def test_mark_tag_adds_and_removes_tags_on_one_relation(sandbox, staff, wecom):
    group = _add(wecom, "偏好", "基金", "保险")
    fund, insurance = (t["id"] for t in group["tag"])
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    relation = {"userid": "rm_li", "external_userid": outcome["external_userid"]}

    assert wecom.post("externalcontact/mark_tag", {**relation, "add_tag": [fund, insurance]})["errcode"] == 0
    assert wecom.post("externalcontact/mark_tag", {**relation, "remove_tag": [fund]})["errcode"] == 0

    [follow] = wecom.get("externalcontact/get", external_userid=outcome["external_userid"])["follow_user"]
    assert follow["tags"] == [{"group_name": "偏好", "tag_name": "保险", "tag_id": insurance, "type": 1}]
    assert wecom.post("externalcontact/mark_tag", {**relation, "add_tag": ["etnope"]})["errcode"] == 40068
    assert (
        wecom.post("externalcontact/mark_tag", {**relation, "userid": "rm_wang", "add_tag": [fund]})["errcode"] == 84061
    )


def test_deleting_a_tag_removes_it_from_customers(sandbox, staff, wecom):
    group = _add(wecom, "偏好", "基金", "保险")
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    relation = {"userid": "rm_li", "external_userid": outcome["external_userid"]}
    wecom.post("externalcontact/mark_tag", {**relation, "add_tag": [t["id"] for t in group["tag"]]})

    wecom.post("externalcontact/del_corp_tag", {"tag_id": [group["tag"][0]["id"]]})

    [follow] = wecom.get("externalcontact/get", external_userid=outcome["external_userid"])["follow_user"]
    assert [t["tag_name"] for t in follow["tags"]] == ["保险"]


def test_console_tag_edits_change_the_catalogue_and_send_change_external_tag(sandbox, wecom, receiver, crypto):
    created = sandbox.tag_console(action="create", group_name="活动", name="春节")
    sandbox.tag_console(action="update", id=created["tag_id"], name="春节2027")
    sandbox.tag_console(action="delete", id=created["tag_id"])

    events = [decrypt(crypto, r) for r in receiver.wait_for(4)]
    assert [(e["Event"], e["ChangeType"], e["TagType"], e["Id"]) for e in events] == [
        ("change_external_tag", "create", "tag_group", created["group_id"]),
        ("change_external_tag", "create", "tag", created["tag_id"]),
        ("change_external_tag", "update", "tag", created["tag_id"]),
        ("change_external_tag", "delete", "tag", created["tag_id"]),
    ]
    assert wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"] == []
