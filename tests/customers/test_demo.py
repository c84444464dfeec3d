"""seed_demo: the demo bank, its staff and customers, valid and consistent down to the check digit."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.demo import DEMO_SEGMENT_NAME
from customers.demo import (
    MATURITY_HORIZON_DAYS,
    PHONE_PREFIXES,
    DemoCustomerDrawer,
    demo_customer_ids_reserve,
    demo_customers_create,
)
from customers.identity import id_number_birth_date, id_number_is_male, is_valid_id_number
from customers.models import (
    Customer,
    CustomerTag,
    Gender,
    ProductHolding,
    ProductType,
    Segment,
    Tag,
    TagGroup,
    TagRule,
    TagRuleRun,
)
from customers.segments.selectors import segment_members_bank_wide
from scrm.core.exceptions import ApplicationError
from scrm.org.demo import DEMO_PASSWORD, SURNAMES, demo_org_create
from scrm.org.models import Branch, BranchLevel, Role, Staff
from scrm.org.services import ROLE_LEVELS
from scrm.pii import PiiKind, blind_index, unseal
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = 2000
SEED = 20240601


def seed_demo(**options: object) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    """The demo bank without its churn history and model, which tests/risk/churn/test_demo.py covers."""
    return seed_demo(customers=CUSTOMERS, seed=SEED, churn_history_up_to=0)


def staff(username: str) -> Staff:
    return Staff.objects.select_related("branch").get(user__username=username)


def test_the_bank_has_one_hq_five_branches_25_sub_branches_and_100_outlets(seeded: str) -> None:
    levels = Counter(Branch.objects.values_list("level", flat=True))

    assert levels == {BranchLevel.HQ: 1, BranchLevel.BRANCH: 5, BranchLevel.SUB_BRANCH: 25, BranchLevel.OUTLET: 100}
    assert Branch.objects.find_problems() == ([], [], [], [], [])
    beijing = Branch.objects.get(name="北京分行")
    assert (beijing.region_code, beijing.city) == ("110105", "北京")
    assert Branch.objects.get_children_count(beijing) == 5
    for outlet in Branch.objects.filter(level=BranchLevel.OUTLET):
        assert outlet.region_code == Branch.objects.get_parent(outlet).region_code


def test_500_staff_each_in_a_place_their_role_allows(seeded: str) -> None:
    roles = Counter(Staff.objects.values_list("role", flat=True))
    rms_per_outlet = Staff.objects.filter(role=Role.RM).values("branch").annotate(n=Count("id"))

    assert sum(roles.values()) == 500
    assert roles == {Role.HQ_ADMIN: 3, Role.COMPLIANCE: 3, Role.BRANCH_MANAGER: 30, Role.RM: 464}
    assert {row["n"] for row in rms_per_outlet} == {4, 5}
    assert len(rms_per_outlet) == 100
    for person in Staff.objects.select_related("branch"):
        assert person.branch.level in ROLE_LEVELS[Role(person.role)]
    assert Staff.objects.filter(wecom_userid__regex=r"^[a-z]+_[0-9]{5}$").count() == 500
    assert get_user_model().objects.filter(username__regex=r"^rm[0-9]{4}$").count() == 463


@pytest.mark.parametrize(
    ("username", "role", "place"),
    [
        ("hq_admin", Role.HQ_ADMIN, "总行"),
        ("compliance", Role.COMPLIANCE, "总行"),
        ("branch_manager", Role.BRANCH_MANAGER, "北京分行"),
        ("rm", Role.RM, "国贸网点"),
    ],
)
def test_the_demo_logins_sign_in_with_the_demo_password(seeded: str, username: str, role: Role, place: str) -> None:
    response = Client().post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})

    assert response.status_code == 302
    assert (staff(username).role, staff(username).branch.name) == (role, place)
    assert username in seeded


def test_the_rm_login_works_under_beijing_and_owns_a_good_share_of_customers(seeded: str) -> None:
    rm = staff("rm")

    assert Branch.objects.get_ancestors(rm.branch).filter(name="北京分行").exists()
    assert rm.customers.count() >= 0.03 * CUSTOMERS


def test_every_owner_is_an_rm_of_the_customers_own_outlet(seeded: str) -> None:
    customers = Customer.objects.all()

    assert customers.count() == CUSTOMERS
    assert not customers.exclude(branch__level=BranchLevel.OUTLET).exists()
    assert not customers.filter(owner__isnull=False).exclude(owner__branch=F("branch"), owner__role=Role.RM).exists()
    assert 0.03 * CUSTOMERS <= customers.filter(owner__isnull=True).count() <= 0.07 * CUSTOMERS


def test_every_id_number_is_valid_unique_and_agrees_with_the_customer(seeded: str) -> None:
    today = timezone.localdate()
    seen = set()
    for customer in Customer.objects.select_related("branch"):
        number = unseal(customer.id_number_cipher, kind=PiiKind.ID_NUMBER)
        assert is_valid_id_number(number)
        assert number[:6] == customer.branch.region_code
        assert id_number_birth_date(number) == customer.birth_date
        assert customer.gender == (Gender.MALE if id_number_is_male(number) else Gender.FEMALE)
        assert bytes(customer.id_number_index) == blind_index(number, kind=PiiKind.ID_NUMBER)
        assert 18 <= (today - customer.birth_date).days / 365.2425 < 86
        seen.add(number)
    assert len(seen) == CUSTOMERS


def test_sealed_pii_decrypts_and_the_phone_blind_index_finds_the_customer(seeded: str) -> None:
    surnames = {surname for surname, _, _ in SURNAMES}
    phones = set()
    for customer in Customer.objects.all():
        name = unseal(customer.name_cipher, kind=PiiKind.NAME)
        phone = unseal(customer.phone_cipher, kind=PiiKind.PHONE)
        assert name[0] in surnames
        assert len(name) in {2, 3}
        assert phone.isdigit()
        assert len(phone) == 11
        assert int(phone[:3]) in PHONE_PREFIXES
        phones.add(phone)
    assert len(phones) == CUSTOMERS

    sample = Customer.objects.order_by("?").first()
    phone = unseal(sample.phone_cipher, kind=PiiKind.PHONE)
    assert Customer.objects.get(phone_index=blind_index(phone, kind=PiiKind.PHONE)) == sample


def test_holdings_are_zero_to_three_distinct_products_with_maturities_ahead(seeded: str) -> None:
    today = timezone.localdate()
    per_customer = Counter(Customer.objects.annotate(n=Count("holdings")).values_list("n", flat=True))
    time_deposits = ProductHolding.objects.filter(product_type=ProductType.TIME_DEPOSIT)

    assert set(per_customer) == {0, 1, 2, 3}
    assert time_deposits.exists()
    assert not time_deposits.filter(maturity_date__isnull=True).exists()
    assert not time_deposits.exclude(
        maturity_date__gt=today, maturity_date__lte=today + datetime.timedelta(days=MATURITY_HORIZON_DAYS)
    ).exists()
    assert (
        not ProductHolding.objects.exclude(product_type=ProductType.TIME_DEPOSIT)
        .filter(maturity_date__isnull=False)
        .exists()
    )
    assert not ProductHolding.objects.filter(amount__lte=0).exists()
    assert not ProductHolding.objects.filter(opened_on__lt=F("customer__opened_on")).exists()


def test_if_empty_makes_a_second_run_do_nothing(seeded: str) -> None:
    before = (Branch.objects.count(), Staff.objects.count(), Customer.objects.count(), ProductHolding.objects.count())

    output = seed_demo(customers=CUSTOMERS, if_empty=True)

    assert "nothing seeded" in output
    after = (Branch.objects.count(), Staff.objects.count(), Customer.objects.count(), ProductHolding.objects.count())
    assert after == before


def test_a_second_run_adds_customers_after_the_highest_existing_number(seeded: str) -> None:
    CustomerFactory(customer_no="C0000500000", owner=staff("rm0001"))

    added = demo_customers_create(count=10, seed=SEED)

    assert (added.first_customer_no, added.last_customer_no) == ("C0000500001", "C0000500010")
    assert Branch.objects.count() == 131
    assert Customer.objects.count() == CUSTOMERS + 11


def test_chunks_continue_each_other_without_repeating_an_id_number() -> None:
    seed_demo(customers=0, seed=SEED)

    added = demo_customers_create(count=1500, seed=SEED, chunk_size=400)

    numbers = Customer.objects.order_by("customer_no").values_list("customer_no", flat=True)
    assert list(numbers) == [f"C{n:010d}" for n in range(1, 1501)]
    assert (added.customers, added.last_customer_no) == (1500, "C0000001500")
    id_numbers = {unseal(c.id_number_cipher, kind=PiiKind.ID_NUMBER) for c in Customer.objects.all()}
    assert len(id_numbers) == 1500


def test_drawers_side_by_side_take_disjoint_id_number_sequences() -> None:
    """The bench seeds with one drawer per process: part p of 2 issues only sequence slots ≡ p (mod 2)."""
    seed_demo(customers=0, seed=SEED)
    today = timezone.localdate()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.connection.cursor()
        for part in (0, 1):
            drawer = DemoCustomerDrawer(seed=[SEED, part], today=today, part=part, parts=2)
            drawer.copy(cursor, ids=demo_customer_ids_reserve(cursor, count=700), first_serial=1 + 700 * part)

    slots_by_part: dict[int, set[int]] = {0: set(), 1: set()}
    for customer in Customer.objects.all():
        number = unseal(customer.id_number_cipher, kind=PiiKind.ID_NUMBER)
        assert is_valid_id_number(number)
        sequence = int(number[14:17])
        slots_by_part[(int(customer.customer_no[1:]) - 1) // 700].add((sequence - 1) // 2)
    assert {slot % 2 for slot in slots_by_part[0]} == {0}
    assert {slot % 2 for slot in slots_by_part[1]} == {1}


def test_the_demo_org_goes_only_into_an_empty_bank(seeded: str) -> None:
    with pytest.raises(ApplicationError, match="already has an HQ"):
        demo_org_create(seed=SEED)

    assert Branch.objects.count() == 131


def test_the_same_seed_gives_the_same_bank() -> None:
    def plaintexts() -> list[tuple[str, str, str, str]]:
        return [
            (c.customer_no, unseal(c.name_cipher, kind=PiiKind.NAME), str(c.aum), c.owner.user.username)
            for c in Customer.objects.filter(owner__isnull=False).select_related("owner__user").order_by("customer_no")
        ]

    seed_demo(customers=200, seed=SEED, churn_history_up_to=0)
    first = plaintexts()
    TagRuleRun.objects.all().delete()
    TagRule.objects.all().delete()
    Tag.objects.all().delete()
    TagGroup.objects.all().delete()
    ProductHolding.objects.all().delete()
    Customer.objects.all().delete()
    Segment.objects.all().delete()
    Staff.objects.all().delete()
    get_user_model().objects.all().delete()
    Branch.objects.all().delete()
    seed_demo(customers=200, seed=SEED, churn_history_up_to=0)

    assert plaintexts() == first


def test_the_demo_comes_with_evaluated_tag_rules() -> None:
    seed_demo(customers=500, seed=SEED, churn_history_up_to=0)

    tiers = CustomerTag.objects.filter(tag__group__code="aum_tier")
    assert tiers.exists()
    assert set(tiers.values_list("tag__code", flat=True)) <= {"tier_private", "tier_wealth", "tier_potential"}
    # exclusive group: at most one tier per customer
    assert tiers.count() == tiers.values("customer").distinct().count()
    assert Tag.objects.filter(kind="manual", group__code="interests").count() == 4


def test_the_demo_has_the_segment_the_campaign_walkthrough_starts_from(seeded: str) -> None:
    segment = Segment.objects.get(name=DEMO_SEGMENT_NAME)

    members = segment_members_bank_wide(segment=segment)
    assert 0 < members.count() < Customer.objects.count()
    assert not members.filter(marketing_consent=False).exists()
