"""Access tokens, rate limits, malformed requests, faults and the call log."""

import pytest
import requests

from tests.wecom_sandbox.conftest import WeCom, contact_way


def _gettoken(sandbox, **params):
    return requests.get(sandbox.api_base_url + "gettoken", params=params, timeout=10).json()


def test_gettoken_issues_a_token_and_answers_the_same_one_while_it_lives(sandbox):
    config = sandbox.config()

    first = _gettoken(sandbox, corpid=config["corp_id"], corpsecret=config["corp_secret"])
    second = _gettoken(sandbox, corpid=config["corp_id"], corpsecret=config["corp_secret"])

    assert first["errcode"] == 0
    assert first["expires_in"] == 7200
    assert second["access_token"] == first["access_token"]


@pytest.mark.parametrize(
    ("params", "errcode"),
    [
        ({"corpid": "wwscrmsandbox0001", "corpsecret": "wrong"}, 40001),
        ({"corpid": "wwother", "corpsecret": "sandbox-corp-secret"}, 40013),
        ({"corpsecret": "sandbox-corp-secret"}, 41002),
        ({"corpid": "wwscrmsandbox0001"}, 41004),
    ],
)
def test_gettoken_refuses_wrong_credentials(sandbox, params, errcode):
    assert _gettoken(sandbox, **params)["errcode"] == errcode


def test_a_call_without_a_token_is_41001_and_with_an_unknown_one_40014(sandbox, staff):
    url = sandbox.api_base_url + "user/get"

    assert requests.get(url, params={"userid": "rm_li"}, timeout=10).json()["errcode"] == 41001
    assert requests.get(url, params={"userid": "rm_li", "access_token": "nope"}, timeout=10).json()["errcode"] == 40014


def test_a_token_expires_with_the_clock_and_a_new_one_works(sandbox, staff, wecom):
    sandbox.advance_clock(7200)

    assert wecom.get("user/get", userid="rm_li")["errcode"] == 42001
    fresh = WeCom(sandbox.api_base_url, sandbox.access_token())
    assert fresh.token != wecom.token
    assert fresh.get("user/get", userid="rm_li")["errcode"] == 0


def test_expiring_tokens_by_the_control_api_gives_42001(sandbox, staff, wecom):
    assert sandbox.expire_tokens() == 1

    assert wecom.get("user/get", userid="rm_li")["errcode"] == 42001


def test_the_token_lifetime_is_configurable(sandbox):
    sandbox.configure(token_ttl=60)
    config = sandbox.config()

    assert _gettoken(sandbox, corpid=config["corp_id"], corpsecret=config["corp_secret"])["expires_in"] == 60


def test_the_per_api_limit_answers_45009_and_other_apis_and_the_next_minute_pass(sandbox, staff, wecom):
    sandbox.configure(rate_limits={"user/get": 3})

    answers = [wecom.get("user/get", userid="rm_li")["errcode"] for _ in range(4)]

    assert answers == [0, 0, 0, 45009]
    assert wecom.get("department/list")["errcode"] == 0
    sandbox.advance_clock(61)
    assert wecom.get("user/get", userid="rm_li")["errcode"] == 0


def test_invalid_json_is_47001(sandbox, wecom):
    answer = requests.post(
        sandbox.api_base_url + "externalcontact/add_contact_way",
        params={"access_token": wecom.token},
        data=b"{not json",
        timeout=10,
    ).json()

    assert answer["errcode"] == 47001


def test_an_api_the_sandbox_does_not_implement_is_an_http_404(sandbox, wecom):
    response = requests.get(sandbox.api_base_url + "no/such/api", params={"access_token": wecom.token}, timeout=10)

    assert response.status_code == 404


def test_an_error_fault_answers_its_errcode_without_effect_the_given_number_of_times(sandbox, staff, wecom):
    sandbox.add_fault("externalcontact/add_contact_way", errcode=45009, times=2)
    body = {"type": 1, "scene": 2, "user": ["rm_li"]}

    answers = [wecom.post("externalcontact/add_contact_way", body)["errcode"] for _ in range(3)]

    assert answers == [45009, 45009, 0]
    assert len(sandbox.state()["contact_ways"]) == 1
    assert sandbox.state()["faults"] == []


def test_apply_then_hang_applies_the_call_and_the_client_times_out_not_knowing(sandbox, staff, wecom):
    sandbox.add_fault("externalcontact/add_contact_way", mode="apply_then_hang", seconds=2)

    with pytest.raises(requests.Timeout):
        requests.post(
            sandbox.api_base_url + "externalcontact/add_contact_way",
            params={"access_token": wecom.token},
            json={"type": 1, "scene": 2, "user": ["rm_li"], "state": "hang"},
            timeout=0.5,
        )

    [way] = sandbox.state()["contact_ways"].values()
    assert way["state"] == "hang"


def test_cleared_faults_no_longer_apply(sandbox, staff, wecom):
    sandbox.add_fault("user/get", errcode=-1, times=5)
    sandbox.clear_faults()

    assert wecom.get("user/get", userid="rm_li")["errcode"] == 0


def test_the_call_log_records_api_query_body_and_errcode_without_the_token(sandbox, staff, wecom):
    contact_way(wecom, state="log-me")
    wecom.get("user/get", userid="nobody")

    [add] = sandbox.calls("externalcontact/add_contact_way")
    [get] = sandbox.calls("user/get")
    assert add["body"]["state"] == "log-me"
    assert add["errcode"] == 0
    assert get["query"] == {"userid": "nobody"}
    assert get["errcode"] == 60111
    assert all(wecom.token not in str(call) for call in sandbox.calls())
