"""The authentication-rate dashboard and API: the same contacts counted for each viewer's scope."""

import pytest
from django.utils import timezone

from channels.identity.selectors import authentication_rates
from channels.models import AssignmentStrategy, ChannelCode, ExternalContact, FollowRelation, RelationStatus
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(world: World) -> dict[str, ExternalContact]:
    """rm_bj: 2 contacts (1 linked, 1 via a code), rm_bj2: 1 linked, rm_sh: 1 lead; one deleted relation."""
    code = ChannelCode.objects.create(
        name="大堂码",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="chdash",
        created_by=world.hq_admin,
    )
    rows = {
        "bj_linked": ExternalContact.objects.create(
            external_userid="wm1", name="甲", customer=world.customers_rm_bj[0]
        ),
        "bj_lead": ExternalContact.objects.create(external_userid="wm2", name="乙"),
        "bj2_linked": ExternalContact.objects.create(
            external_userid="wm3", name="丙", customer=world.customers_rm_bj2[0]
        ),
        "sh_lead": ExternalContact.objects.create(external_userid="wm4", name="丁"),
        "gone": ExternalContact.objects.create(external_userid="wm5", name="戊"),
    }
    now = timezone.now()
    for key, staff, channel in [
        ("bj_linked", world.rm_bj, code),
        ("bj_lead", world.rm_bj, code),
        ("bj2_linked", world.rm_bj2, None),
        ("sh_lead", world.rm_sh, None),
    ]:
        FollowRelation.objects.create(
            contact=rows[key], userid=staff.wecom_userid, staff=staff, channel=channel, added_at=now
        )
    FollowRelation.objects.create(
        contact=rows["gone"],
        userid=world.rm_bj.wecom_userid,
        staff=world.rm_bj,
        added_at=now,
        status=RelationStatus.DELETED,
        deleted_at=now,
    )
    return rows


@pytest.mark.parametrize(
    ("role", "total", "authenticated"),
    [("hq_admin", 4, 2), ("compliance", 4, 2), ("branch_manager", 3, 2), ("rm", 2, 1)],
)
def test_the_rate_counts_the_contacts_of_the_viewers_scope(
    world: World, contacts, role: str, total: int, authenticated: int
) -> None:
    rates = authentication_rates(user=world.staff_for(role).user)

    assert (rates.total.total, rates.total.authenticated) == (total, authenticated)


def test_rates_by_branch_roll_up_the_subtree(world: World, contacts) -> None:
    rates = authentication_rates(user=world.hq_admin.user)

    by_branch = {row.label: (row.total, row.authenticated, row.depth) for row in rates.by_branch}
    assert by_branch["总行"] == (4, 2, 0)
    assert by_branch["北京分行"] == (3, 2, 1)
    assert by_branch["海淀支行"] == (3, 2, 2)
    assert by_branch["上海分行"] == (1, 0, 1)
    assert "中关村网点" not in by_branch  # three levels below the viewer


def test_rates_by_rm_and_by_code(world: World, contacts) -> None:
    manager = authentication_rates(user=world.branch_manager_bj.user)

    assert {row.key: (row.total, row.authenticated) for row in manager.by_rm} == {
        world.rm_bj.employee_no: (2, 1),
        world.rm_bj2.employee_no: (1, 1),
    }
    assert [(row.label, row.total, row.authenticated) for row in manager.by_code] == [("大堂码", 2, 1)]
    rm = authentication_rates(user=world.rm_bj.user)
    assert [(row.label, row.total, row.authenticated) for row in rm.by_branch] == [("中关村网点", 2, 1)]
    assert [row.key for row in rm.by_rm] == [world.rm_bj.employee_no]


def test_the_rates_api(world: World, contacts, client_for) -> None:
    body = client_for("branch_manager").get("/api/channels/identity/rates/").json()

    assert body["total"]["total"] == 3
    assert body["total"]["authenticated"] == 2
    assert body["total"]["rate"] == pytest.approx(2 / 3)


def test_leads_are_the_unmatched_contacts_in_scope(world: World, contacts, client_for) -> None:
    def leads(role: str) -> set[str]:
        rows = client_for(role).get("/api/channels/contacts/?lead=true").json()["results"]
        return {row["external_userid"] for row in rows}

    assert leads("hq_admin") == {"wm2", "wm4"}
    assert leads("branch_manager") == {"wm2"}
    assert leads("rm") == {"wm2"}
    everyone = client_for("rm").get("/api/channels/contacts/").json()["results"]
    assert {row["external_userid"] for row in everyone} == {"wm1", "wm2", "wm5"}
    [lead] = client_for("rm").get("/api/channels/contacts/?lead=true").json()["results"]
    assert lead["rm_name"] == world.rm_bj.name
    assert lead["channel_name"] == "大堂码"


def test_the_dashboard_page_and_its_manual_link(world: World, contacts, client_for) -> None:
    manager = client_for("branch_manager")
    page = manager.get("/channels/identity/").content.decode()
    assert "66.7%" in page
    assert 'data-contact="wm2"' in page
    assert 'data-contact="wm4"' not in page

    answer = manager.post(
        "/channels/identity/link/",
        {"contact": contacts["bj_lead"].pk, "customer_no": world.customers_rm_bj[1].customer_no},
    )

    assert answer.status_code == 302
    contacts["bj_lead"].refresh_from_db()
    assert contacts["bj_lead"].customer == world.customers_rm_bj[1]
    assert "100.0%" in manager.get("/channels/identity/").content.decode()


@pytest.mark.parametrize("contact", ["", "wm2", "1e3", "²"])
def test_a_malformed_contact_id_links_nothing(world: World, contacts, client_for, contact: str) -> None:
    answer = client_for("branch_manager").post(
        "/channels/identity/link/", {"contact": contact, "customer_no": world.customers_rm_bj[1].customer_no}
    )

    assert answer.status_code == 302
    assert answer["Location"] == "/channels/identity/"
    assert not ExternalContact.objects.filter(customer=world.customers_rm_bj[1]).exists()


def test_rms_see_the_dashboard_but_cannot_link(world: World, contacts, client_for) -> None:
    client = client_for("rm")

    assert client.get("/channels/identity/").status_code == 200
    answer = client.post(
        "/channels/identity/link/",
        {"contact": contacts["bj_lead"].pk, "customer_no": world.customers_rm_bj[1].customer_no},
    )
    assert answer.status_code == 403
    contacts["bj_lead"].refresh_from_db()
    assert contacts["bj_lead"].customer is None
    api = client.post(
        "/api/channels/contacts/wm2/link/",
        {"customer_no": world.customers_rm_bj[1].customer_no},
        content_type="application/json",
    )
    assert api.status_code == 403


def test_the_link_api_for_a_branch_manager(world: World, contacts, client_for) -> None:
    answer = client_for("branch_manager").post(
        "/api/channels/contacts/wm2/link/",
        {"customer_no": world.customers_rm_bj[1].customer_no},
        content_type="application/json",
    )

    assert answer.status_code == 200
    assert answer.json() == {"linked": True, "external_userid": "wm2", "match_method": "manual"}
    outside = client_for("branch_manager").post(
        "/api/channels/contacts/wm4/link/",
        {"customer_no": world.customers_rm_sh[0].customer_no},
        content_type="application/json",
    )
    assert outside.status_code == 404
