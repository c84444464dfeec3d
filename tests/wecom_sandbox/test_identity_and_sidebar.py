"""OAuth codes, JS-SDK tickets and the sidebar stand-in; the staff directory; restarts."""

import json
import socket
import time

import pytest
import requests

from tests.support.wecom_sandbox import running_sandbox
from tests.wecom_sandbox.conftest import DEPARTMENTS, STAFF, contact_way
from wecom_sandbox.client import SandboxControl, SandboxControlError
from wecom_sandbox.server import is_loopback


def test_an_oauth_code_identifies_the_rm_once(sandbox, staff, wecom):
    code = sandbox.oauth_code("rm_li")

    first = wecom.get("auth/getuserinfo", code=code)
    second = wecom.get("auth/getuserinfo", code=code)

    assert (first["errcode"], first["userid"]) == (0, "rm_li")
    assert second["errcode"] == 40029


def test_wechatpys_older_oauth_path_answers_userid_and_codes_expire(sandbox, staff, wecom):
    assert wecom.get("user/getuserinfo", code=sandbox.oauth_code("rm_li"))["UserId"] == "rm_li"

    code = sandbox.oauth_code("rm_li")
    sandbox.advance_clock(301)
    fresh = type(wecom)(sandbox.api_base_url, sandbox.access_token())
    assert fresh.get("user/getuserinfo", code=code)["errcode"] == 40029


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        *[("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True)],
        *[("192.0.2.2", False), ("10.0.0.5", False), ("::ffff:10.0.0.5", False), ("fd00::2", False), ("", False)],
    ],
)
def test_what_counts_as_a_client_on_this_machine(host, loopback):
    assert is_loopback(host) is loopback


def _an_address_of_this_machine_that_is_not_loopback() -> str | None:
    """The address this machine would reach the outside from (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if is_loopback(address) else address


def test_the_oauth_stand_in_answers_clients_on_this_machine_only():
    address = _an_address_of_this_machine_that_is_not_loopback()
    if address is None:
        pytest.skip("this machine has no address other than loopback")
    with running_sandbox(host="0.0.0.0") as local:  # noqa: S104 - reachable from elsewhere on purpose
        local.upsert_directory(departments=DEPARTMENTS, users=STAFF)
        remote = SandboxControl(local.base_url.replace("127.0.0.1", address))

        assert local.oauth_code("rm_li")
        with pytest.raises(SandboxControlError, match="this machine only"):
            remote.oauth_code("rm_li")
        assert remote.config()["corp_id"]  # the rest of the control API answers as before


def test_jsapi_and_agent_tickets(sandbox, wecom):
    corp = wecom.get("get_jsapi_ticket")
    agent = wecom.get("ticket/get", type="agent_config")

    assert corp["errcode"] == agent["errcode"] == 0
    assert corp["ticket"] != agent["ticket"]
    assert agent["expires_in"] == 7200
    assert wecom.get("get_jsapi_ticket")["ticket"] == corp["ticket"]


def test_the_sidebar_stand_in_knows_the_open_chat_and_records_sent_messages(sandbox, staff, wecom):
    with pytest.raises(SandboxControlError):
        sandbox.current_external_contact("rm_li")
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    # The add opens the member's chat with the new customer, as the WeCom client does.
    assert sandbox.current_external_contact("rm_li") == outcome["external_userid"]
    other = sandbox.scan(config_id=contact_way(wecom), customer={"name": "李先生"})
    sandbox.open_chat(userid="rm_li", external_userid=outcome["external_userid"])
    current = sandbox.current_external_contact("rm_li")
    sandbox.send_chat_message(userid="rm_li", msgtype="text", text={"content": "大额存单今日额度已更新"})

    assert current == outcome["external_userid"] != other["external_userid"]
    [message] = sandbox.chat_messages(outcome["external_userid"])
    assert (message["userid"], message["text"]) == ("rm_li", {"content": "大额存单今日额度已更新"})


def test_the_control_api_answers_browser_preflight_with_cors(sandbox):
    response = requests.options(f"{sandbox.base_url}/sandbox/jssdk/send_chat_message", timeout=10)
    state = requests.get(f"{sandbox.base_url}/sandbox/clock", timeout=10)

    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert state.headers["Access-Control-Allow-Origin"] == "*"


def test_directory_apis(sandbox, staff, wecom):
    sandbox.upsert_directory(users=[{"userid": "rm_gone", "name": "已离职", "department": [3], "status": 5}])

    assert wecom.get("user/get", userid="rm_li")["name"] == "李经理"
    assert wecom.get("user/get", userid="rm_gone")["errcode"] == 60111
    assert [u["userid"] for u in wecom.get("user/simplelist", department_id=3)["userlist"]] == ["rm_li", "rm_wang"]
    assert [u["userid"] for u in wecom.get("user/list", department_id=2, fetch_child=1)["userlist"]] == [
        "rm_li",
        "rm_wang",
        "rm_zhao",
    ]
    assert [d["id"] for d in wecom.get("department/list", id=2)["department"]] == [2, 3]
    assert wecom.get("externalcontact/get_follow_user_list")["follow_user"] == ["rm_li", "rm_wang", "rm_zhao"]
    assert wecom.get("user/list", department_id=99)["errcode"] == 60123


def test_the_directory_file_is_loaded_on_start_and_reread_when_it_changes(tmp_path):
    directory = tmp_path / "directory.json"
    directory.write_text(json.dumps({"departments": DEPARTMENTS, "users": STAFF[:1]}), encoding="utf-8")

    with running_sandbox(directory=directory) as control:
        assert list(control.state()["users"]) == ["rm_li"]
        directory.write_text(json.dumps({"departments": DEPARTMENTS, "users": STAFF}), encoding="utf-8")
        for _ in range(60):  # the sandbox polls the file's mtime every second
            if len(control.state()["users"]) == 3:
                break
            time.sleep(0.1)
        assert sorted(control.state()["users"]) == ["rm_li", "rm_wang", "rm_zhao"]
        control.reset()
        assert sorted(control.state()["users"]) == ["rm_li", "rm_wang", "rm_zhao"]  # reset keeps the directory


def test_the_state_file_survives_a_restart(tmp_path):
    state_file = tmp_path / "state.json"
    with running_sandbox(state_file=state_file) as control:
        control.upsert_directory(departments=DEPARTMENTS, users=STAFF)
        token = control.access_token()
        config_id = requests.post(
            control.api_base_url + "externalcontact/add_contact_way",
            params={"access_token": token},
            json={"type": 1, "scene": 2, "user": ["rm_li"]},
            timeout=10,
        ).json()["config_id"]

    with running_sandbox(state_file=state_file) as control:
        answer = requests.post(
            control.api_base_url + "externalcontact/get_contact_way",
            params={"access_token": token},
            json={"config_id": config_id},
            timeout=10,
        ).json()

    assert answer["contact_way"]["user"] == ["rm_li"]
