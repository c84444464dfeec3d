"""The product pointed at the test session's WeCom sandbox, with the world's staff in its directory."""

import pytest

from customers.models import Tag, TagGroup, TagKind
from scrm.org.models import Staff
from tests.conftest import World
from wecom_sandbox.client import SandboxControl


def sandbox_directory(sandbox: SandboxControl, staff: list[Staff]) -> None:
    sandbox.upsert_directory(
        users=[{"userid": member.wecom_userid, "name": member.name, "department": [1]} for member in staff]
    )


@pytest.fixture
def wecom(sandbox: SandboxControl, settings, world: World) -> SandboxControl:
    """The reset sandbox as the product's WeCom; every RM of the world is a member there."""
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    # One retry: a token the sandbox forgot on reset is refreshed and the call sent again.
    settings.WECOM_RETRY_ATTEMPTS = 1
    settings.WECOM_RETRY_BACKOFF_SECONDS = 0.01
    sandbox_directory(sandbox, [world.rm_bj, world.rm_bj2, world.rm_sh, world.branch_manager_bj])
    return sandbox


@pytest.fixture
def channel_tags(db: None) -> list[Tag]:
    group = TagGroup.objects.create(code="channel-source", name="渠道来源")
    return [
        Tag.objects.create(group=group, code="ch-branch-lobby", name="网点大堂", kind=TagKind.CHANNEL),
        Tag.objects.create(group=group, code="ch-salon", name="理财沙龙", kind=TagKind.CHANNEL),
    ]
