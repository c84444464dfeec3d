"""在职转接 and 离职继承: per-customer answers, the customer's accept or refusal, and the events."""

import pytest

from tests.wecom_sandbox.conftest import contact_way, decrypt


@pytest.fixture
def customer(sandbox, staff, wecom):
    return sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})["external_userid"]


def _transfer(wecom, *external_userids, api="externalcontact/transfer_customer", handover="rm_li", takeover="rm_wang"):
    body = {
        "handover_userid": handover,
        "takeover_userid": takeover,
        "external_userid": list(external_userids),
        "transfer_success_msg": "您好，后续由王经理为您服务",
    }
    return wecom.post(api, body)


def _result(wecom, api="externalcontact/transfer_result", handover="rm_li", takeover="rm_wang"):
    return wecom.post(api, {"handover_userid": handover, "takeover_userid": takeover})["customer"]


def test_an_accepted_transfer_moves_the_relation_and_sends_delete_by_transfer(
    sandbox, receiver, wecom, customer, crypto
):
    wecom.post("externalcontact/remark", {"userid": "rm_li", "external_userid": customer, "remark": "王女士-VIP"})

    answer = _transfer(wecom, customer)
    waiting = _result(wecom)
    sandbox.transfer_outcome(external_userid=customer, accept=True)
    done = _result(wecom)

    assert answer["customer"] == [{"external_userid": customer, "errcode": 0}]
    assert [(c["status"], c["takeover_time"]) for c in waiting] == [(2, 0)]
    assert done[0]["status"] == 1
    assert done[0]["takeover_time"] > 0
    [follow] = wecom.get("externalcontact/get", external_userid=customer)["follow_user"]
    assert (follow["userid"], follow["remark"], follow["add_way"]) == ("rm_wang", "王女士-VIP", 202)
    events = [decrypt(crypto, r) for r in receiver.wait_for(3)][1:]
    assert [(e["ChangeType"], e["UserID"], e.get("Source")) for e in events] == [
        ("del_external_contact", "rm_li", "DELETE_BY_TRANSFER"),
        ("add_external_contact", "rm_wang", None),
    ]
    [notice] = sandbox.deliveries(customer, kind="transfer_notice")
    assert notice["text"] == "您好，后续由王经理为您服务"


@pytest.mark.parametrize(
    ("outcome", "status", "reason"),
    [({"accept": False}, 3, "customer_refused"), ({"limit_exceeded": True}, 4, "customer_limit_exceed")],
)
def test_a_failed_transfer_keeps_the_relation_and_sends_transfer_fail(
    sandbox, receiver, wecom, customer, crypto, outcome, status, reason
):
    _transfer(wecom, customer)

    sandbox.transfer_outcome(external_userid=customer, **outcome)

    assert _result(wecom)[0]["status"] == status
    [follow] = wecom.get("externalcontact/get", external_userid=customer)["follow_user"]
    assert follow["userid"] == "rm_li"
    event = decrypt(crypto, receiver.wait_for(2)[1])
    assert (event["ChangeType"], event["UserID"], event["FailReason"]) == ("transfer_fail", "rm_wang", reason)


def test_each_customer_gets_its_own_errcode(sandbox, wecom, customer):
    other = sandbox.scan(config_id=contact_way(wecom, user=["rm_zhao"]), customer={"name": "赵的客户"})

    answer = _transfer(wecom, customer, "wmnobody", other["external_userid"])
    again = _transfer(wecom, customer)

    assert [c["errcode"] for c in answer["customer"]] == [0, 40096, 40131]
    assert again["customer"][0]["errcode"] == 40129


def test_a_customer_is_protected_for_90_days_after_a_transfer(sandbox, wecom, customer):
    _transfer(wecom, customer)
    sandbox.transfer_outcome(external_userid=customer)

    back = _transfer(wecom, customer, handover="rm_wang", takeover="rm_li")

    assert back["customer"][0]["errcode"] == 40128


def test_transfer_call_limits(sandbox, wecom, customer):
    assert _transfer(wecom, *[customer] * 101)["errcode"] == 40058
    assert _transfer(wecom, customer, takeover="nobody")["errcode"] == 40003
    assert _transfer(wecom, customer, takeover="rm_li")["customer"][0]["errcode"] == 40130
    assert sandbox.state()["transfers"] == []


def test_a_departed_rms_customers_are_unassigned_until_a_resigned_transfer(sandbox, wecom, customer):
    assert _transfer(wecom, customer, api="externalcontact/resigned/transfer_customer")["errcode"] == 40097
    sandbox.upsert_directory(users=[{"userid": "rm_li", "status": 5}])

    [unassigned] = wecom.post("externalcontact/get_unassigned_list", {"page_size": 100})["info"]
    answer = _transfer(wecom, customer, api="externalcontact/resigned/transfer_customer")
    sandbox.transfer_outcome(external_userid=customer)

    assert (unassigned["handover_userid"], unassigned["external_userid"]) == ("rm_li", customer)
    assert unassigned["dimission_time"] > 0
    assert answer["customer"] == [{"external_userid": customer, "errcode": 0}]
    assert _result(wecom, api="externalcontact/resigned/transfer_result")[0]["status"] == 1
    assert wecom.post("externalcontact/get_unassigned_list", {"page_size": 100})["info"] == []
    assert [f["userid"] for f in wecom.get("externalcontact/get", external_userid=customer)["follow_user"]] == [
        "rm_wang"
    ]
    assert sandbox.deliveries(customer, kind="transfer_notice") == []


def test_wechatpys_older_transfer_path_reassigns_a_departed_rms_customer(sandbox, wecom, customer):
    sandbox.upsert_directory(users=[{"userid": "rm_li", "status": 5}])

    answer = wecom.post(
        "externalcontact/transfer",
        {"handover_userid": "rm_li", "takeover_userid": "rm_wang", "external_userid": customer},
    )

    assert answer["errcode"] == 0
    assert _result(wecom, api="externalcontact/resigned/transfer_result")[0]["status"] == 2
