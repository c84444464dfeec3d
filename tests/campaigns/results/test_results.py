"""Conversions, uplift against the holdout, the A/B winner and last-touch attribution, from purchases."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignOccurrence, CampaignRecipient, CampaignStatus
from campaigns.results.selectors import campaign_results
from campaigns.services import VariantDraft, campaign_create
from customers.models import HoldingPurchase
from scrm.audit.models import AuditEvent
from tests.campaigns.factories import SegmentFactory, campaign_draft
from tests.conftest import World
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def campaign(world: World, **changes) -> Campaign:
    draft = campaign_draft(SegmentFactory(created_by=world.hq_admin), **changes)
    built = campaign_create(actor=world.hq_admin, draft=draft)
    Campaign.objects.filter(pk=built.pk).update(status=CampaignStatus.SENT)
    return built


def planned(campaign: Campaign, groups: dict[str, tuple[int, int]], *, on: datetime.date = DAY, world: World):
    """``groups``: label ("A", "B", "holdout") → (customers, of whom converted); returns the customers by label."""
    occurrence = CampaignOccurrence.objects.create(
        campaign=campaign,
        sequence=CampaignOccurrence.objects.filter(campaign=campaign).count() + 1,
        scheduled_for=timezone.now(),
    )
    customers = {}
    for label, (count, converted) in groups.items():
        members = CustomerFactory.create_batch(count, owner=world.rm_bj)
        for n, customer in enumerate(members):
            held_out = label == "holdout"
            CampaignRecipient.objects.create(
                occurrence=occurrence,
                customer=customer,
                variant="" if held_out else label,
                holdout=held_out,
                sender=None if held_out else world.rm_bj,
                external_userid="" if held_out else f"wm{customer.pk}",
                marketing=True,
                planned_on=on,
                send_status=None if held_out else 1,
            )
            if n < converted:
                bought(customer, on + datetime.timedelta(days=3))
        customers[label] = members
    return customers


def bought(customer, on: datetime.date, *, product_type: str = "fund", amount: str = "10000") -> None:
    HoldingPurchase.objects.create(
        customer=customer,
        product_code=f"P{HoldingPurchase.objects.count()}",
        product_type=product_type,
        amount=Decimal(amount),
        purchased_on=on,
        import_job_id=1,
        recorded_at=timezone.now(),
    )


def test_rates_per_variant_and_the_holdout_and_the_uplift_with_its_interval(world: World) -> None:
    c = campaign(world, variants=[VariantDraft("A", 50, "甲"), VariantDraft("B", 50, "乙")], holdout_percent=20)
    planned(c, {"A": (40, 10), "B": (40, 6), "holdout": (20, 2)}, world=world)

    results = campaign_results(c)

    assert [(v.label, v.assigned, v.delivered, v.converted) for v in results.variants] == [
        ("A", 40, 40, 10),
        ("B", 40, 40, 6),
    ]
    assert (results.holdout.assigned, results.holdout.converted) == (20, 2)
    assert results.uplift == pytest.approx(16 / 80 - 2 / 20)
    se = (0.2 * 0.8 / 80 + 0.1 * 0.9 / 20) ** 0.5
    low, high = results.uplift_interval
    assert (low, high) == (pytest.approx(0.1 - 1.959964 * se), pytest.approx(0.1 + 1.959964 * se))
    assert results.winner is None  # 25 % against 15 % on 40 each is not significant
    assert results.ab_p_value > 0.05


def test_a_variant_wins_only_when_the_difference_is_significant(world: World) -> None:
    c = campaign(world, variants=[VariantDraft("A", 50, "甲"), VariantDraft("B", 50, "乙")])
    planned(c, {"A": (120, 48), "B": (120, 12)}, world=world)

    results = campaign_results(c)

    assert results.winner == "A"
    assert results.ab_p_value < 0.001
    assert results.uplift is None  # no holdout, no uplift


def test_only_target_products_within_the_window_convert(world: World) -> None:
    c = campaign(world, target_product_types=["fund"], attribution_days=10)
    customers = planned(c, {"A": (5, 0)}, world=world)["A"]
    bought(customers[0], DAY + datetime.timedelta(days=10))  # last day of the window
    bought(customers[1], DAY + datetime.timedelta(days=11))  # one day late
    bought(customers[2], DAY - datetime.timedelta(days=1))  # before the message
    bought(customers[3], DAY + datetime.timedelta(days=2), product_type="insurance")  # not a target

    [variant] = campaign_results(c).variants

    assert variant.converted == 1


def test_a_purchase_is_attributed_to_the_last_campaign_that_touched_the_customer(world: World) -> None:
    first = campaign(world, name="先发活动")
    second = campaign(world, name="后发活动")
    [customer] = planned(first, {"A": (1, 0)}, on=DAY, world=world)["A"]
    occurrence = CampaignOccurrence.objects.create(campaign=second, sequence=1, scheduled_for=timezone.now())
    CampaignRecipient.objects.create(
        occurrence=occurrence,
        customer=customer,
        variant="A",
        sender=world.rm_bj,
        external_userid="wm-last",
        marketing=True,
        planned_on=DAY + datetime.timedelta(days=2),
        send_status=1,
    )
    bought(customer, DAY + datetime.timedelta(days=3), amount="88000")

    first_results, second_results = campaign_results(first), campaign_results(second)

    assert (first_results.attributed_purchases, second_results.attributed_purchases) == (0, 1)
    assert second_results.attributed_amount == Decimal("88000.00")
    # Both still count the customer as converted (intent-to-treat), only the credit is last-touch.
    assert first_results.variants[0].converted == second_results.variants[0].converted == 1


def test_the_api_and_the_page_show_the_results(world: World, client_for) -> None:
    c = campaign(world, variants=[VariantDraft("A", 50, "甲"), VariantDraft("B", 50, "乙")], holdout_percent=10)
    planned(c, {"A": (120, 48), "B": (120, 12), "holdout": (30, 3)}, world=world)

    body = client_for("hq_admin").get(f"/api/campaigns/{c.pk}/results/").json()
    page = client_for("compliance").get(f"/campaigns/{c.pk}/").content.decode()

    assert body["winner"] == "A"
    assert [g["group"] for g in body["variants"]] == ["A", "B"]
    assert body["holdout"]["converted"] == 3
    assert "胜出" in page
    assert "相对对照组的提升" in page
    assert client_for("rm").get(f"/api/campaigns/{c.pk}/results/").status_code == 403


def test_the_recipient_export_is_masked_scoped_and_audited(world: World, client_for) -> None:
    c = campaign(world, holdout_percent=10)
    planned(c, {"A": (3, 1), "holdout": (1, 0)}, world=world)
    other = CustomerFactory(owner=world.rm_sh, name="李四")
    CampaignRecipient.objects.create(
        occurrence=CampaignOccurrence.objects.get(campaign=c),
        customer=other,
        variant="A",
        sender=world.rm_sh,
        external_userid="wm-sh",
        marketing=True,
        planned_on=DAY,
    )

    hq = client_for("hq_admin").get(f"/campaigns/{c.pk}/recipients/?file_format=csv")
    manager = client_for("branch_manager").get(f"/campaigns/{c.pk}/recipients/?file_format=csv")

    hq_rows = b"".join(hq.streaming_content).decode("utf-8-sig").splitlines()
    manager_rows = b"".join(manager.streaming_content).decode("utf-8-sig").splitlines()
    assert hq_rows[0].startswith("批次,客户号,姓名")
    assert len(hq_rows) == 1 + 5
    assert len(manager_rows) == 1 + 4  # the Shanghai customer is outside Beijing's scope
    assert "张三" not in "".join(hq_rows)
    assert "张*" in "".join(hq_rows)
    assert any(",对照组," in row for row in hq_rows)
    assert any(",已送达," in row for row in hq_rows)
    exports = AuditEvent.objects.filter(action="campaign.recipients_exported").order_by("sequence")
    assert [e.data["row_count"] for e in exports] == [5, 4]
    assert client_for("hq_admin").get(f"/campaigns/{c.pk}/recipients/?file_format=pdf").status_code == 404


def test_the_api_exports_the_recipients_and_refuses_an_unknown_format(world: World, client_for) -> None:
    c = campaign(world)
    planned(c, {"A": (2, 0)}, world=world)

    xlsx_answer = client_for("hq_admin").get(f"/api/campaigns/{c.pk}/recipients/?file_format=xlsx")
    bad = client_for("hq_admin").get(f"/api/campaigns/{c.pk}/recipients/?file_format=doc")

    assert xlsx_answer.status_code == 200
    assert b"".join(xlsx_answer.streaming_content)[:2] == b"PK"  # a zip: the XLSX workbook
    assert bad.status_code == 400
