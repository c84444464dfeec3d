"""Batch rule evaluation agrees with an independent evaluation of the same rules in pandas.

The pandas evaluator below is written from the rule language's documented semantics,
not from the SQL compiler, so the two can only agree if the compiler is right.
"""

import datetime
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from django.db.models import Count

from customers.models import (
    Customer,
    CustomerTag,
    Gender,
    LifecycleStage,
    ProductHolding,
    ProductType,
    RiskLevel,
    Tag,
    TagGroup,
    TagKind,
    TagRuleRun,
    TimelineEvent,
)
from customers.tagging.services import (
    tag_create,
    tag_group_create,
    tag_rule_range_evaluate,
    tag_rule_run_start,
    tag_rule_save,
)
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 6, 15)
ZONE = ZoneInfo("Asia/Shanghai")
CUSTOMERS = 3000

RULES = {
    "rich": {"field": "aum", "op": "gte", "value": 500000},
    "middle_aged_women": {
        "all": [{"field": "gender", "op": "eq", "value": "F"}, {"field": "age", "op": "between", "value": [35, 55]}]
    },
    "not_recently_contacted": {"field": "days_since_last_contact", "op": "gt", "value": 90},
    "contacted_exactly_ten_days_ago": {"field": "days_since_last_contact", "op": "eq", "value": 10},
    "wealth_or_fund_or_maturing": {
        "any": [
            {"field": "product_type_held", "op": "in", "value": ["wealth", "fund"]},
            {"field": "holding_matures", "op": "within", "value": 30},
        ]
    },
    "beijing_consenting_not_dormant": {
        "all": [
            {"field": "branch", "op": "in_subtree", "value": "BJ"},
            {"field": "marketing_consent", "op": "eq", "value": True},
            {"not": {"field": "lifecycle_stage", "op": "in", "value": ["dormant", "churned"]}},
        ]
    },
    "young_or_new": {
        "any": [{"field": "age", "op": "lt", "value": 30}, {"field": "days_as_customer", "op": "lte", "value": 365}]
    },
    "vip_without_insurance": {
        "all": [
            {"field": "has_tag", "op": "eq", "value": "vip"},
            {"field": "product_type_held", "op": "not_in", "value": ["insurance"]},
            {"field": "risk_level", "op": "ne", "value": "C1"},
        ]
    },
    "not_sixty": {"field": "age", "op": "ne", "value": 60},
    "assessed_below_aggressive": {"field": "risk_level", "op": "not_in", "value": ["C4", "C5"]},
    "risk_not_c5": {"field": "risk_level", "op": "ne", "value": "C5"},
    "not_opened_recently": {"field": "days_as_customer", "op": "ne", "value": 10},
    "older_than_sixty_five": {"field": "age", "op": "gt", "value": 65},
}


def random_customers(world: World, rng: random.Random) -> None:
    outlets = [world.rm_bj, world.rm_bj2, world.rm_sh]
    customers = []
    for _ in range(CUSTOMERS):
        owner = rng.choice(outlets)
        birth = None if rng.random() < 0.05 else ON - datetime.timedelta(days=rng.randint(18 * 365, 85 * 365))
        if rng.random() < 0.02:  # exact birthdays and 29 Februaries test the age boundaries
            birth = rng.choice([ON.replace(year=ON.year - 60), datetime.date(1960, 2, 29), ON.replace(year=1990)])
        contact = None
        if rng.random() < 0.85:
            contact = datetime.datetime.combine(
                ON - datetime.timedelta(days=rng.randint(0, 200)),
                datetime.time(rng.randint(0, 23), rng.randint(0, 59)),
                tzinfo=ZONE,
            )
        customers.append(
            CustomerFactory.build(
                owner=owner,
                branch=owner.branch,
                gender=rng.choice(Gender.values),
                birth_date=birth,
                aum=Decimal(rng.choice([499999.99, 500000, 500000.01, rng.lognormvariate(11, 1.5)])).quantize(
                    Decimal("0.01")
                ),
                lifecycle_stage=rng.choice(LifecycleStage.values),
                # About one in ten was never assessed (blank): no risk condition may hold for them.
                risk_level="" if rng.random() < 0.1 else rng.choice(RiskLevel.values),
                marketing_consent=rng.random() < 0.6,
                last_contact_at=contact,
                opened_on=None if rng.random() < 0.05 else ON - datetime.timedelta(days=rng.randint(0, 3000)),
            )
        )
    created = Customer.objects.bulk_create(customers)
    holdings = []
    for customer in created:
        for index in range(rng.randint(0, 3)):
            maturity = None
            if rng.random() < 0.5:
                maturity = ON + datetime.timedelta(days=rng.randint(-20, 60))
            holdings.append(
                ProductHolding(
                    customer=customer,
                    product_code=f"P{index}",
                    product_name="产品",
                    product_type=rng.choice(ProductType.values),
                    amount=Decimal("1000.00"),
                    maturity_date=maturity,
                )
            )
    ProductHolding.objects.bulk_create(holdings)
    vip = Tag.objects.get(code="vip")
    CustomerTag.objects.bulk_create(
        [CustomerTag(customer=c, tag=vip, source=TagKind.MANUAL) for c in created if rng.random() < 0.3]
    )


def customer_frame() -> pd.DataFrame:
    frame = pd.DataFrame.from_records(
        Customer.objects.values(
            "id",
            "aum",
            "gender",
            "birth_date",
            "lifecycle_stage",
            "risk_level",
            "marketing_consent",
            "last_contact_at",
            "opened_on",
            "branch__path",
        )
    ).set_index("id")
    holdings = pd.DataFrame.from_records(ProductHolding.objects.values("customer_id", "product_type", "maturity_date"))
    frame["product_types"] = holdings.groupby("customer_id")["product_type"].agg(set)
    frame["product_types"] = frame["product_types"].apply(lambda value: value if isinstance(value, set) else set())
    maturing = holdings[holdings["maturity_date"].notna()]
    frame["maturities"] = maturing.groupby("customer_id")["maturity_date"].agg(list)
    frame["maturities"] = frame["maturities"].apply(lambda value: value if isinstance(value, list) else [])
    tags = pd.DataFrame.from_records(CustomerTag.objects.values("customer_id", "tag__code"))
    frame["tags"] = tags.groupby("customer_id")["tag__code"].agg(set)
    frame["tags"] = frame["tags"].apply(lambda value: value if isinstance(value, set) else set())
    return frame


def age(birth: datetime.date | None) -> int | None:
    if birth is None or pd.isna(birth):
        return None
    return ON.year - birth.year - ((ON.month, ON.day) < (birth.month, birth.day))


def compare(value: object, op: str, operand: object) -> bool:
    if value is None:
        return False
    match op:
        case "eq":
            return value == operand
        case "ne":
            return value != operand
        case "gt":
            return value > operand
        case "gte":
            return value >= operand
        case "lt":
            return value < operand
        case "lte":
            return value <= operand
        case "between":
            low, high = operand
            return low <= value <= high
        case "in":
            return value in operand
        case "not_in":
            return value not in operand
    raise AssertionError(op)


def matches(row: pd.Series, node: dict, branch_paths: dict[str, str]) -> bool:
    if "all" in node:
        return all(matches(row, child, branch_paths) for child in node["all"])
    if "any" in node:
        return any(matches(row, child, branch_paths) for child in node["any"])
    if "not" in node:
        return not matches(row, node["not"], branch_paths)
    field, op, value = node["field"], node["op"], node["value"]
    match field:
        case "aum":
            return compare(row["aum"], op, Decimal(str(value)))
        case "gender" | "lifecycle_stage" | "risk_level" | "marketing_consent":
            return compare(row[field] if row[field] != "" else None, op, value)
        case "age":
            return compare(age(row["birth_date"]), op, value)
        case "days_as_customer":
            opened = row["opened_on"]
            return compare(None if pd.isna(opened) else (ON - opened).days, op, value)
        case "days_since_last_contact":
            contact = row["last_contact_at"]
            if contact is None or pd.isna(contact):
                return op in ("gt", "gte", "ne")  # never contacted: infinitely long ago
            return compare((ON - contact.astimezone(ZONE).date()).days, op, value)
        case "branch":
            return row["branch__path"].startswith(branch_paths[value])
        case "product_type_held":
            held = bool(row["product_types"] & set(value))
            return held if op == "in" else not held
        case "holding_matures":
            return any(ON <= day <= ON + datetime.timedelta(days=value) for day in row["maturities"])
        case "has_tag":
            return (value in row["tags"]) == (op == "eq")
    raise AssertionError(field)


@pytest.fixture
def rule_tags(world: World) -> dict[str, Tag]:
    group = tag_group_create(code="auto", name="自动标签")
    manual = tag_group_create(code="manual", name="手工标签")
    tag_create(group=manual, code="vip", name="VIP")
    tags = {}
    for code, definition in RULES.items():
        tags[code] = tag_create(group=group, code=code, name=code, kind=TagKind.RULE)
        tag_rule_save(tag=tags[code], definition=definition, actor=world.hq_admin)
    return tags


def run_all_rules(range_size: int) -> TagRuleRun:
    run = tag_rule_run_start(range_size=range_size, on=ON)
    for range_id in run.ranges.values_list("id", flat=True):
        tag_rule_range_evaluate(range_id=range_id)
    run.refresh_from_db()
    return run


def test_batch_evaluation_equals_an_independent_evaluation(world: World, rule_tags: dict[str, Tag]) -> None:
    random_customers(world, random.Random(20261123))
    frame = customer_frame()  # before the run: has_tag sees only the manual tags
    branch_paths = {branch.code: branch.path for branch in (world.bj, world.sh)}

    run = run_all_rules(range_size=700)

    assert run.status == "succeeded"
    assert run.ranges_done == run.ranges_total > 1
    for code, definition in RULES.items():
        expected = {customer_id for customer_id, row in frame.iterrows() if matches(row, definition, branch_paths)}
        actual = set(CustomerTag.objects.filter(tag=rule_tags[code]).values_list("customer_id", flat=True))
        assert actual == expected, code
        assert 0 < len(expected) < len(frame), f"{code} should split the customers"


def test_a_second_run_changes_nothing_and_writes_no_events(world: World, rule_tags: dict[str, Tag]) -> None:
    random_customers(world, random.Random(7))
    first = run_all_rules(range_size=1000)
    events_after_first = TimelineEvent.objects.count()

    second = run_all_rules(range_size=1000)

    assert first.tags_added > 0
    assert (second.tags_added, second.tags_removed) == (0, 0)
    assert TimelineEvent.objects.count() == events_after_first


def test_a_rule_change_takes_effect_for_everyone_in_one_run(world: World, rule_tags: dict[str, Tag]) -> None:
    random_customers(world, random.Random(11))
    run_all_rules(range_size=1000)
    rich = rule_tags["rich"]
    before = set(CustomerTag.objects.filter(tag=rich).values_list("customer_id", flat=True))

    tag_rule_save(tag=rich, definition={"field": "aum", "op": "gte", "value": 1000000}, actor=world.hq_admin)
    run = run_all_rules(range_size=1000)

    after = set(CustomerTag.objects.filter(tag=rich).values_list("customer_id", flat=True))
    expected = set(Customer.objects.filter(aum__gte=1000000).values_list("id", flat=True))
    assert after == expected
    assert after < before
    untagged = TimelineEvent.objects.filter(kind="untagged", data__tag="rich")
    assert set(untagged.values_list("customer_id", flat=True)) == before - after
    assert run.tags_removed == len(before - after)
    rich.rule.refresh_from_db()
    assert rich.rule.last_match_count == len(after)


def test_an_evaluated_range_is_not_evaluated_twice(world: World, rule_tags: dict[str, Tag]) -> None:
    random_customers(world, random.Random(3))
    run = tag_rule_run_start(range_size=100_000, on=ON)
    (range_id,) = run.ranges.values_list("id", flat=True)
    tag_rule_range_evaluate(range_id=range_id)
    counts = dict(CustomerTag.objects.values("tag").annotate(n=Count("id")).values_list("tag", "n"))

    tag_rule_range_evaluate(range_id=range_id)  # a duplicate or retried task

    run.refresh_from_db()
    assert run.ranges_done == 1
    assert dict(CustomerTag.objects.values("tag").annotate(n=Count("id")).values_list("tag", "n")) == counts


def test_rules_in_an_exclusive_group_give_at_most_one_tag(world: World) -> None:
    tiers = tag_group_create(code="tier", name="资产等级", exclusive=True)
    high = tag_create(group=tiers, code="tier_high", name="高", kind=TagKind.RULE)
    any_aum = tag_create(group=tiers, code="tier_any", name="任意", kind=TagKind.RULE)
    tag_rule_save(tag=high, definition={"field": "aum", "op": "gte", "value": 500000}, actor=world.hq_admin)
    tag_rule_save(tag=any_aum, definition={"field": "aum", "op": "gte", "value": 0}, actor=world.hq_admin)
    Customer.objects.filter(pk=world.customers_rm_bj[0].pk).update(aum=Decimal("800000"))

    run_all_rules(range_size=1000)

    tags_per_customer = CustomerTag.objects.values("customer").annotate(n=Count("id")).values_list("n", flat=True)
    assert set(tags_per_customer) == {1}
    assert list(CustomerTag.objects.filter(tag=high).values_list("customer_id", flat=True)) == [
        world.customers_rm_bj[0].pk
    ]


def test_starting_a_run_enqueues_one_task_per_range_after_commit(
    world: World, rule_tags: dict[str, Tag], django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        run = tag_rule_run_start(range_size=3, on=ON)

    assert run.ranges_total == run.ranges.count() > 1
    assert len(callbacks) == 1


def test_no_risk_condition_selects_a_customer_whose_risk_was_never_assessed(world: World) -> None:
    unassessed = CustomerFactory(owner=world.rm_bj, risk_level="")
    assessed = CustomerFactory(owner=world.rm_bj, risk_level="C3")
    group = TagGroup.objects.create(code="suitability", name="适当性")
    rules = {
        "not_c5": {"field": "risk_level", "op": "ne", "value": "C5"},
        "not_aggressive": {"field": "risk_level", "op": "not_in", "value": ["C4", "C5"]},
        "is_c3": {"field": "risk_level", "op": "eq", "value": "C3"},
    }
    for code, definition in rules.items():
        tag = Tag.objects.create(group=group, code=code, name=code, kind=TagKind.RULE)
        tag_rule_save(tag=tag, definition=definition, actor=world.hq_admin)

    run_all_rules(range_size=100_000)

    assert set(unassessed.tag_links.values_list("tag__code", flat=True)) == set()
    assert set(assessed.tag_links.values_list("tag__code", flat=True)) == {"not_c5", "not_aggressive", "is_c3"}


def test_more_rules_than_one_mask_word_holds_with_an_exclusive_group_across_the_boundary(world: World) -> None:
    """A run's wanted and current tags compare as bigint masks of 63 rules each: rule 64 and
    after go to a second word, and an exclusive group may straddle the two."""
    rng = random.Random(64)
    plain = tag_group_create(code="many", name="多规则")
    thresholds: dict[Tag, int] = {}

    def plain_rules(count: int) -> None:
        for _ in range(count):
            index = len(thresholds)
            tag = tag_create(group=plain, code=f"aum_{index}", name=f"资产{index}", kind=TagKind.RULE)
            thresholds[tag] = index * 10_000
            tag_rule_save(
                tag=tag, definition={"field": "aum", "op": "gte", "value": index * 10_000}, actor=world.hq_admin
            )

    plain_rules(62)  # word 0, bits 0–61
    tiers = tag_group_create(code="tier", name="资产等级", exclusive=True)
    tier_thresholds = [600_000, 300_000, 0]  # bits 62 of word 0, then 0 and 1 of word 1
    tier_tags = []
    for index, threshold in enumerate(tier_thresholds):
        tag = tag_create(group=tiers, code=f"tier_{index}", name=f"等级{index}", kind=TagKind.RULE)
        tag_rule_save(tag=tag, definition={"field": "aum", "op": "gte", "value": threshold}, actor=world.hq_admin)
        tier_tags.append(tag)
    plain_rules(8)  # word 1
    owner = world.rm_sh
    customers = Customer.objects.bulk_create(
        CustomerFactory.build(owner=owner, branch=owner.branch, aum=Decimal(rng.randint(0, 800_000)))
        for _ in range(300)
    )
    # Yesterday's tags, some right and some wrong, in both words.
    wrong = [tier_tags[1], tier_tags[2], *list(thresholds)[60:66]]
    CustomerTag.objects.bulk_create(
        CustomerTag(customer=customer, tag=rng.choice(wrong), source=TagKind.RULE) for customer in customers[::3]
    )

    run = run_all_rules(range_size=120)

    assert run.status == "succeeded"
    everyone = list(Customer.objects.all())
    for tag, threshold in thresholds.items():
        expected = {c.pk for c in everyone if c.aum >= threshold}
        assert set(CustomerTag.objects.filter(tag=tag).values_list("customer_id", flat=True)) == expected, tag.code
    for customer in everyone:
        tier = next(tag for tag, threshold in zip(tier_tags, tier_thresholds, strict=True) if customer.aum >= threshold)
        held = set(CustomerTag.objects.filter(customer=customer, tag__group=tiers).values_list("tag_id", flat=True))
        assert held == {tier.pk}
    second = run_all_rules(range_size=120)
    assert (second.tags_added, second.tags_removed) == (0, 0)
