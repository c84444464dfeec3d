"""Organisation API: scoped lists, 404 outside scope, audited role and scope changes."""

import pytest

from scrm.audit.models import AuditAction, AuditEvent
from scrm.org.models import Role, Staff
from tests.conftest import World

pytestmark = pytest.mark.django_db


def role_change_url(staff: Staff) -> str:
    return f"/api/org/staff/{staff.pk}/role/"


def test_staff_detail_outside_scope_is_not_found(world: World, client_for) -> None:
    response = client_for("branch_manager").get(f"/api/org/staff/{world.rm_sh.pk}/")

    assert response.status_code == 404
    assert set(response.json()) == {"message", "extra"}


def test_staff_detail_inside_scope_is_shown(world: World, client_for) -> None:
    response = client_for("branch_manager").get(f"/api/org/staff/{world.rm_bj.pk}/")

    assert response.status_code == 200
    assert response.json()["branch_code"] == "BJ-HD-1"


def test_me_describes_the_signed_in_person(world: World, client_for) -> None:
    assert client_for("rm").get("/api/org/me/").json()["role"] == "rm"


def test_hq_admin_changes_a_role_and_it_is_audited(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        role_change_url(world.rm_bj),
        {"role": "branch_manager", "branch_code": "BJ-HD", "reason": "promoted to sub-branch head"},
        content_type="application/json",
    )

    assert response.status_code == 200
    world.rm_bj.refresh_from_db()
    assert (world.rm_bj.role, world.rm_bj.branch.code) == (Role.BRANCH_MANAGER, "BJ-HD")
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.target_id == str(world.rm_bj.pk)
    assert event.data == {
        "old": {"role": "rm", "branch": "BJ-HD-1"},
        "new": {"role": "branch_manager", "branch": "BJ-HD"},
        "reason": "promoted to sub-branch head",
    }


@pytest.mark.parametrize("role", ["branch_manager", "rm", "compliance"])
def test_only_hq_admins_change_roles(world: World, client_for, role: str) -> None:
    response = client_for(role).post(
        role_change_url(world.rm_bj),
        {"role": "hq_admin", "branch_code": "HQ", "reason": "self-promotion"},
        content_type="application/json",
    )

    assert response.status_code == 403
    world.rm_bj.refresh_from_db()
    assert world.rm_bj.role == Role.RM
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).exists()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"role": "hq_admin", "branch_code": "BJ-HD-1", "reason": "x"}, "总行管理员不能安排在网点。"),
        ({"role": "rm", "branch_code": "NOPE", "reason": "x"}, "Validation error"),
        ({"role": "rm", "branch_code": "BJ-HD-2", "reason": "   "}, "Validation error"),
    ],
)
def test_invalid_role_changes_are_refused_and_change_nothing(
    world: World, client_for, payload: dict[str, str], message: str
) -> None:
    response = client_for("hq_admin").post(role_change_url(world.rm_bj), payload, content_type="application/json")

    assert response.status_code == 400
    assert message in response.json()["message"]
    world.rm_bj.refresh_from_db()
    assert (world.rm_bj.role, world.rm_bj.branch.code) == (Role.RM, "BJ-HD-1")
    assert not AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED).exists()
