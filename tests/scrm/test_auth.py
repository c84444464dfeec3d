"""Signing in: audited, locked after repeated failures, sessions that expire."""

import datetime

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scrm.audit.models import AuditAction, AuditEvent
from scrm.core.sessions import REFRESHED_AT
from tests.conftest import World

pytestmark = pytest.mark.django_db


def login(client: Client, username: str, password: str) -> HttpResponse:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_a_successful_login_is_audited(world: World, password: str) -> None:
    client = Client()

    response = login(client, "rm", password)

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (event.actor_id, event.actor_username) == (world.rm_bj.user.pk, "rm")


def test_a_failed_login_is_audited_without_the_password(world: World) -> None:
    login(Client(), "rm", "wrong-password")

    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.actor_username == "rm"
    assert "wrong-password" not in str(event.data)


def test_the_account_locks_after_repeated_failures(world: World, password: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm", "wrong-password")

    response = login(client, "rm", password)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_other_accounts_are_not_locked_by_someone_elses_failures(world: World, password: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "rm", "wrong-password")

    assert login(client, "branch_manager", password).status_code == 302


def test_sessions_expire_when_idle_and_a_used_one_is_refreshed_once_a_minute(world: World) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    client.force_login(world.rm_bj.user)
    key = client.session.session_key

    def expires() -> datetime.datetime:
        return Session.objects.get(session_key=key).expire_date

    client.get("/")
    first = expires()
    client.get("/")
    assert expires() == first  # used again within the minute: no write

    session = client.session
    session[REFRESHED_AT] -= settings.SESSION_IDLE_REFRESH_SECONDS
    session.save()
    saved = expires()
    client.get("/")
    assert expires() > saved  # due: written, and the idle timeout starts again
    assert expires() - timezone.now() > datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)


def test_a_signed_out_visit_leaves_no_session_behind() -> None:
    Client().get("/login/")

    assert Session.objects.count() == 0


def test_forms_are_csrf_protected(world: World, password: str) -> None:
    client = Client(enforce_csrf_checks=True)

    response = login(client, "rm", password)

    assert response.status_code == 403


def test_departed_staff_cannot_use_the_api(world: World) -> None:
    from scrm.org.services import staff_mark_departed

    client = Client()
    client.force_login(world.rm_bj.user)
    staff_mark_departed(staff=world.rm_bj, actor=world.hq_admin.user, reason="resigned")

    assert client.get("/api/org/me/").status_code == 403
