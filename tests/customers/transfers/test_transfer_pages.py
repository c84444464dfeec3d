"""The transfer page: HQ admins and branch managers move customers between RMs and see the latest moves."""

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import Customer, CustomerTransfer, TransferKind
from customers.transfers.services import customers_transfer
from scrm.org.models import Role, Staff
from scrm.org.services import staff_mark_departed
from tests.conftest import World
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db

PAGE = "/customers/transfers/"


def owner_ids(customers: list[Customer]) -> list[int | None]:
    return [Customer.objects.get(pk=customer.pk).owner_id for customer in customers]


def option(staff, *, selected: bool = False) -> str:
    return f'<option value="{staff.employee_no}" data-branch="{staff.branch_id}"{" selected" if selected else ""}>'


def confirmed(data: dict[str, str]) -> dict[str, str]:
    """The second submission: what the confirmation step posts back."""
    return {**data, "confirmed": "on"}


# --- Who may transfer -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["hq_admin", "branch_manager"])
def test_hq_admins_and_branch_managers_find_the_page_in_the_navigation(world: World, client_for, role: str) -> None:
    response = client_for(role).get(PAGE)

    assert response.status_code == 200
    assertContains(response, f'<a class="nav-link active" aria-current="page" href="{PAGE}">客户转移</a>', html=True)
    assertContains(response, "暂无转移记录。")


@pytest.mark.parametrize("role", ["rm", "compliance"])
def test_other_roles_neither_see_nor_use_the_page(world: World, client_for, role: str) -> None:
    client = client_for(role)
    mine = world.customers_rm_bj[0]

    home = client.get(reverse("home"))
    page = client.get(PAGE)
    posted = client.post(
        PAGE,
        {"kind": "reassign", "customer_nos": mine.customer_no, "to_staff": world.rm_bj2.employee_no, "reason": "x"},
    )

    assertNotContains(home, f'href="{PAGE}"')
    assert (page.status_code, posted.status_code) == (403, 403)
    assert owner_ids([mine]) == [world.rm_bj.pk]
    assert not CustomerTransfer.objects.exists()


def test_strangers_are_sent_to_sign_in() -> None:
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_url_is_not_taken_for_a_customer_number(world: World, client_for) -> None:
    assert reverse("customer-transfers-page") == PAGE
    assertContains(client_for("hq_admin").get(PAGE), 'id="transfer-form"')


# --- The form ---------------------------------------------------------------------------


def test_a_branch_manager_chooses_among_the_rms_of_their_branch(world: World, client_for) -> None:
    staff_mark_departed(staff=world.rm_bj2, actor=world.hq_admin.user, reason="离职")

    response = client_for("branch_manager").get(PAGE)

    from_select = response.content.decode().split('name="from_staff"')[1].split("</select>")[0]
    to_select = response.content.decode().split('name="to_staff"')[1].split("</select>")[0]
    assert option(world.rm_bj) in from_select
    assert option(world.rm_bj2) in from_select  # departed: listed for inheritance
    assert "· 离职" in from_select
    assert option(world.rm_bj) in to_select
    assert option(world.rm_bj2) not in to_select
    assert option(world.rm_sh) not in from_select + to_select
    assert world.branch_manager_bj.employee_no not in from_select + to_select


def test_a_transfer_is_first_shown_for_confirmation_and_changes_nothing(
    world: World, client_for, colleague: Staff
) -> None:
    moving = world.customers_rm_bj[:2]

    response = client_for("branch_manager").post(
        PAGE,
        {
            "kind": "reassign",
            "customer_nos": f"{moving[0].customer_no}\n\n {moving[1].customer_no} \n",
            "to_staff": colleague.employee_no,
            "reason": "岗位调整",
        },
    )

    assert response.status_code == 200
    assertContains(response, "确认转移")
    assertContains(response, "将把 2 位客户转给赵六（中关村网点）。")
    assertContains(response, f"转出：{world.rm_bj.name}")
    assertContains(response, "类型：在职转接")
    assertContains(response, '<input type="hidden" name="confirmed" value="on">', html=True)
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3
    assert not CustomerTransfer.objects.exists()


def test_a_confirmed_reassignment_shows_a_readable_result(world: World, client_for, colleague: Staff) -> None:
    moving = world.customers_rm_bj[:2]

    response = client_for("branch_manager").post(
        PAGE,
        confirmed(
            {
                "kind": "reassign",
                "customer_nos": f"{moving[0].customer_no} {moving[1].customer_no}",
                "to_staff": colleague.employee_no,
                "reason": "岗位调整",
            }
        ),
        follow=True,
    )

    batch = CustomerTransfer.objects.values_list("batch_id", flat=True).distinct().get()
    assert response.redirect_chain == [(f"{PAGE}?batch={batch}", 302)]
    assertContains(response, "已将 2 位客户转给赵六，跳过 0 位。")
    assertContains(response, "2 位客户已转给赵六（中关村网点）· 在职转接")
    assertContains(response, f"由{world.branch_manager_bj.name}于 ")
    assertNotContains(response, f"批次 {batch}")
    assert str(batch) not in response.content.decode().replace(f'data-transfer-batch="{batch}"', "").replace(
        f"?batch={batch}", ""
    )
    assert owner_ids(world.customers_rm_bj) == [colleague.pk, colleague.pk, world.rm_bj.pk]
    assertContains(response, f'data-transfer-batch="{batch}"', count=2)
    assertContains(response, "岗位调整", count=2)


def test_a_departed_rms_customers_are_inherited(world: World, client_for, colleague: Staff) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="离职")

    response = client_for("hq_admin").post(
        PAGE,
        confirmed(
            {
                "kind": "inherit",
                "from_staff": world.rm_bj.employee_no,
                "to_staff": colleague.employee_no,
                "reason": "离职继承",
            }
        ),
        follow=True,
    )

    assertContains(response, "已将 3 位客户转给赵六，跳过 0 位。")
    assert owner_ids(world.customers_rm_bj) == [colleague.pk] * 3
    assert set(CustomerTransfer.objects.values_list("kind", "from_staff_id", "created_by_id")) == {
        ("inherit", world.rm_bj.pk, world.hq_admin.pk)
    }


def test_a_link_preselects_the_departed_rm_and_inheritance(world: World, client_for) -> None:
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="离职")

    response = client_for("hq_admin").get(PAGE, {"from_staff": world.rm_bj.employee_no, "kind": "inherit"})

    assertContains(response, option(world.rm_bj, selected=True))
    assertContains(response, 'value="inherit"\n                           checked')


def test_customer_numbers_outside_the_scope_are_left_alone_and_counted(
    world: World, client_for, colleague: Staff
) -> None:
    theirs = [customer.customer_no for customer in world.customers_rm_sh[:2]]

    response = client_for("branch_manager").post(
        PAGE,
        confirmed(
            {
                "kind": "reassign",
                "customer_nos": ", ".join([world.customers_rm_bj[0].customer_no, *theirs, "C-NO-SUCH"]),
                "to_staff": colleague.employee_no,
                "reason": "x",
            }
        ),
        follow=True,
    )

    assertContains(response, "已将 1 位客户转给赵六，跳过 0 位。")
    assertContains(response, "有 3 个客户号不在您的数据范围内。")
    assert set(owner_ids(world.customers_rm_sh)) == {world.rm_sh.pk}


# --- Only valid receiving RMs -----------------------------------------------------------


def test_customers_of_another_outlet_are_refused_before_confirmation(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        PAGE,
        {
            "kind": "reassign",
            "customer_nos": world.customers_rm_bj[0].customer_no,
            "to_staff": world.rm_bj2.employee_no,
            "reason": "x",
        },
    )

    assertContains(
        response,
        f"所选客户中有 1 位不属于{world.rm_bj2.name}所在的五道口网点。"
        "客户的客户经理须在客户所属网点任职，请选择该网点的客户经理。",
        status_code=400,
    )
    assertNotContains(response, "确认并转移", status_code=400)
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3


def test_a_confirmed_transfer_to_another_outlet_is_refused_too(world: World, client_for) -> None:
    response = client_for("hq_admin").post(
        PAGE,
        confirmed(
            {
                "kind": "reassign",
                "customer_nos": world.customers_rm_bj[0].customer_no,
                "to_staff": world.rm_bj2.employee_no,
                "reason": "x",
            }
        ),
    )

    assertContains(response, "客户的客户经理须在客户所属网点任职", status_code=400)
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3
    assert not CustomerTransfer.objects.exists()


def test_the_receiving_rm_of_an_rms_customers_works_at_the_same_outlet(world: World, client_for) -> None:
    response = client_for("branch_manager").post(
        PAGE,
        {
            "kind": "reassign",
            "from_staff": world.rm_bj.employee_no,
            "to_staff": world.rm_bj2.employee_no,
            "reason": "x",
        },
    )

    assertContains(response, "请选择中关村网点的客户经理：客户的客户经理须在客户所属网点任职。", status_code=400)
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3


# --- Refusals ---------------------------------------------------------------------------


NEITHER_OR_BOTH = "请选择移出的客户经理，或填写客户号，二者选其一。"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (lambda w: {}, NEITHER_OR_BOTH),
        (
            lambda w: {"from_staff": w.rm_bj.employee_no, "customer_nos": w.customers_rm_bj[0].customer_no},
            NEITHER_OR_BOTH,
        ),
        (lambda w: {"customer_nos": w.customers_rm_bj[0].customer_no, "reason": "  "}, "该字段是必填项。"),
        (
            lambda w: {"customer_nos": w.customers_rm_bj[0].customer_no, "to_staff": w.rm_sh.employee_no},
            "选择一个有效的选项",
        ),
        (
            lambda w: {"from_staff": w.rm_bj.employee_no, "to_staff": w.rm_bj.employee_no},
            "接收的客户经理与移出的客户经理相同。",
        ),
    ],
)
def test_invalid_input_is_explained_and_what_was_typed_is_kept(
    world: World, client_for, overrides: Callable[[World], dict[str, str]], message: str
) -> None:
    data = {"kind": "reassign", "to_staff": world.rm_bj2.employee_no, "reason": "客户经理调岗", **overrides(world)}

    response = client_for("branch_manager").post(PAGE, data)

    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    if data["reason"].strip():
        assertContains(response, 'value="客户经理调岗"', status_code=400)
    if "customer_nos" in data:
        assertContains(response, f"{data['customer_nos']}</textarea>", status_code=400)
    if "from_staff" in data:
        assertContains(response, option(world.rm_bj, selected=True), status_code=400)
    assert owner_ids(world.customers_rm_bj) == [world.rm_bj.pk] * 3
    assert not CustomerTransfer.objects.exists()


# --- Recent transfers -------------------------------------------------------------------


def test_the_table_lists_only_transfers_of_customers_in_the_viewers_scope(
    world: World, client_for, colleague: Staff
) -> None:
    rm_sh2 = StaffFactory(role=Role.RM, branch=world.sh_pd_1, name="浦东新人")
    customers_transfer(
        customers=Customer.objects.filter(pk=world.customers_rm_sh[0].pk),
        to_staff=rm_sh2,
        kind=TransferKind.REASSIGN,
        reason="上海调整",
        actor=world.hq_admin,
    )
    customers_transfer(
        customers=Customer.objects.filter(pk=world.customers_rm_bj[0].pk),
        to_staff=colleague,
        kind=TransferKind.REASSIGN,
        reason="北京调整",
        actor=world.branch_manager_bj,
    )

    hq = client_for("hq_admin").get(PAGE)
    manager = client_for("branch_manager").get(PAGE)

    for reason in ("上海调整", "北京调整"):
        assertContains(hq, f"<td>{reason}</td>", html=True)
    assertContains(manager, "<td>北京调整</td>", html=True)
    assertNotContains(manager, "上海调整")
    assertNotContains(manager, world.customers_rm_sh[0].customer_no)


def test_the_table_shows_the_latest_fifty(world: World, client_for, colleague: Staff) -> None:
    many = CustomerFactory.create_batch(55, owner=world.rm_bj)
    customers_transfer(
        customers=Customer.objects.filter(pk__in=[customer.pk for customer in many]),
        to_staff=colleague,
        kind=TransferKind.REASSIGN,
        reason="批量",
        actor=world.hq_admin,
    )

    response = client_for("hq_admin").get(PAGE)

    assertContains(response, "data-transfer-batch=", count=50)
