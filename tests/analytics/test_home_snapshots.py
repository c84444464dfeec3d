"""Branch managers' and head office's home figures: counted once per scope, recounted in the background.

A page reads its scope's snapshot; the first view of a scope counts it, the refresh task
recounts every snapshot someone looked at lately, and nobody sees another scope's figures.
"""

import datetime
import time

import pytest
from django.test import Client
from django.utils import timezone, translation

from analytics import selectors, services
from analytics.models import HomeSnapshot
from analytics.snapshots import decode, encode
from analytics.tasks import home_snapshot_refresh_task, home_snapshots_refresh_task
from customers.models import Customer
from scrm.org.models import Role, StaffStatus
from tests.conftest import World
from tests.factories import CustomerFactory, FollowRelationFactory, StaffFactory, UserFactory
from tests.support.celery_worker import celery_worker, task_routed

pytestmark = pytest.mark.django_db


def _home(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _age(snapshot: HomeSnapshot, seconds: int) -> None:
    HomeSnapshot.objects.filter(pk=snapshot.pk).update(computed_at=timezone.now() - datetime.timedelta(seconds=seconds))


def test_every_hq_admin_reads_the_one_bank_wide_snapshot(world: World) -> None:
    other_admin = StaffFactory(user=UserFactory(username="hq2"), role=Role.HQ_ADMIN, branch=world.hq)

    first = _home(world.hq_admin.user).get("/")
    second = _home(other_admin.user).get("/")

    snapshot = HomeSnapshot.objects.get()
    assert snapshot.role == Role.HQ_ADMIN
    assert snapshot.branch_id is None
    assert first.context["customers"] == second.context["customers"] == Customer.objects.count()
    assert first.context["computed_at"] == second.context["computed_at"] == snapshot.computed_at


def test_each_branch_has_its_own_snapshot_and_its_managers_see_only_their_subtree(world: World) -> None:
    manager_sh = StaffFactory(user=UserFactory(username="bm_sh"), role=Role.BRANCH_MANAGER, branch=world.sh)

    beijing = _home(world.branch_manager_bj.user).get("/")
    shanghai = _home(manager_sh.user).get("/")

    assert HomeSnapshot.objects.count() == 2
    assert beijing.context["customers"] == Customer.objects.filter(branch__path__startswith=world.bj.path).count()
    assert shanghai.context["customers"] == Customer.objects.filter(branch__path__startswith=world.sh.path).count()
    assert {row.staff_id for row in beijing.context["rm_table"]} == {world.rm_bj.pk, world.rm_bj2.pk}
    assert {row.staff_id for row in shanghai.context["rm_table"]} == {world.rm_sh.pk}


def test_the_page_shows_the_kept_figures_until_the_refresh_recounts_them(world: World) -> None:
    client = _home(world.hq_admin.user)
    before = Customer.objects.count()
    assert client.get("/").context["customers"] == before

    CustomerFactory(owner=world.rm_sh)
    assert client.get("/").context["customers"] == before

    snapshot = HomeSnapshot.objects.get()
    _age(snapshot, 200)
    assert services.home_snapshots_due() == [snapshot.pk]
    assert services.home_snapshot_refresh(snapshot_id=snapshot.pk) is True

    assert client.get("/").context["customers"] == before + 1


def test_a_refresh_just_after_a_count_leaves_the_figures_alone(world: World) -> None:
    _home(world.hq_admin.user).get("/")
    snapshot = HomeSnapshot.objects.get()

    assert services.home_snapshot_refresh(snapshot_id=snapshot.pk) is False
    assert services.home_snapshot_refresh(snapshot_id=snapshot.pk + 1000) is False
    assert HomeSnapshot.objects.get().computed_at == snapshot.computed_at


def test_a_snapshot_the_refresh_left_too_long_is_counted_again_on_view(world: World, settings) -> None:
    client = _home(world.branch_manager_bj.user)
    client.get("/")
    CustomerFactory(owner=world.rm_bj)
    _age(HomeSnapshot.objects.get(), settings.HOME_SNAPSHOT_MAX_AGE_SECONDS + 1)

    response = client.get("/")

    assert response.context["customers"] == Customer.objects.filter(branch__path__startswith=world.bj.path).count()
    assert HomeSnapshot.objects.count() == 1


def test_snapshots_nobody_opened_for_a_day_are_dropped_and_a_departed_managers_are_not_recounted(
    world: World, settings
) -> None:
    _home(world.hq_admin.user).get("/")
    _home(world.branch_manager_bj.user).get("/")
    bank = HomeSnapshot.objects.get(role=Role.HQ_ADMIN)
    beijing = HomeSnapshot.objects.get(role=Role.BRANCH_MANAGER)
    HomeSnapshot.objects.filter(pk=bank.pk).update(
        viewed_at=timezone.now() - datetime.timedelta(seconds=settings.HOME_SNAPSHOT_KEEP_SECONDS + 1)
    )

    assert services.home_snapshots_due() == [beijing.pk]
    assert not HomeSnapshot.objects.filter(pk=bank.pk).exists()

    world.branch_manager_bj.status = StaffStatus.DEPARTED
    world.branch_manager_bj.save(update_fields=["status"])
    _age(beijing, 200)
    assert services.home_snapshot_refresh(snapshot_id=beijing.pk) is False
    assert not HomeSnapshot.objects.exists()


def test_a_snapshot_is_kept_per_language(world: World) -> None:
    for language in ("zh-hans", "en"):
        with translation.override(language):
            services.home_page_figures(user=world.hq_admin.user)

    assert sorted(HomeSnapshot.objects.values_list("language", flat=True)) == ["en", "zh-hans"]


def test_kept_figures_read_back_as_the_same_dataclasses(world: World) -> None:
    for role, staff in ((Role.HQ_ADMIN, world.hq_admin), (Role.BRANCH_MANAGER, world.branch_manager_bj)):
        FollowRelationFactory(staff=world.rm_bj)
        CustomerFactory(owner=world.rm_bj)
        counted = selectors.home_counted_figures(role=role, user=staff.user)
        assert decode(encode(counted)) == counted


def test_forgetting_drops_the_scopes_snapshot(world: World) -> None:
    _home(world.hq_admin.user).get("/")

    services.home_figures_forget(user=world.hq_admin.user)

    assert not HomeSnapshot.objects.exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_beat_task_recounts_through_a_real_worker(world: World) -> None:
    client = _home(world.hq_admin.user)
    client.get("/")
    CustomerFactory(owner=world.rm_sh)
    total = Customer.objects.count()
    snapshot = HomeSnapshot.objects.get()
    _age(snapshot, 200)
    aged = HomeSnapshot.objects.get().computed_at

    with celery_worker() as queue, task_routed(home_snapshot_refresh_task, queue):
        assert home_snapshots_refresh_task.apply().get() == 1
        deadline = timezone.now() + datetime.timedelta(seconds=60)
        while HomeSnapshot.objects.get().computed_at == aged and timezone.now() < deadline:
            time.sleep(0.2)

    assert client.get("/").context["customers"] == total
