"""Branch and staff administration pages: HQ admins everywhere, branch managers within their
subtree, everyone else nowhere; bad input is explained in Chinese and changes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from channels.directory.services import snapshot_key
from customers.models import Customer
from scrm.audit.models import AuditAction, AuditEvent
from scrm.org.audit import OrgAuditAction
from scrm.org.models import Branch, Role, Staff, StaffStatus
from scrm.org.services import staff_mark_departed
from tests.conftest import World
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

BRANCHES = "/org/branches/"
STAFF = "/org/staff/"


def branch_page(branch: Branch) -> str:
    return reverse("org-branch", args=[branch.pk])


def staff_page(staff: Staff) -> str:
    return reverse("org-staff-detail", args=[staff.pk])


@pytest.mark.parametrize("role", ["hq_admin", "branch_manager"])
def test_admins_find_both_pages_in_the_navigation(world: World, client_for, role: str) -> None:
    response = client_for(role).get(BRANCHES)

    assert response.status_code == 200
    assertContains(
        response, f'<a class="nav-link active" aria-current="page" href="{BRANCHES}">机构管理</a>', html=True
    )
    assertContains(response, f'<a class="nav-link" href="{STAFF}">员工管理</a>', html=True)


@pytest.mark.parametrize("role", ["rm", "compliance"])
@pytest.mark.parametrize(
    "url", [BRANCHES, STAFF, "/org/staff/new/", "branch", "staff"], ids=["tree", "list", "new", "branch", "person"]
)
def test_other_roles_neither_see_nor_use_the_pages(world: World, client_for, role: str, url: str) -> None:
    url = {"branch": branch_page(world.bj_hd_1), "staff": staff_page(world.rm_bj2)}.get(url, url)
    client = client_for(role)

    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "depart", "depart-reason": "x", "name": "x"}).status_code == 403
    assertNotContains(client.get(reverse("home")), f'href="{STAFF}"')
    assert Staff.objects.get(pk=world.rm_bj2.pk).status == StaffStatus.ACTIVE


# --- Branches -----------------------------------------------------------------------------


def test_a_branch_manager_sees_only_their_subtree(world: World, client_for) -> None:
    response = client_for("branch_manager").get(BRANCHES)

    for code in ("BJ", "BJ-HD", "BJ-HD-1", "BJ-HD-2"):
        assertContains(response, f'data-branch="{code}"')
    assertNotContains(response, 'data-branch="SH')
    assertNotContains(response, 'data-branch="HQ"')
    assert client_for("branch_manager").get(branch_page(world.sh_pd_1)).status_code == 404


def test_an_hq_admin_adds_an_outlet_from_the_page(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        BRANCHES, {"parent": world.sh_pd.pk, "level": "outlet", "code": "SH-PD-2", "name": "张江网点"}, follow=True
    )

    assertContains(response, "已新增张江网点。")
    assertContains(response, 'data-branch="SH-PD-2"')
    assert Branch.objects.get_parent(Branch.objects.get(code="SH-PD-2")) == world.sh_pd


def test_a_wrong_level_is_explained_and_adds_nothing(world: World, client_for) -> None:
    before = Branch.objects.count()

    response = client_for("hq_admin").post(
        BRANCHES, {"parent": world.bj.pk, "level": "outlet", "code": "BJ-X", "name": "错层网点"}
    )

    assertContains(response, "网点只能设在支行之下。", status_code=400)
    assertContains(response, 'value="错层网点"', status_code=400)
    assert Branch.objects.count() == before


def test_a_branch_manager_cannot_add_under_another_branch(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        BRANCHES, {"parent": world.sh_pd.pk, "level": "outlet", "code": "SH-X", "name": "越权网点"}
    )

    assertContains(response, "选择一个有效的选项", status_code=400)
    assert not Branch.objects.filter(code="SH-X").exists()


def test_renaming_and_moving_from_the_branch_page(world: World, client_for) -> None:
    client = client_for("hq_admin")

    renamed = client.post(branch_page(world.bj_hd_2), {"action": "rename", "name": "五道口科技网点"}, follow=True)
    moved = client.post(branch_page(world.bj_hd_2), {"action": "move", "new_parent": world.sh_pd.pk}, follow=True)

    assertContains(renamed, "机构已更名。")
    assertContains(moved, "机构隶属已调整。")
    branch = Branch.objects.get(pk=world.bj_hd_2.pk)
    assert (branch.name, Branch.objects.get_parent(branch)) == ("五道口科技网点", world.sh_pd)


def test_an_outlet_with_staff_is_not_closed(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        branch_page(world.bj_hd_2), {"action": "close", "reason": "撤并", "to_staff": world.rm_bj.employee_no}
    )

    assertContains(response, "五道口网点仍有 1 名员工，请先将其调往其他机构。", status_code=400)
    assert not Branch.objects.get(pk=world.bj_hd_2.pk).is_closed
    assert set(Customer.objects.filter(branch=world.bj_hd_2).values_list("owner_id", flat=True)) == {world.rm_bj2.pk}


def test_closing_an_outlet_customers_first_then_staff_then_the_outlet(world: World, client_for) -> None:
    client = client_for("branch_manager")

    blocked = client.post(
        staff_page(world.rm_bj2), {"action": "change", "role": "rm", "branch": world.bj_hd_1.pk, "reason": "并点"}
    )
    rebooked = client.post(
        branch_page(world.bj_hd_2),
        {"action": "rebook", "rebook-to_staff": world.rm_bj.employee_no, "rebook-reason": "五道口网点撤并"},
        follow=True,
    )
    client.post(
        staff_page(world.rm_bj2), {"action": "change", "role": "rm", "branch": world.bj_hd_1.pk, "reason": "并点"}
    )
    closed = client.post(branch_page(world.bj_hd_2), {"action": "close", "reason": "五道口网点撤并"}, follow=True)

    assertContains(
        blocked, f"{world.rm_bj2.name}在五道口网点仍有 2 位客户，调动前请先将其转给该网点的同事。", status_code=400
    )
    assertContains(rebooked, f"2 位客户已转给{world.rm_bj.name}。")
    assertContains(closed, "五道口网点已撤销。")
    assertContains(closed, 'id="branch-closed"')
    moved = Customer.objects.filter(pk__in=[c.pk for c in world.customers_rm_bj2])
    assert set(moved.values_list("owner_id", "branch_id")) == {(world.rm_bj.pk, world.bj_hd_1.pk)}
    assert Staff.objects.get(pk=world.rm_bj2.pk).branch_id == world.bj_hd_1.pk
    assert AuditEvent.objects.filter(action=OrgAuditAction.BRANCH_CLOSED, target_id=str(world.bj_hd_2.pk)).exists()


def test_closing_with_customers_and_nobody_to_take_them_is_refused(world: World, client_for) -> None:
    world.rm_bj2.status = StaffStatus.DEPARTED
    world.rm_bj2.save(update_fields=["status"])

    response = client_for("hq_admin").post(branch_page(world.bj_hd_2), {"action": "close", "reason": "撤并"})

    assertContains(response, "五道口网点仍有 2 位客户，请先将其转至其他网点。", status_code=400)
    assert not Branch.objects.get(pk=world.bj_hd_2.pk).is_closed


def test_an_unknown_action_is_a_clear_400(world: World, client_for) -> None:
    response = client_for("hq_admin").post(branch_page(world.bj_hd_2), {"action": "explode"})

    assertContains(response, "未知操作。", status_code=400)


# --- Staff --------------------------------------------------------------------------------


def test_the_list_searches_by_name_role_place_and_status(world: World, client_for) -> None:
    staff_mark_departed(staff=world.rm_bj2, actor=world.hq_admin.user, reason="离职")
    client = client_for("hq_admin")

    def listed(**query: object) -> set[str]:
        content = client.get(STAFF, query).content.decode()
        return {
            person.employee_no
            for person in Staff.objects.all()
            if f'data-employee-no="{person.employee_no}"' in content
        }

    assert listed(text=world.rm_sh.name) == {world.rm_sh.employee_no}
    assert listed(role="rm", branch=world.bj.pk) == {world.rm_bj.employee_no, world.rm_bj2.employee_no}
    assert listed(role="rm", status="departed") == {world.rm_bj2.employee_no}
    assert listed(status="active", branch=world.bj_hd_1.pk) == {world.rm_bj.employee_no}


def test_a_branch_manager_lists_only_their_subtree(world: World, client_for) -> None:
    response = client_for("branch_manager").get(STAFF)

    assertContains(response, f'data-employee-no="{world.rm_bj.employee_no}"')
    assertNotContains(response, f'data-employee-no="{world.rm_sh.employee_no}"')
    assertNotContains(response, f'data-employee-no="{world.hq_admin.employee_no}"')
    assert client_for("branch_manager").get(staff_page(world.rm_sh)).status_code == 404


def test_the_wecom_column_says_what_differs_from_the_directory(world: World, client_for, sandbox, settings) -> None:
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    cache.delete(snapshot_key())  # no earlier check counts
    sandbox.upsert_directory(
        departments=[{"id": 1, "name": "总行", "parentid": 0}],
        users=[
            {"userid": world.rm_bj.wecom_userid, "name": world.rm_bj.name, "department": [1]},
            {"userid": world.rm_bj2.wecom_userid, "name": "别的名字", "department": [1]},
        ],
    )
    nobody = StaffFactory(user=UserFactory(username="no_wecom"), role=Role.RM, branch=world.bj_hd_1, wecom_userid=None)
    client = client_for("branch_manager")

    before = client.get(STAFF)
    checked = client.post(STAFF, follow=True)

    assertContains(before, "未核对")
    assertContains(checked, "已与企业微信通讯录核对。")
    content = checked.content.decode()
    row = {
        person: content.split(f'data-employee-no="{person.employee_no}"')[1].split("</tr>")[0]
        for person in (world.rm_bj, world.rm_bj2, nobody)
    }
    assert "已同步" in row[world.rm_bj]
    assert "未同步：姓名不一致" in row[world.rm_bj2]
    assert "未同步：无企业微信账号" in row[nobody]


def test_an_hq_admin_adds_an_rm_who_can_then_sign_in(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        "/org/staff/new/",
        {
            "name": "孙七",
            "employee_no": "E777001",
            "username": "sunqi",
            "password": "Xq7!pLm2#vR",
            "role": "rm",
            "branch": world.bj_hd_1.pk,
            "wecom_userid": "",
        },
        follow=True,
    )

    staff = Staff.objects.get(employee_no="E777001")
    assert response.redirect_chain == [(staff_page(staff), 302)]
    assertContains(response, "已新增孙七，可以登录。")
    assert get_user_model().objects.get(username="sunqi").check_password("Xq7!pLm2#vR")
    assert AuditEvent.objects.filter(action=AuditAction.STAFF_CREATED, target_id=str(staff.pk)).exists()


def test_a_branch_manager_is_not_offered_hq_or_compliance_roles_and_cannot_post_them(world: World, client_for) -> None:
    client = client_for("branch_manager")

    form = client.get("/org/staff/new/")
    posted = client.post(
        "/org/staff/new/",
        {
            "name": "越权",
            "employee_no": "E777002",
            "username": "overreach",
            "password": "Xq7!pLm2#vR",
            "role": "compliance",
            "branch": world.bj.pk,
        },
    )

    assertNotContains(form, 'value="hq_admin"')
    assertNotContains(form, 'value="compliance"')
    assertContains(posted, "选择一个有效的选项", status_code=400)
    assert not Staff.objects.filter(employee_no="E777002").exists()


def test_a_taken_username_is_explained_and_nothing_is_created(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        "/org/staff/new/",
        {
            "name": "重名",
            "employee_no": "E777003",
            "username": "rm",
            "password": "Xq7!pLm2#vR",
            "role": "rm",
            "branch": world.bj_hd_1.pk,
        },
    )

    assertContains(response, "登录账号 rm 已被使用。", status_code=400)
    assert not Staff.objects.filter(employee_no="E777003").exists()


def test_marking_departed_offers_inheritance_with_the_rm_preselected(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        staff_page(world.rm_bj), {"action": "depart", "depart-reason": "个人原因离职"}, follow=True
    )

    assertContains(response, f"{world.rm_bj.name}已办理离职。")
    assertContains(response, "名下 3 位客户及其企业微信好友关系待同事继承。")
    link = f"/customers/transfers/?from_staff={world.rm_bj.employee_no}&amp;kind=inherit"
    assertContains(response, f'href="{link}"')
    assert Staff.objects.get(pk=world.rm_bj.pk).status == StaffStatus.DEPARTED
    assert AuditEvent.objects.get(action=AuditAction.STAFF_DEPARTED).data == {"reason": "个人原因离职"}


def test_departing_without_a_reason_is_explained_and_changes_nothing(world: World, client_for) -> None:
    response = client_for("branch_manager").post(staff_page(world.rm_bj), {"action": "depart", "depart-reason": " "})

    assertContains(response, "该字段是必填项。", status_code=400)
    assert Staff.objects.get(pk=world.rm_bj.pk).status == StaffStatus.ACTIVE


def test_deactivating_from_the_page(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        staff_page(world.rm_bj), {"action": "deactivate", "deactivate-reason": "调查期间"}, follow=True
    )

    assertContains(response, "账号已停用，该员工无法登录。")
    assert not get_user_model().objects.get(pk=world.rm_bj.user_id).is_active


def test_a_branch_manager_cannot_change_a_compliance_officer_in_their_branch(world: World, client_for) -> None:
    officer = StaffFactory(user=UserFactory(username="bj_compliance"), role=Role.COMPLIANCE, branch=world.bj)

    response = client_for("branch_manager").post(
        staff_page(officer), {"action": "deactivate", "deactivate-reason": "x"}
    )

    assertContains(response, "分支行管理者不能任命或变更总行管理员和合规人员。", status_code=400)
    assert get_user_model().objects.get(pk=officer.user_id).is_active


def test_a_branch_manager_cannot_act_on_people_or_branches_outside_their_subtree(world: World, client_for) -> None:
    client = client_for("branch_manager")

    depart = client.post(staff_page(world.rm_sh), {"action": "depart", "depart-reason": "越权"})
    rename = client.post(branch_page(world.sh_pd_1), {"action": "rename", "name": "越权改名"})
    change = client.post(
        staff_page(world.rm_bj), {"action": "change", "role": "rm", "branch": world.sh_pd_1.pk, "reason": "越权"}
    )

    assert (depart.status_code, rename.status_code) == (404, 404)
    assertContains(change, "选择一个有效的选项", status_code=400)
    assert Staff.objects.get(pk=world.rm_sh.pk).status == StaffStatus.ACTIVE
    assert Branch.objects.get(pk=world.sh_pd_1.pk).name == "陆家嘴网点"
    assert Staff.objects.get(pk=world.rm_bj.pk).branch_id == world.bj_hd_1.pk
    assert not AuditEvent.objects.filter(
        action__in=[AuditAction.STAFF_DEPARTED, AuditAction.ROLE_CHANGED, OrgAuditAction.BRANCH_RENAMED]
    ).exists()


def test_a_deactivated_rm_is_not_offered_as_a_receiver(world: World, client_for) -> None:
    client = client_for("hq_admin")
    client.post(staff_page(world.rm_bj2), {"action": "deactivate", "deactivate-reason": "休假"})

    response = client.get("/customers/transfers/")

    to_select = response.content.decode().split('name="to_staff"')[1].split("</select>")[0]
    assert f'value="{world.rm_bj2.employee_no}"' not in to_select
    assert f'value="{world.rm_bj.employee_no}"' in to_select


@pytest.mark.parametrize("path", ["/en/org/branches/", "/en/org/staff/", "/en/org/staff/new/"])
def test_the_pages_also_render_in_english(world: World, client_for, path: str) -> None:
    response = client_for("hq_admin").get(path)

    assert response.status_code == 200
    assertContains(response, '<html lang="en">')


def test_a_working_person_reads_as_employed_not_enabled(world, client_for) -> None:
    response = client_for("hq_admin").get(STAFF, {"role": "rm"})

    assertContains(response, "在职")
    assertNotContains(response, "启用")
