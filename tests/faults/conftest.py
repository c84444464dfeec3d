"""The fault suite's WeCom: the session's sandbox, reset, with one RM and the product pointed at it."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import override_settings

from channels.wecom.gateway import wecom
from scrm.core.redis import redis_client
from wecom_sandbox.client import SandboxControl

RM = "rm_faults"


@dataclass(frozen=True)
class Corp:
    sandbox: SandboxControl
    # What a worker needs to reach the sandbox, and to retry quickly.
    worker_env: dict[str, str]

    def corp_tag(self) -> str:
        group = wecom().add_corp_tags(group_name="故障演练", tag_names=["已触达"])
        return str(group["tag"][0]["id"])

    def contacts(self, count: int) -> list[str]:
        return self.sandbox.seed_contacts([{"name": f"客户{n}", "follow": [{"userid": RM}]} for n in range(count)])


@pytest.fixture
def corp(sandbox: SandboxControl) -> Iterator[Corp]:
    for key in redis_client().scan_iter("wecom:*"):  # tokens of an earlier sandbox run
        redis_client().delete(key)
    sandbox.upsert_directory(users=[{"userid": RM, "name": "演练经理", "department": [1]}])
    env = {"WECOM_API_BASE_URL": sandbox.api_base_url, "WECOM_RETRY_BACKOFF_SECONDS": "0.05"}
    with override_settings(WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_RETRY_BACKOFF_SECONDS=0.05):
        yield Corp(sandbox=sandbox, worker_env=env)
