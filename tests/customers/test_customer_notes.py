"""Notes on the customer's page: the sidebar's note service, the customer's scope, the same timeline."""

import pytest
from pytest_django.asserts import assertContains, assertNotContains

from customers.models import TimelineEvent
from customers.timeline.services import customer_note_add
from scrm.core.exceptions import ApplicationError
from tests.conftest import World

pytestmark = pytest.mark.django_db


def notes_url(customer_no: str) -> str:
    return f"/customers/{customer_no}/notes/"


def test_an_rm_adds_a_note_on_the_page_and_it_is_signed_like_a_sidebar_note(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]
    client = client_for("rm")

    response = client.post(notes_url(customer.customer_no), {"text": "  客户想了解  养老理财  "})

    assert response.status_code == 200
    note = TimelineEvent.objects.get(customer=customer)
    assert (note.kind, note.summary, note.actor_id, note.data) == (
        "note",
        "客户想了解 养老理财",
        world.rm_bj.pk,
        {"source": "web"},
    )
    assertContains(response, "客户想了解 养老理财")
    page = client.get(f"/customers/{customer.customer_no}/")
    assertContains(page, 'id="customer-note-list"')
    assertContains(page, "客户想了解 养老理财")


def test_the_page_lists_notes_from_the_sidebar_too(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]
    customer_note_add(customer=customer, text="聊天里说下月到期", actor=world.rm_bj, source="sidebar")

    page = client_for("branch_manager").get(f"/customers/{customer.customer_no}/")

    assertContains(page, "聊天里说下月到期")
    assertContains(page, "来自聊天侧边栏")


@pytest.mark.parametrize(("text", "message"), [("   ", "请先填写备注"), ("长" * 201, "200")])
def test_an_empty_or_overlong_note_is_refused_and_the_text_kept(
    world: World, client_for, text: str, message: str
) -> None:
    customer = world.customers_rm_bj[0]

    response = client_for("rm").post(notes_url(customer.customer_no), {"text": text})

    assert response.status_code == 400
    assertContains(response, message, status_code=400)
    assertContains(response, 'id="note-error"', status_code=400)
    assert not TimelineEvent.objects.filter(kind="note").exists()


def test_a_customer_outside_the_scope_takes_no_note(world: World, client_for) -> None:
    theirs = world.customers_rm_sh[0]

    response = client_for("rm").post(notes_url(theirs.customer_no), {"text": "看过了"})

    assert response.status_code == 404
    assert not TimelineEvent.objects.exists()


def test_compliance_reads_notes_but_writes_none(world: World, client_for) -> None:
    customer = world.customers_rm_bj[0]
    customer_note_add(customer=customer, text="已电话回访", actor=world.rm_bj, source="web")
    client = client_for("compliance")

    page = client.get(f"/customers/{customer.customer_no}/")
    refused = client.post(notes_url(customer.customer_no), {"text": "合规意见"})

    assertContains(page, "已电话回访")
    assertNotContains(page, 'id="note-text"')
    assert refused.status_code == 403
    assert TimelineEvent.objects.filter(kind="note").count() == 1
    with pytest.raises(ApplicationError, match="只能查看备注"):
        customer_note_add(customer=customer, text="合规意见", actor=world.compliance, source="web")
