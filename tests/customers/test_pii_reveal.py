"""Revealing a full value is explicit and audited; key rotation re-seals every row once."""

import base64
import json
import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from customers.models import Customer
from customers.services import PiiRevealForbiddenError, customer_reveal_pii, pii_rotate_keys
from scrm.audit.models import AuditAction, AuditEvent
from scrm.core.exceptions import ApplicationError
from scrm.pii import PiiKind, token_prefix, unseal
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NEW_KEY = base64.b64encode(os.urandom(32)).decode()
OTHER_KEY = base64.b64encode(os.urandom(32)).decode()


def audit_rows(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def plain_values(customer: Customer) -> tuple[str | None, ...]:
    customer.refresh_from_db()
    return (
        unseal(customer.name_cipher, kind=PiiKind.NAME),
        unseal(customer.phone_cipher, kind=PiiKind.PHONE) if customer.phone_cipher is not None else None,
        unseal(customer.id_number_cipher, kind=PiiKind.ID_NUMBER) if customer.id_number_cipher is not None else None,
    )


def tokens_sealed_under(key_id: str) -> tuple[int, int, int]:
    """How many names, phones and ID numbers are sealed under the key."""
    prefix = token_prefix(key_id)
    rows = Customer.objects.values_list("name_cipher", "phone_cipher", "id_number_cipher")
    counts = [0, 0, 0]
    for tokens in rows:
        for position, token in enumerate(tokens):
            counts[position] += token is not None and bytes(token).startswith(prefix)
    return counts[0], counts[1], counts[2]


# --- reveal -------------------------------------------------------------------------


def test_an_rm_reveals_a_phone_and_exactly_one_audit_row_names_it_without_the_value(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone="13912345678")

    value = customer_reveal_pii(
        customer=customer, field=PiiKind.PHONE, actor=world.rm_bj.user, purpose="  回访到期理财  "
    )

    assert value == "13912345678"
    [event] = AuditEvent.objects.all()
    assert event.action == AuditAction.PII_REVEAL
    assert (event.actor_id, event.target_type, event.target_id) == (
        world.rm_bj.user.pk,
        "customers.customer",
        str(customer.pk),
    )
    assert event.data == {"field": "phone", "purpose": "回访到期理财", "customer_no": customer.customer_no}
    assert "13912345678" not in json.dumps(model_to_dict(event), default=str, ensure_ascii=False)


@pytest.mark.parametrize("field", list(PiiKind))
def test_every_field_can_be_revealed(world: World, field: PiiKind) -> None:
    customer = CustomerFactory(owner=world.rm_bj, name="欧阳娜娜", phone="13912345678", id_number="110101199003076631")
    expected = {PiiKind.NAME: "欧阳娜娜", PiiKind.PHONE: "13912345678", PiiKind.ID_NUMBER: "110101199003076631"}

    value = customer_reveal_pii(customer=customer, field=field, actor=world.hq_admin.user, purpose="核实身份")

    assert value == expected[field]
    assert [event.data["field"] for event in audit_rows(AuditAction.PII_REVEAL)] == [field.value]


def test_compliance_may_not_reveal_and_nothing_is_written(world: World) -> None:
    customer = world.customers_rm_bj[0]

    with pytest.raises(PiiRevealForbiddenError, match="无权查看完整的个人信息"):
        customer_reveal_pii(customer=customer, field=PiiKind.PHONE, actor=world.compliance.user, purpose="审计抽查")

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("purpose", ["", "   ", "\n\t"])
def test_a_blank_purpose_is_refused_and_nothing_is_written(world: World, purpose: str) -> None:
    with pytest.raises(ApplicationError, match="用途") as raised:
        customer_reveal_pii(
            customer=world.customers_rm_bj[0], field=PiiKind.PHONE, actor=world.rm_bj.user, purpose=purpose
        )

    assert raised.value.extra == {"field": "purpose"}
    assert not AuditEvent.objects.exists()


def test_a_customer_outside_the_actors_scope_is_refused_and_nothing_is_written(world: World) -> None:
    with pytest.raises(PiiRevealForbiddenError, match="不在您的数据范围内"):
        customer_reveal_pii(
            customer=world.customers_rm_sh[0], field=PiiKind.PHONE, actor=world.rm_bj.user, purpose="回访"
        )

    assert not AuditEvent.objects.exists()


def test_a_missing_value_is_refused_and_nothing_is_written(world: World) -> None:
    customer = CustomerFactory(owner=world.rm_bj, phone_cipher=None, phone_index=None)

    with pytest.raises(ApplicationError, match="未登记此项信息"):
        customer_reveal_pii(customer=customer, field=PiiKind.PHONE, actor=world.rm_bj.user, purpose="回访")

    assert not AuditEvent.objects.exists()


# --- key rotation -------------------------------------------------------------------


@pytest.fixture
def new_primary_key(settings) -> str:
    """Put a new key "B" first, keeping the current keys for reading."""
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY},{settings.PII_ENCRYPTION_KEYS}"
    return "B"


def test_rotation_reseals_every_row_under_the_new_key_and_keeps_the_values(world: World, settings) -> None:
    no_phone = CustomerFactory(owner=world.rm_sh, phone_cipher=None, phone_index=None, id_number_cipher=None)
    customers = list(Customer.objects.order_by("id"))
    before = {customer.pk: plain_values(customer) for customer in customers}
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY},{settings.PII_ENCRYPTION_KEYS}"

    rewritten = pii_rotate_keys(batch_size=3, actor=world.hq_admin.user)

    assert rewritten == len(customers) == 11
    assert tokens_sealed_under("B") == (11, 10, 10)
    no_phone.refresh_from_db()
    assert (no_phone.phone_cipher, no_phone.id_number_cipher) == (None, None)
    # Only the new key is needed from now on.
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY}"
    assert {customer.pk: plain_values(customer) for customer in customers} == before


def test_rotation_is_idempotent_and_audited_once_per_run(world: World, new_primary_key: str) -> None:
    first = pii_rotate_keys(batch_size=4, actor=world.hq_admin.user)
    second = pii_rotate_keys(batch_size=4)

    assert (first, second) == (10, 0)
    events = audit_rows(AuditAction.PII_KEY_ROTATION)
    assert [(event.actor_username, event.data) for event in events] == [
        ("hq_admin", {"key_id": "B", "rewritten": 10}),
        ("system", {"key_id": "B", "rewritten": 0}),
    ]
    assert all(event.target_type == "customers.customer" for event in events)


def test_an_interrupted_rotation_resumes_where_it_stopped(world: World, settings) -> None:
    # given: the newest customer was sealed under a key "C" that the first run does not have
    current = settings.PII_ENCRYPTION_KEYS
    settings.PII_ENCRYPTION_KEYS = f"C:{OTHER_KEY}"
    sealed_under_c = CustomerFactory(owner=world.rm_sh)
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY},{current}"

    # when: the first run stops in its third batch, and a second runs once "C" is back
    with pytest.raises(ApplicationError, match=sealed_under_c.customer_no):
        pii_rotate_keys(batch_size=4)
    under_b_after_first_run = tokens_sealed_under("B")
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY},{current},C:{OTHER_KEY}"
    rewritten = pii_rotate_keys(batch_size=4)

    # then: the two committed batches stayed done and the second run did only the rest
    assert (under_b_after_first_run, rewritten) == ((8, 8, 8), 3)
    assert tokens_sealed_under("B") == (11, 11, 11)
    assert [event.data["rewritten"] for event in audit_rows(AuditAction.PII_KEY_ROTATION)] == [3]


def test_rotation_leaves_updated_at_alone(world: World, new_primary_key: str) -> None:
    before = dict(Customer.objects.values_list("pk", "updated_at"))

    pii_rotate_keys()

    assert dict(Customer.objects.values_list("pk", "updated_at")) == before


def test_rotation_stops_clearly_when_an_old_key_is_missing(world: World, settings) -> None:
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY}"
    tokens_before = list(Customer.objects.order_by("id").values_list("name_cipher", flat=True))

    with pytest.raises(ApplicationError, match="cannot be decrypted"):
        pii_rotate_keys()

    assert list(Customer.objects.order_by("id").values_list("name_cipher", flat=True)) == tokens_before
    assert not audit_rows(AuditAction.PII_KEY_ROTATION)


def test_the_command_rotates_and_reports_the_count(world: World, new_primary_key: str, capsys) -> None:
    call_command("rotate_pii_keys", "--batch-size", "4")

    assert capsys.readouterr().out.strip() == "10 customers re-sealed under key 'B'"
    assert [event.data for event in audit_rows(AuditAction.PII_KEY_ROTATION)] == [{"key_id": "B", "rewritten": 10}]


def test_the_command_turns_a_refusal_into_a_command_error(world: World, settings) -> None:
    settings.PII_ENCRYPTION_KEYS = f"B:{NEW_KEY}"

    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_pii_keys")


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\u200b", "\ufeff", "\x07"])
def test_a_purpose_with_an_invisible_or_direction_changing_character_is_refused(world: World, hidden: str) -> None:
    with pytest.raises(ApplicationError, match=f"U\\+{ord(hidden):04X}") as raised:
        customer_reveal_pii(
            customer=world.customers_rm_bj[0],
            field=PiiKind.PHONE,
            actor=world.rm_bj.user,
            purpose=f"客户来电{hidden}核实",
        )

    assert raised.value.extra == {"field": "purpose", "position": 4}
    assert not AuditEvent.objects.exists()
