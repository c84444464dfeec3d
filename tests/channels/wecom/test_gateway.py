"""The gateway against the sandbox over HTTP: shared tokens, expiry mid-batch, rate limits, typed errors."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import override_settings

from channels.wecom.errors import (
    WeComAuthError,
    WeComOutcomeUnknownError,
    WeComRateLimitedError,
    WeComRequestError,
)
from channels.wecom.gateway import WeComGateway, wecom
from scrm.core.redis import redis_client
from wecom_sandbox.client import SandboxControl

RM = "rm_wang"


@pytest.fixture
def gateway(sandbox: SandboxControl) -> Iterator[WeComGateway]:
    """The product's gateway pointed at a freshly reset sandbox, with no token cached anywhere."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    sandbox.upsert_directory(users=[{"userid": RM, "name": "王经理", "department": [1]}])
    with override_settings(
        WECOM_API_BASE_URL=sandbox.api_base_url,
        WECOM_RETRY_BACKOFF_SECONDS=0.01,
        WECOM_HTTP_TIMEOUT_SECONDS=1.0,
    ):
        yield wecom()


def _calls(sandbox: SandboxControl, api: str) -> list[dict]:
    return sandbox.calls(api)


def test_the_token_is_fetched_once_and_shared_by_every_gateway(sandbox: SandboxControl, gateway: WeComGateway) -> None:
    gateway.user(RM)
    other_process = WeComGateway(
        corp_id=gateway.corp_id,
        secret=gateway.client.secret,
        agent_id=gateway.agent_id,
        base_url=sandbox.api_base_url,
        timeout=1.0,
    )
    other_process.user(RM)

    assert len(_calls(sandbox, "gettoken")) == 1
    assert len(_calls(sandbox, "user/get")) == 2


def test_a_token_expiring_in_the_middle_of_a_batch_is_refreshed_once_and_the_batch_completes(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    external_userids = sandbox.seed_contacts([{"name": f"客户{i}", "follow": [{"userid": RM}]} for i in range(6)])

    names = []
    for index, external_userid in enumerate(external_userids):
        if index == 3:
            sandbox.expire_tokens()
        names.append(gateway.external_contact(external_userid)["external_contact"]["name"])

    assert names == [f"客户{i}" for i in range(6)]
    assert len(_calls(sandbox, "gettoken")) == 2
    refused = [call for call in _calls(sandbox, "externalcontact/get") if call["errcode"] != 0]
    assert [call["errcode"] for call in refused] == [42001]


def test_concurrent_callers_after_expiry_refresh_the_token_only_once(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    gateway.user(RM)
    sandbox.expire_tokens()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: gateway.user(RM)["userid"], range(16)))

    assert answers == [RM] * 16
    assert len(_calls(sandbox, "gettoken")) == 2


def test_a_rate_limit_answer_is_retried_with_backoff_until_it_succeeds(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    [external_userid] = sandbox.seed_contacts([{"name": "李女士", "follow": [{"userid": RM}]}])
    sandbox.add_fault("externalcontact/get", errcode=45009, times=2)

    contact = gateway.external_contact(external_userid)

    assert contact["external_contact"]["name"] == "李女士"
    assert [call["errcode"] for call in _calls(sandbox, "externalcontact/get")] == [45009, 45009, 0]


@override_settings(WECOM_RETRY_ATTEMPTS=2)
def test_a_rate_limit_that_outlasts_the_retries_is_a_typed_transient_error(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    sandbox.add_fault("user/get", errcode=45009, times=10)

    with pytest.raises(WeComRateLimitedError) as raised:
        gateway.user(RM)

    assert raised.value.errcode == 45009
    assert len(_calls(sandbox, "user/get")) == 3


def test_other_errcodes_become_clear_typed_errors_without_retries(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    with pytest.raises(WeComRequestError) as raised:
        gateway.external_contact("wm-nobody")

    assert raised.value.errcode == 40096
    assert "invalid external userid" in str(raised.value)
    assert len(_calls(sandbox, "externalcontact/get")) == 1


def test_a_wrong_corp_secret_is_an_auth_error(sandbox: SandboxControl) -> None:
    gateway = WeComGateway(
        corp_id=sandbox.config()["corp_id"], secret="wrong", agent_id="1", base_url=sandbox.api_base_url, timeout=1.0
    )
    with pytest.raises(WeComAuthError) as raised:
        gateway.user(RM)
    assert raised.value.errcode == 40001


def test_a_timeout_after_the_request_went_out_is_an_unknown_outcome(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    sandbox.add_fault("externalcontact/remark", mode="apply_then_hang", seconds=3)
    [external_userid] = sandbox.seed_contacts([{"name": "赵先生", "follow": [{"userid": RM}]}])

    with pytest.raises(WeComOutcomeUnknownError):
        gateway.remark(userid=RM, external_userid=external_userid, remark="VIP")

    assert len(_calls(sandbox, "externalcontact/remark")) == 1


@override_settings(WECOM_RATE_LIMITS_PER_MINUTE={"user/get": 2}, WECOM_RETRY_ATTEMPTS=0)
def test_the_local_budget_per_api_stops_calls_before_wecom_sees_them(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    gateway.user(RM)
    gateway.user(RM)

    with pytest.raises(WeComRateLimitedError) as raised:
        gateway.user(RM)

    assert raised.value.errcode is None
    assert len(_calls(sandbox, "user/get")) == 2


def test_jssdk_signatures_follow_wecoms_algorithm(sandbox: SandboxControl, gateway: WeComGateway) -> None:
    import hashlib

    signature = gateway.jssdk_signature(url="http://127.0.0.1:8000/sidebar/#x", agent=True)
    [ticket_call] = _calls(sandbox, "ticket/get")
    ticket = gateway._ticket("agent_config")  # cached: no second call
    plain = (
        f"jsapi_ticket={ticket}&noncestr={signature.nonce_str}&timestamp={signature.timestamp}"
        "&url=http://127.0.0.1:8000/sidebar/"
    )

    assert signature.signature == hashlib.sha1(plain.encode()).hexdigest()  # noqa: S324
    assert ticket_call["query"].get("type") == "agent_config"
    assert len(_calls(sandbox, "ticket/get")) == 1


def test_list_apis_follow_the_cursor_until_the_last_page(sandbox: SandboxControl, gateway: WeComGateway) -> None:
    external_userids = sandbox.seed_contacts([{"name": f"客户{i}", "follow": [{"userid": RM}]} for i in range(5)])

    contacts = list(gateway.contacts_by_users([RM], limit=2))

    cursors = [call["body"]["cursor"] for call in _calls(sandbox, "externalcontact/batch/get_by_user")]
    assert [c["external_contact"]["external_userid"] for c in contacts] == external_userids
    assert len(cursors) == 3
    assert cursors[0] == ""
    assert all(cursors[1:])


def test_the_unassigned_list_ends_on_the_page_that_says_it_is_last(
    sandbox: SandboxControl, gateway: WeComGateway
) -> None:
    external_userids = sandbox.seed_contacts([{"name": f"客户{i}", "follow": [{"userid": RM}]} for i in range(3)])
    sandbox.upsert_directory(users=[{"userid": RM, "status": 5}])

    rows = list(gateway.unassigned(page_size=2))

    assert [(row["handover_userid"], row["external_userid"]) for row in rows] == [(RM, e) for e in external_userids]
    assert len(_calls(sandbox, "externalcontact/get_unassigned_list")) == 2
