"""Administering the organisation: who may change which branch or person, the tree's level
rules, and that every change is audited while a refused one changes nothing."""

from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from scrm.audit.models import AuditAction, AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.org.audit import OrgAuditAction
from scrm.org.models import Branch, BranchLevel, Role, Staff, StaffStatus
from scrm.org.services import (
    branch_close,
    branch_create,
    branch_move,
    branch_rename,
    staff_change_role,
    staff_create,
    staff_deactivate,
    staff_mark_departed,
    staff_reactivate,
)
from tests.conftest import World

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """The services speak the active language; these tests read them in Chinese."""
    with translation.override("zh-hans"):
        yield


def new_staff(world: World, actor: Staff, **overrides: object) -> Staff:
    values: dict = {
        "username": "wangwu",
        "password": "Xq7!pLm2#vR",
        "name": "王五",
        "employee_no": "E900001",
        "role": Role.RM,
        "branch": world.bj_hd_1,
        "actor": actor.user,
    } | overrides
    return staff_create(**values)


# --- Branches -----------------------------------------------------------------------------


def test_an_hq_admin_adds_an_outlet_under_a_sub_branch_and_it_is_audited(world: World) -> None:
    outlet = branch_create(
        parent=world.sh_pd, code="SH-PD-2", name="世纪大道网点", level=BranchLevel.OUTLET, actor=world.hq_admin.user
    )

    assert Branch.objects.get_parent(outlet) == world.sh_pd
    assert outlet.level == BranchLevel.OUTLET
    event = AuditEvent.objects.get(action=OrgAuditAction.BRANCH_CREATED)
    assert event.actor_id == world.hq_admin.user.pk
    assert event.data == {"code": "SH-PD-2", "name": "世纪大道网点", "level": "outlet", "parent": "SH-PD"}


@pytest.mark.parametrize(
    ("parent", "level", "message"),
    [
        ("bj", BranchLevel.OUTLET, "网点只能设在支行之下。"),
        ("hq", BranchLevel.SUB_BRANCH, "支行只能设在分行之下。"),
        ("bj_hd_1", BranchLevel.OUTLET, "网点只能设在支行之下。"),
        ("bj", BranchLevel.HQ, "不能新增总行。"),
    ],
)
def test_a_node_goes_only_under_the_level_above_it(world: World, parent: str, level: BranchLevel, message: str) -> None:
    before = Branch.objects.count()

    with pytest.raises(ApplicationError) as refused:
        branch_create(parent=getattr(world, parent), code="NEW", name="新机构", level=level, actor=world.hq_admin.user)

    assert refused.value.message == message
    assert Branch.objects.count() == before
    assert not AuditEvent.objects.filter(action=OrgAuditAction.BRANCH_CREATED).exists()


def test_a_branch_code_is_unique_and_a_name_required(world: World) -> None:
    with pytest.raises(ApplicationError, match="机构代码 BJ-HD-1 已被使用。"):
        branch_create(parent=world.bj_hd, code="BJ-HD-1", name="x", level=BranchLevel.OUTLET, actor=world.hq_admin.user)
    with pytest.raises(ApplicationError, match="请填写名称。"):
        branch_create(
            parent=world.bj_hd, code="BJ-HD-9", name="  ", level=BranchLevel.OUTLET, actor=world.hq_admin.user
        )


def test_a_branch_manager_adds_only_inside_their_subtree(world: World) -> None:
    inside = branch_create(
        parent=world.bj_hd,
        code="BJ-HD-3",
        name="上地网点",
        level=BranchLevel.OUTLET,
        actor=world.branch_manager_bj.user,
    )

    with pytest.raises(ApplicationError, match="浦东支行 不在您所辖机构范围内。"):
        branch_create(
            parent=world.sh_pd,
            code="SH-PD-3",
            name="张江网点",
            level=BranchLevel.OUTLET,
            actor=world.branch_manager_bj.user,
        )
    assert Branch.objects.get_parent(inside) == world.bj_hd
    assert not Branch.objects.filter(code="SH-PD-3").exists()


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_other_roles_do_not_administer_the_organisation(world: World, role: str) -> None:
    with pytest.raises(PermissionDenied):
        branch_rename(branch=world.bj_hd_1, name="改名", actor=world.staff_for(role).user)

    assert Branch.objects.get(pk=world.bj_hd_1.pk).name == "中关村网点"


def test_renaming_is_audited_with_old_and_new_names(world: World) -> None:
    branch_rename(branch=world.bj_hd_1, name="中关村科技园网点", actor=world.branch_manager_bj.user)

    assert Branch.objects.get(pk=world.bj_hd_1.pk).name == "中关村科技园网点"
    event = AuditEvent.objects.get(action=OrgAuditAction.BRANCH_RENAMED)
    assert event.data == {"old": "中关村网点", "new": "中关村科技园网点"}


def test_a_moved_outlet_takes_its_staff_into_the_new_managers_scope(world: World) -> None:
    branch_move(branch=world.bj_hd_2, new_parent=world.sh_pd, actor=world.hq_admin.user)

    moved = Branch.objects.get(pk=world.bj_hd_2.pk)
    assert Branch.objects.get_parent(moved) == world.sh_pd
    assert world.rm_bj2 not in Staff.objects.visible_to(world.branch_manager_bj.user)
    assert AuditEvent.objects.get(action=OrgAuditAction.BRANCH_MOVED).data == {
        "old_parent": "BJ-HD",
        "new_parent": "SH-PD",
    }


@pytest.mark.parametrize(
    ("branch", "parent", "actor", "message"),
    [
        ("bj_hd_2", "bj", "hq_admin", "网点只能设在支行之下。"),
        ("bj_hd", "bj_hd_1", "hq_admin", "机构不能调整到自身或其下级之下。"),
        ("bj_hd_2", "sh_pd", "branch_manager", "浦东支行 不在您所辖机构范围内。"),
        ("bj", "hq", "branch_manager", "北京分行 不在您所辖机构范围内。"),
        ("bj_hd_2", "bj_hd", "hq_admin", "该机构已隶属于所选上级。"),
    ],
)
def test_a_move_that_breaks_a_rule_changes_nothing(
    world: World, branch: str, parent: str, actor: str, message: str
) -> None:
    paths = dict(Branch.objects.values_list("code", "path"))

    with pytest.raises(ApplicationError) as refused:
        branch_move(branch=getattr(world, branch), new_parent=getattr(world, parent), actor=world.staff_for(actor).user)

    assert refused.value.message == message
    assert dict(Branch.objects.values_list("code", "path")) == paths


def test_a_branch_with_staff_is_not_closed(world: World) -> None:
    with pytest.raises(ApplicationError, match="中关村网点仍有 1 名员工，请先将其调往其他机构。"):
        branch_close(branch=world.bj_hd_1, actor=world.hq_admin.user, reason="撤并")

    assert Branch.objects.get(pk=world.bj_hd_1.pk).closed_at is None


def test_a_branch_with_open_children_is_not_closed(world: World) -> None:
    with pytest.raises(ApplicationError, match="海淀支行下仍有未撤销的机构"):
        branch_close(branch=world.bj_hd, actor=world.hq_admin.user, reason="撤并")


def test_an_empty_outlet_is_closed_and_takes_nobody_afterwards(world: World) -> None:
    staff_change_role(staff=world.rm_bj2, role=Role.RM, branch=world.bj_hd_1, actor=world.hq_admin.user, reason="并点")

    branch_close(branch=world.bj_hd_2, actor=world.branch_manager_bj.user, reason="并入中关村网点")

    assert Branch.objects.get(pk=world.bj_hd_2.pk).is_closed
    assert AuditEvent.objects.get(action=OrgAuditAction.BRANCH_CLOSED).data == {"reason": "并入中关村网点"}
    with pytest.raises(ApplicationError, match="五道口网点已撤销，不能安排员工。"):
        staff_change_role(staff=world.rm_bj, role=Role.RM, branch=world.bj_hd_2, actor=world.hq_admin.user, reason="x")


def test_a_branch_manager_does_not_close_their_own_branch(world: World) -> None:
    with pytest.raises(ApplicationError, match="北京分行 不在您所辖机构范围内。"):
        branch_close(branch=world.bj, actor=world.branch_manager_bj.user, reason="x")


# --- Staff --------------------------------------------------------------------------------


def test_adding_staff_creates_their_sign_in_and_is_audited(world: World) -> None:
    staff = new_staff(world, world.branch_manager_bj)

    assert staff.user.check_password("Xq7!pLm2#vR")
    assert (staff.role, staff.branch, staff.status) == (Role.RM, world.bj_hd_1, StaffStatus.ACTIVE)
    event = AuditEvent.objects.get(action=AuditAction.STAFF_CREATED)
    assert (event.actor_id, event.target_id) == (world.branch_manager_bj.user.pk, str(staff.pk))
    assert event.data == {"role": "rm", "branch": "BJ-HD-1", "username": "wangwu"}


@pytest.mark.parametrize("role", [Role.HQ_ADMIN, Role.COMPLIANCE])
def test_a_branch_manager_appoints_no_hq_or_compliance_staff(world: World, role: Role) -> None:
    with pytest.raises(ApplicationError, match="分支行管理者不能任命或变更总行管理员和合规人员。"):
        new_staff(world, world.branch_manager_bj, role=role, branch=world.bj)

    assert not Staff.objects.filter(employee_no="E900001").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"branch": "sh_pd_1"}, "陆家嘴网点 不在您所辖机构范围内。"),
        ({"role": Role.RM, "branch": "bj"}, "客户经理不能安排在分行。"),
        ({"username": "rm"}, "登录账号 rm 已被使用。"),
        ({"employee_no": "  "}, "请填写工号。"),
        ({"name": "王\u202e五"}, r"U\+202E"),
        ({"password": "123"}, "密码"),
    ],
)
def test_bad_staff_input_is_refused_in_chinese_and_creates_nothing(world: World, overrides: dict, message: str) -> None:
    overrides = {key: getattr(world, value) if key == "branch" else value for key, value in overrides.items()}
    users = Staff.objects.count()

    with pytest.raises(ApplicationError, match=message):
        new_staff(world, world.branch_manager_bj, **overrides)

    assert Staff.objects.count() == users
    assert not AuditEvent.objects.filter(action=AuditAction.STAFF_CREATED).exists()


def test_a_branch_manager_moves_an_rm_between_their_outlets(world: World) -> None:
    staff_change_role(
        staff=world.rm_bj, role=Role.RM, branch=world.bj_hd_2, actor=world.branch_manager_bj.user, reason="调岗"
    )

    assert Staff.objects.get(pk=world.rm_bj.pk).branch == world.bj_hd_2
    assert AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED).data["new"] == {"role": "rm", "branch": "BJ-HD-2"}


@pytest.mark.parametrize(
    ("target", "role", "branch", "message"),
    [
        ("rm_sh", Role.RM, "sh_pd_1", "陆家嘴网点 不在您所辖机构范围内。"),
        ("rm_bj", Role.RM, "sh_pd_1", "陆家嘴网点 不在您所辖机构范围内。"),
        ("rm_bj", Role.COMPLIANCE, "bj", "分支行管理者不能任命或变更总行管理员和合规人员。"),
        ("branch_manager_bj", Role.RM, "bj_hd_1", "不能对自己的账号进行此项操作。"),
        ("rm_bj", Role.RM, "bj_hd_1", "没有变化：所选角色和机构与当前相同。"),
    ],
)
def test_a_branch_manager_changes_nobody_outside_their_reach(
    world: World, target: str, role: Role, branch: str, message: str
) -> None:
    person = getattr(world, target)

    with pytest.raises(ApplicationError) as refused:
        staff_change_role(
            staff=person, role=role, branch=getattr(world, branch), actor=world.branch_manager_bj.user, reason="x"
        )

    assert refused.value.message == message
    person.refresh_from_db()
    assert (person.role, person.branch_id) == (getattr(world, target).role, getattr(world, target).branch_id)
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).exists()


def test_deactivation_stops_sign_in_until_reactivated_and_both_are_audited(world: World) -> None:
    staff_deactivate(staff=world.rm_bj, actor=world.branch_manager_bj.user, reason="长期休假")
    world.rm_bj.user.refresh_from_db()
    assert not world.rm_bj.user.is_active
    assert Staff.objects.get(pk=world.rm_bj.pk).status == StaffStatus.ACTIVE

    with pytest.raises(ApplicationError, match="该账号已停用。"):
        staff_deactivate(staff=world.rm_bj, actor=world.branch_manager_bj.user, reason="again")
    staff_reactivate(staff=world.rm_bj, actor=world.branch_manager_bj.user, reason="休假结束")

    world.rm_bj.user.refresh_from_db()
    assert world.rm_bj.user.is_active
    actions = list(
        AuditEvent.objects.filter(target_id=str(world.rm_bj.pk)).order_by("sequence").values_list("action", flat=True)
    )
    assert actions == [OrgAuditAction.STAFF_DEACTIVATED, OrgAuditAction.STAFF_REACTIVATED]


def test_marking_departed_needs_a_reason_and_the_actors_reach(world: World) -> None:
    with pytest.raises(ApplicationError, match="请填写原因。"):
        staff_mark_departed(staff=world.rm_bj, actor=world.branch_manager_bj.user, reason=" ")
    with pytest.raises(ApplicationError, match="陆家嘴网点 不在您所辖机构范围内。"):
        staff_mark_departed(staff=world.rm_sh, actor=world.branch_manager_bj.user, reason="离职")

    assert Staff.objects.filter(status=StaffStatus.DEPARTED).count() == 0
    staff_mark_departed(staff=world.rm_bj, actor=world.branch_manager_bj.user, reason="离职")
    assert Staff.objects.get(pk=world.rm_bj.pk).status == StaffStatus.DEPARTED
