"""wechatpy 1.8.18's enterprise client, pointed at the sandbox, gets the answers it expects.

The product's gateway is built on this client; if these calls work, the paths, parameter
names and response fields the gateway relies on are the sandbox's.
"""

import pytest
from wechatpy.enterprise import WeChatClient
from wechatpy.exceptions import WeChatClientException

from tests.wecom_sandbox.conftest import contact_way


class SandboxWeChatClient(WeChatClient):
    def __init__(self, base_url: str, corp_id: str, secret: str) -> None:
        super().__init__(corp_id, secret)
        self.API_BASE_URL = base_url

    def fetch_access_token(self):
        # wechatpy hard-codes qyapi.weixin.qq.com here; the gateway overrides it the same way.
        return self._fetch_access_token(
            url=self.API_BASE_URL + "gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
        )


@pytest.fixture
def client(sandbox, staff):
    config = sandbox.config()
    return SandboxWeChatClient(sandbox.api_base_url, config["corp_id"], config["corp_secret"])


def test_wechatpy_reads_users_departments_and_contacts(sandbox, client, wecom):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    assert client.user.get("rm_li")["name"] == "李经理"
    assert [d["id"] for d in client.department.get()] == [1, 2, 3]
    assert [u["userid"] for u in client.user.list(3)] == ["rm_li", "rm_wang"]
    assert client.external_contact.list("rm_li")["external_userid"] == [outcome["external_userid"]]
    assert client.external_contact.get(outcome["external_userid"])["follow_user"][0]["userid"] == "rm_li"
    assert client.external_contact.get_follow_user_list()["follow_user"] == ["rm_li", "rm_wang", "rm_zhao"]


def test_wechatpy_manages_contact_ways_tags_and_welcome_messages(sandbox, client):
    way = client.external_contact.add_contact_way(type=1, scene=2, state="wechatpy", user=["rm_li"])
    outcome = sandbox.scan(config_id=way["config_id"], customer={"name": "王女士"})
    group = client.external_contact.add_corp_tag(None, "偏好", 0, [{"name": "基金"}])["tag_group"]

    client.external_contact.mark_tag("rm_li", outcome["external_userid"], add_tag=[group["tag"][0]["id"]])
    client.external_contact.send_welcome_msg({"welcome_code": outcome["welcome_code"], "text": {"content": "您好"}})

    assert client.external_contact.get_contact_way(way["config_id"])["contact_way"]["state"] == "wechatpy"
    [follow] = client.external_contact.get(outcome["external_userid"])["follow_user"]
    assert [t["tag_name"] for t in follow["tags"]] == ["基金"]
    with pytest.raises(WeChatClientException) as error:
        client.external_contact.send_welcome_msg({"welcome_code": outcome["welcome_code"], "text": {"content": "x"}})
    assert error.value.errcode == 41051


def test_wechatpy_oauth_and_tickets(sandbox, client):
    assert client.oauth.get_user_info(sandbox.oauth_code("rm_wang"))["UserId"] == "rm_wang"
    assert client.jsapi.get_jsapi_ticket()
    assert client.jsapi.get_agent_ticket()["ticket"]


def test_wechatpy_refetches_an_expired_token_by_itself(sandbox, client):
    client.user.get("rm_li")
    sandbox.expire_tokens()

    assert client.user.get("rm_li")["userid"] == "rm_li"
    assert [c["errcode"] for c in sandbox.calls("user/get")] == [0, 42001, 0]
