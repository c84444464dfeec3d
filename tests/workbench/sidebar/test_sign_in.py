"""Signing in to the sidebar with WeCom OAuth, through the sandbox over HTTP."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings as django_settings
from django.test import Client

from scrm.audit.models import AuditAction, AuditEvent
from scrm.org.models import StaffStatus
from tests.conftest import World
from wecom_sandbox.client import SandboxControl
from workbench.sidebar.auth import SESSION_STATE_KEY

pytestmark = pytest.mark.django_db


def _state(client: Client) -> str:
    """Open the sidebar without a session; the state the sign-in was started with."""
    response = client.get("/sidebar/")
    assert response.status_code == 302
    return client.session[SESSION_STATE_KEY]


def test_without_a_session_the_sidebar_sends_the_browser_to_wecom_oauth(world: World, settings) -> None:
    settings.WECOM_SANDBOX_URL = ""
    client = Client()

    response = client.get("/sidebar/")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "open.weixin.qq.com",
        "/connect/oauth2/authorize",
    )
    assert location.fragment == "wechat_redirect"
    query = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert query == {
        "appid": settings.WECOM_CORP_ID,
        "redirect_uri": "http://testserver/sidebar/auth/",
        "response_type": "code",
        "scope": "snsapi_base",
        "state": client.session[SESSION_STATE_KEY],
        "agentid": settings.WECOM_AGENT_ID,
    }


def test_against_the_sandbox_the_sign_in_goes_to_the_stand_in_page(sandbox_staff: World) -> None:
    client = Client()

    response = client.get("/sidebar/")

    assert response["Location"] == f"/sidebar/login/?state={client.session[SESSION_STATE_KEY]}"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert 'id="sandbox-userid"' in page.content.decode()


def test_the_stand_in_page_shows_no_directory_of_staff(sandbox_staff: World) -> None:
    client = Client()

    page = client.get(client.get("/sidebar/")["Location"]).content.decode()

    for staff in (sandbox_staff.rm_bj, sandbox_staff.branch_manager_bj, sandbox_staff.hq_admin):
        assert staff.wecom_userid not in page
        assert staff.name not in page
    assert "<option" not in page


def test_the_stand_in_page_does_not_exist_against_a_real_corp(world: World, settings) -> None:
    settings.WECOM_SANDBOX_URL = ""

    assert Client().get("/sidebar/login/").status_code == 404


def test_a_member_signs_in_with_an_oauth_code_and_gets_a_dashboard_like_session(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl
) -> None:
    client = Client()
    state = _state(client)
    code = wecom_at_sandbox.oauth_code(sandbox_staff.rm_bj.wecom_userid)

    response = client.get("/sidebar/auth/", {"code": code, "state": state})

    assert response.status_code == 302
    assert response["Location"] == "/sidebar/"
    page = client.get("/sidebar/")
    assert page.status_code == 200
    assert sandbox_staff.rm_bj.name in page.content.decode()
    assert client.session.get_expiry_age() == django_settings.SESSION_COOKIE_AGE
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (login.actor_id, login.data) == (sandbox_staff.rm_bj.user_id, {"via": "wecom_oauth"})


def test_a_code_is_good_once(sandbox_staff: World, wecom_at_sandbox: SandboxControl) -> None:
    code = wecom_at_sandbox.oauth_code(sandbox_staff.rm_bj.wecom_userid)
    first = Client()
    first.get("/sidebar/auth/", {"code": code, "state": _state(first)})
    second = Client()

    response = second.get("/sidebar/auth/", {"code": code, "state": _state(second)})

    assert response.status_code == 403
    assert "_auth_user_id" not in second.session


def test_a_wecom_member_who_is_not_staff_is_refused_clearly(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl
) -> None:
    wecom_at_sandbox.upsert_directory(users=[{"userid": "stranger", "name": "Stranger"}])
    client = Client()
    state = _state(client)

    response = client.get("/sidebar/auth/", {"code": wecom_at_sandbox.oauth_code("stranger"), "state": state})

    assert response.status_code == 403
    assert 'id="sidebar-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (failed.actor_username, failed.data["reason"]) == ("wecom:stranger", "unknown_member")
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_departed_member_is_refused(sandbox_staff: World, wecom_at_sandbox: SandboxControl) -> None:
    rm = sandbox_staff.rm_bj
    code = wecom_at_sandbox.oauth_code(rm.wecom_userid)  # WeCom has not been told yet
    rm.status = StaffStatus.DEPARTED
    rm.save(update_fields=["status"])
    client = Client()

    response = client.get("/sidebar/auth/", {"code": code, "state": _state(client)})

    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED).data["reason"] == "inactive_member"


@pytest.mark.parametrize("state", ["", "forged-state"])
def test_a_state_that_is_not_this_sessions_is_refused_before_wecom_is_asked(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl, state: str
) -> None:
    client = Client()
    _state(client)
    code = wecom_at_sandbox.oauth_code(sandbox_staff.rm_bj.wecom_userid)

    response = client.get("/sidebar/auth/", {"code": code, "state": state})

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session
    assert wecom_at_sandbox.calls("user/getuserinfo") == []
    assert not AuditEvent.objects.exists()


def test_the_state_is_good_for_one_attempt(sandbox_staff: World, wecom_at_sandbox: SandboxControl) -> None:
    client = Client()
    state = _state(client)
    client.get("/sidebar/auth/", {"code": "not-a-code", "state": state})

    response = client.get(
        "/sidebar/auth/", {"code": wecom_at_sandbox.oauth_code(sandbox_staff.rm_bj.wecom_userid), "state": state}
    )

    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def _sign_in(client: Client, wecom: SandboxControl, userid: str):
    return client.get("/sidebar/auth/", {"code": wecom.oauth_code(userid), "state": _state(client)})


def test_a_sidebar_session_reaches_the_sidebar_only(sandbox_staff: World, wecom_at_sandbox: SandboxControl) -> None:
    client = Client()
    _sign_in(client, wecom_at_sandbox, sandbox_staff.rm_bj.wecom_userid)

    assert client.get("/sidebar/").status_code == 200
    assert client.get("/sidebar/scripts/").status_code == 200
    assert client.get("/api/org/me/").status_code == 403
    assert client.get("/api/customers/").status_code == 403
    home = client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/login/?next=/")
    assert client.get("/customers/").status_code == 302
    assert client.get("/login/").status_code == 200  # the login form, not a redirect to the dashboard


def test_a_password_sign_in_replaces_the_sidebar_session_with_a_full_one(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl, password: str
) -> None:
    client = Client()
    _sign_in(client, wecom_at_sandbox, sandbox_staff.rm_bj.wecom_userid)

    response = client.post("/login/", {"username": sandbox_staff.rm_bj.user.username, "password": password})

    assert response.status_code == 302
    assert client.get("/api/org/me/").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/sidebar/").status_code == 200


def test_a_branch_manager_signs_in_to_the_sidebar(sandbox_staff: World, wecom_at_sandbox: SandboxControl) -> None:
    client = Client()

    response = _sign_in(client, wecom_at_sandbox, sandbox_staff.branch_manager_bj.wecom_userid)

    assert response.status_code == 302
    assert client.get("/sidebar/").status_code == 200
    assert client.get("/api/org/me/").status_code == 403


@pytest.mark.parametrize("role", ["hq_admin", "compliance"])
def test_bank_wide_roles_cannot_sign_in_from_the_sidebar(
    sandbox_staff: World, wecom_at_sandbox: SandboxControl, role: str
) -> None:
    member = getattr(sandbox_staff, role)
    client = Client()

    response = _sign_in(client, wecom_at_sandbox, member.wecom_userid)

    assert response.status_code == 403
    assert 'id="sidebar-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/api/org/me/").status_code == 403
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert (failed.actor_username, failed.data) == (
        f"wecom:{member.wecom_userid}",
        {"via": "wecom_oauth", "reason": "role_not_allowed"},
    )
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()
