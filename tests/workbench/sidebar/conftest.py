"""The sidebar talks to the sandbox as it would to WeCom: the product's settings point at it."""

import hashlib

import pytest

from scrm.core.redis import redis_client
from tests.conftest import World
from wecom_sandbox.client import SandboxControl


@pytest.fixture
def wecom_at_sandbox(settings, sandbox: SandboxControl) -> SandboxControl:
    """The product's WeCom is the (reset) sandbox, and the sandbox knows every staff member of the world."""
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    # The reset sandbox issued new JS-SDK tickets; drop the ones cached for its address.
    prefix = f"wecom:{hashlib.sha256(sandbox.api_base_url.encode()).hexdigest()[:8]}:ticket:"
    for kind in ("jsapi", "agent_config"):
        redis_client().delete(f"{prefix}{settings.WECOM_CORP_ID}:{kind}")
    return sandbox


@pytest.fixture
def sandbox_staff(wecom_at_sandbox: SandboxControl, world: World) -> World:
    users = [
        {"userid": staff.wecom_userid, "name": staff.name}
        for staff in (world.rm_bj, world.rm_bj2, world.rm_sh, world.branch_manager_bj, world.hq_admin, world.compliance)
    ]
    wecom_at_sandbox.upsert_directory(users=users)
    return world
