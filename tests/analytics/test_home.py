"""The home page per role: each figure inside the viewer's scope, and each role's own page."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from pytest_django.asserts import assertContains, assertNotContains

from analytics import selectors, services
from channels.models import AssignmentStrategy, ChannelCode
from customers.models import CustomerTag, ImportJob, ProductHolding, Tag, TagGroup, TimelineEvent
from customers.services import customer_reveal_pii
from scrm.pii import PiiKind
from tests.conftest import World
from tests.factories import CustomerFactory, ExternalContactFactory, FollowRelationFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 3)  # a Thursday


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def book(world: World) -> World:
    """Contacts, holdings, timeline events and tags for RMs in Beijing (two outlets) and Shanghai."""
    code = ChannelCode.objects.create(
        name="海淀海报",
        branch=world.bj_hd_1,
        strategy=AssignmentStrategy.FIXED,
        state="home1",
        created_by=world.hq_admin,
    )
    # rm_bj: two contacts this week (one linked to a customer), one last week.
    FollowRelationFactory(
        staff=world.rm_bj,
        added_at=_at(TODAY),
        channel=code,
        contact=ExternalContactFactory(customer=world.customers_rm_bj[0]),
    )
    FollowRelationFactory(staff=world.rm_bj, added_at=_at(TODAY - datetime.timedelta(days=3)), channel=code)
    FollowRelationFactory(staff=world.rm_bj, added_at=_at(TODAY - datetime.timedelta(days=5)))
    # rm_bj2 and rm_sh: one each this week, both linked.
    FollowRelationFactory(
        staff=world.rm_bj2, added_at=_at(TODAY), contact=ExternalContactFactory(customer=world.customers_rm_bj2[0])
    )
    FollowRelationFactory(
        staff=world.rm_sh, added_at=_at(TODAY), contact=ExternalContactFactory(customer=world.customers_rm_sh[0])
    )
    for customer, days in (
        (world.customers_rm_bj[0], 5),
        (world.customers_rm_bj[1], 29),
        (world.customers_rm_bj[2], 31),
        (world.customers_rm_bj2[0], 10),
        (world.customers_rm_sh[0], 3),
    ):
        ProductHolding.objects.create(
            customer=customer,
            product_code=f"TD{customer.pk}",
            product_name="三年定期",
            product_type="time_deposit",
            amount=Decimal("50000"),
            maturity_date=TODAY + datetime.timedelta(days=days),
        )
    for customer in (world.customers_rm_bj[1], world.customers_rm_sh[0]):
        TimelineEvent.objects.create(
            customer=customer, kind="contacted", occurred_at=_at(TODAY), summary=f"电话回访 {customer.customer_no}"
        )
    group = TagGroup.objects.create(code="value", name="价值分层")
    tag = Tag.objects.create(code="vip", name="贵宾", group=group)
    for customer in (world.customers_rm_bj[0], world.customers_rm_sh[0], world.customers_rm_sh[1]):
        CustomerTag.objects.create(customer=customer, tag=tag)
    return world


def test_an_rms_figures_count_only_their_own_book(book: World) -> None:
    user = book.rm_bj.user

    assert selectors.home_customer_count(user=user) == 4  # three owned and the outlet's unassigned one
    assert selectors.home_new_contacts_this_week(user=user, today=TODAY) == 2
    rate = selectors.home_verification_rate(user=user)
    assert (rate.total, rate.authenticated) == (3, 1)
    maturing = selectors.home_maturities(user=user, today=TODAY)
    assert [holding.customer_no for holding in maturing] == [
        book.customers_rm_bj[0].customer_no,
        book.customers_rm_bj[1].customer_no,
    ]
    assert selectors.home_maturities_count(user=user, today=TODAY) == 2
    assert maturing[0].name_masked == "张*"
    timeline = selectors.home_timeline(user=user)
    assert [item.customer_no for item in timeline] == [book.customers_rm_bj[1].customer_no]


def test_a_branch_managers_figures_cover_the_subtree_with_a_row_per_rm(book: World) -> None:
    user = book.branch_manager_bj.user

    assert selectors.home_new_contacts_this_week(user=user, today=TODAY) == 3
    assert selectors.home_maturities_count(user=user, today=TODAY) == 3
    rows = {row.staff_id: row for row in selectors.home_rm_table(user=user, today=TODAY)}
    assert set(rows) == {book.rm_bj.pk, book.rm_bj2.pk}  # Shanghai's RM is outside the subtree
    assert (rows[book.rm_bj.pk].customers, rows[book.rm_bj.pk].new_contacts, rows[book.rm_bj.pk].maturities) == (
        3,
        2,
        2,
    )
    assert rows[book.rm_bj.pk].verification.percent == "33.3%"
    assert (rows[book.rm_bj2.pk].customers, rows[book.rm_bj2.pk].new_contacts, rows[book.rm_bj2.pk].maturities) == (
        2,
        1,
        1,
    )
    assert rows[book.rm_bj2.pk].verification.percent == "100.0%"


def test_head_office_sees_the_bank(book: World) -> None:
    user = book.hq_admin.user

    chart = selectors.home_acquisition_by_channel(user=user, today=TODAY)
    assert len(chart.days) == 30
    assert chart.days[-1] == TODAY
    assert [(channel.name, channel.total) for channel in chart.channels] == [("海淀海报", 2)]
    assert chart.channels[0].by_day[-1] == 1
    assert chart.channels[0].by_day[-4] == 1
    coverage = selectors.home_tag_coverage(user=user)
    assert (coverage.customers, coverage.tagged, coverage.percent) == (10, 3, "30.0%")
    assert [(group.name, group.customers) for group in coverage.by_group] == [("价值分层", 3)]
    branches = {row.label: row for row in selectors.home_verification_by_branch(user=user)}
    assert (branches["北京分行"].total, branches["北京分行"].authenticated) == (4, 2)
    assert (branches["上海分行"].total, branches["上海分行"].authenticated) == (1, 1)


def test_tag_coverage_and_channel_adds_are_scoped_too(book: World) -> None:
    coverage = selectors.home_tag_coverage(user=book.branch_manager_bj.user)
    assert (coverage.customers, coverage.tagged) == (6, 1)
    shanghai = selectors.home_acquisition_by_channel(user=book.rm_sh.user, today=TODAY)
    assert shanghai.channels == []


def test_compliance_home_figures(book: World) -> None:
    customer_reveal_pii(
        customer=book.customers_rm_bj[0], field=PiiKind.PHONE, actor=book.rm_bj.user, purpose="核实身份"
    )

    with translation.override("zh-hans"):  # field names are words in the reader's language
        reveals = selectors.home_reveals_recent()
    assert [(row.actor, row.customer_no, row.field) for row in reveals] == [
        ("rm", book.customers_rm_bj[0].customer_no, "手机号")
    ]
    assert selectors.home_chain_status().latest is None
    assert selectors.home_open_violations(user=book.compliance.user) == 0


def test_the_rms_home_page_shows_their_figures(book: World, client_for) -> None:
    response = client_for("rm").get("/")

    assert response.status_code == 200
    assertContains(response, 'id="stat-customers">4<', html=False)
    assertContains(response, 'id="stat-new-contacts"')
    assertContains(response, "三年定期")
    assertContains(response, "电话回访")
    assertNotContains(response, book.customers_rm_sh[0].customer_no)
    assertNotContains(response, 'id="rm-table"')


def test_the_branch_managers_home_page_has_the_rm_table(book: World, client_for) -> None:
    response = client_for("branch_manager").get("/")

    assertContains(response, f'data-staff-id="{book.rm_bj.pk}"')
    assertContains(response, f'data-staff-id="{book.rm_bj2.pk}"')
    assertNotContains(response, f'data-staff-id="{book.rm_sh.pk}"')


def test_head_office_home_page_has_the_chart_coverage_and_jobs(book: World, client_for) -> None:
    ImportJob.objects.create(
        kind="customers", mode="valid_rows", original_name="客户名单.csv", created_by=book.hq_admin
    )

    response = client_for("hq_admin").get("/")

    assertContains(response, 'id="home-acquisition-data"')
    assertContains(response, "客户名单.csv")
    assertContains(response, 'id="tag-coverage"')
    assertContains(response, "价值分层")


def test_compliance_home_page_shows_reveals_and_the_chain(book: World, client_for) -> None:
    customer_reveal_pii(
        customer=book.customers_rm_bj[0], field=PiiKind.PHONE, actor=book.rm_bj.user, purpose="核实身份"
    )

    response = client_for("compliance").get("/")

    assertContains(response, 'id="recent-reveals"')
    assertContains(response, "核实身份")
    assertContains(response, 'id="chain-check-start"')
    assertContains(response, 'id="stat-open-violations"')


def test_the_page_keeps_a_viewers_figures_for_a_while_and_recounts_when_forgotten(book: World, client_for) -> None:
    client = client_for("rm")
    assert client.get("/").context["customers"] == 4

    CustomerFactory(owner=book.rm_bj)
    kept = client.get("/")
    assert kept.context["customers"] == 4
    assertContains(kept, 'id="computed-at"')

    services.home_figures_forget(user=book.rm_bj.user)
    assert client.get("/").context["customers"] == 5


def test_compliance_figures_are_always_live(book: World, client_for) -> None:
    client = client_for("compliance")
    assert client.get("/").context["reveals"] == []

    customer_reveal_pii(customer=book.customers_rm_bj[0], field=PiiKind.NAME, actor=book.rm_bj.user, purpose="核对")

    assert len(client.get("/").context["reveals"]) == 1
