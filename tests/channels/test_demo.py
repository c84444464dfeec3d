"""The WeCom demo that `make run` prepares on the sandbox."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channels.demo import demo_customer_for_verification
from channels.models import AssignmentStrategy, ChannelCode, CustomerGroup, FollowRelation
from customers.models import Customer
from scrm.core.redis import redis_client
from tests.support.wecom_sandbox import free_port
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db


def test_setup_wecom_demo_gives_the_sandbox_the_staff_and_creates_the_demo_codes_once(
    world, sandbox: SandboxControl, settings, tmp_path
) -> None:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    directory = tmp_path / "wecom-directory.json"
    out = StringIO()

    call_command("setup_wecom_demo", directory=directory, wait=5, stdout=out)
    call_command("setup_wecom_demo", directory=directory, wait=5, stdout=StringIO())

    written = json.loads(directory.read_text(encoding="utf-8"))
    assert {user["userid"] for user in written["users"]} >= {world.rm_bj.wecom_userid, world.rm_sh.wecom_userid}
    codes = list(ChannelCode.objects.order_by("id"))
    assert [code.strategy for code in codes] == [AssignmentStrategy.FIXED, AssignmentStrategy.ROUND_ROBIN]
    assert all(code.config_id and code.is_active for code in codes)
    assert set(sandbox.state()["contact_ways"]) == {code.config_id for code in codes}
    assert f"/sandbox/scan/{codes[0].config_id}" in out.getvalue()
    assert world.customers_rm_bj[0].customer_no in out.getvalue()
    customer = demo_customer_for_verification()
    assert customer is not None
    assert customer.phone not in out.getvalue()
    assert f"{customer.phone[:3]}****{customer.phone[-4:]}" in out.getvalue()
    assert f"/customers/{customer.customer_no}/" in out.getvalue()


@pytest.mark.django_db(transaction=True)  # as make run calls it: no test transaction around it
def test_setup_wecom_demo_makes_the_demo_rm_s_customers_their_wecom_contacts_once(
    world, sandbox: SandboxControl, settings, tmp_path
) -> None:
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    refused = world.customers_rm_bj[0]
    Customer.objects.filter(owner=world.rm_bj).exclude(pk=refused.pk).update(marketing_consent=True)
    out = StringIO()

    call_command("setup_wecom_demo", directory=tmp_path / "d.json", wait=5, stdout=out)
    call_command("setup_wecom_demo", directory=tmp_path / "d.json", wait=5, stdout=StringIO())

    linked = FollowRelation.objects.filter(staff=world.rm_bj, contact__customer__isnull=False)
    assert {r.contact.customer_id for r in linked} == {c.pk for c in world.customers_rm_bj}
    follows = sandbox.state()["follows"].values()
    assert {f["external_userid"] for f in follows if f["userid"] == world.rm_bj.wecom_userid} == {
        r.contact.external_userid for r in linked
    }
    assert "3 of the demo RM's customers" in out.getvalue()
    # And one customer group of theirs, for a group campaign to go to: in the sandbox and here, once.
    [group] = CustomerGroup.objects.filter(owner=world.rm_bj)
    consenting = {c.pk for c in world.customers_rm_bj[1:]}
    assert {m.contact.customer_id for m in group.members.filter(contact__isnull=False)} == consenting
    assert [c["owner"] for c in sandbox.state()["groupchats"].values()] == [world.rm_bj.wecom_userid]


def test_setup_wecom_demo_stops_with_a_clear_error_when_the_sandbox_is_not_answering(world, settings, tmp_path) -> None:
    settings.WECOM_SANDBOX_URL = f"http://127.0.0.1:{free_port()}"

    with pytest.raises(CommandError, match=f"The WeCom sandbox at {settings.WECOM_SANDBOX_URL} is not answering"):
        call_command("setup_wecom_demo", directory=tmp_path / "wecom-directory.json", wait=0.6, stdout=StringIO())

    assert not ChannelCode.objects.exists()
