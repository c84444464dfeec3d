"""The web shell: sign-in in both languages, the scoped workbench, navigation by role.

Unprefixed URLs are Chinese (the default language); English lives under /en/.
"""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from analytics.selectors import home_branch_count, home_customer_count, home_staff_count
from tests.conftest import World
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale/zh_Hans/LC_MESSAGES/django.po"


def stat(name: str, value: int) -> str:
    return f'<p class="scrm-stat-value" id="stat-{name}">{value}</p>'


# --- Signing in -----------------------------------------------------------------


def test_the_login_page_is_chinese_by_default() -> None:
    response = Client().get("/login/")

    assert response.status_code == 200
    assertContains(response, '<html lang="zh-hans">')
    assertContains(response, '<h1 class="scrm-auth-title" id="login-heading">登录</h1>', html=True)
    assertContains(response, "请使用本行员工账号登录。")
    assertContains(response, '<label class="form-label" for="id_username">用户名</label>', html=True)
    assertContains(response, 'name="csrfmiddlewaretoken"')


def switch_language(client: Client, page: str, language: str) -> HttpResponse:
    """Submit the switcher's form for ``language`` exactly as the page renders it."""
    html = client.get(page).content.decode()
    form = re.search(rf'<form id="set-language-{language}" action="([^"]+)".*?</form>', html, re.DOTALL)
    assert form, f"no switcher form for {language} on {page}"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(0)))
    assert form.group(1) == "/i18n/setlang/"
    return client.post(form.group(1), fields)


def test_the_login_page_switches_to_english_and_back() -> None:
    client = Client()

    response = switch_language(client, "/login/", "en")

    assertRedirects(response, "/en/login/")
    english = client.get("/en/login/")
    assertContains(english, '<html lang="en">')
    assertContains(english, '<h1 class="scrm-auth-title" id="login-heading">Sign in</h1>', html=True)
    assertContains(english, '<label class="form-label" for="id_username">Username</label>', html=True)
    assertNotContains(english, "请使用本行员工账号登录。")

    response = switch_language(client, "/en/login/", "zh-hans")

    assertRedirects(response, "/login/")


def test_signing_in_in_english_stays_in_english(world: World, password: str) -> None:
    response = Client().post("/en/login/", {"username": "hq_admin", "password": password})

    assertRedirects(response, "/en/")


def test_a_failed_login_shows_the_error_and_keeps_the_username(world: World) -> None:
    response = Client().post("/login/", {"username": "rm", "password": "wrong-password"})

    assert response.status_code == 200
    assertContains(response, '<div class="alert alert-danger" role="alert">')
    assertContains(response, "请输入一个正确的用户名和密码。")
    assertContains(response, 'value="rm"')


def test_a_locked_account_is_told_for_how_long(world: World, password: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "rm", "password": "wrong-password"})

    response = client.post("/login/", {"username": "rm", "password": password})

    assert response.status_code == 429
    assertContains(response, "账号已锁定", status_code=429)
    assertContains(response, "该账号连续 5 次登录失败，已被锁定。", status_code=429)
    assertContains(response, "请在 15 分钟后重新登录。", status_code=429)


def test_login_leads_to_the_workbench(world: World, password: str) -> None:
    response = Client().post("/login/", {"username": "rm", "password": password}, follow=True)

    assertRedirects(response, "/")
    assertContains(response, stat("customers", 4), html=True)


# --- The workbench ----------------------------------------------------------------

# Derived from the world (tests/conftest.py). Staff counts are active staff whose
# branch is in scope; an RM sees the staff of their own outlet, i.e. themself.
SCOPED_FIGURES = [
    # role, customers, staff, branches, the scope line
    pytest.param("hq_admin", 10, 6, 8, "数据范围：全行", id="hq_admin"),
    pytest.param("compliance", 10, 6, 8, "数据范围：全行", id="compliance"),
    # 北京分行 subtree: rm_bj 3 + rm_bj2 2 + 1 pool; branch_manager_bj, rm_bj, rm_bj2; BJ, BJ-HD, BJ-HD-1, BJ-HD-2.
    pytest.param("branch_manager", 6, 3, 4, "数据范围：北京分行及下属机构", id="branch_manager"),
    # rm_bj: 3 own + 1 in the 中关村网点 pool; only themself; only their outlet.
    pytest.param("rm", 4, 1, 1, "数据范围：本人名下客户及中关村网点公共池客户", id="rm"),
]


@pytest.mark.parametrize(("role", "customers", "staff", "branches", "scope_line"), SCOPED_FIGURES)
def test_each_role_sees_the_counts_of_its_own_scope(
    world: World, client_for, role: str, customers: int, staff: int, branches: int, scope_line: str
) -> None:
    user = world.staff_for(role).user
    response = client_for(role).get("/")

    assert response.status_code == 200
    assert (home_customer_count(user=user), home_staff_count(user=user), home_branch_count(user=user)) == (
        customers,
        staff,
        branches,
    )
    # Every role's home page opens with the customers of its scope; the rest differs by role
    # (tests/analytics/test_home.py).
    assertContains(response, stat("customers", customers), html=True)
    assertContains(response, scope_line)


def test_an_rm_without_the_outlet_pool_sees_only_their_own_customers(client_for, settings) -> None:
    settings.RM_SEES_OUTLET_POOL = False

    response = client_for("rm").get("/")

    assertContains(response, stat("customers", 3), html=True)
    assertContains(response, "数据范围：本人名下客户")
    assertNotContains(response, "公共池")


def test_the_top_bar_names_the_person_their_role_and_branch(world: World, client_for) -> None:
    response = client_for("branch_manager").get("/")

    assertContains(response, f'<span class="scrm-identity-name">{world.branch_manager_bj.name}</span>', html=True)
    assertContains(response, '<span class="scrm-identity-detail">分支行管理者 · 北京分行</span>', html=True)


def test_the_workbench_in_english(client_for) -> None:
    response = client_for("hq_admin").get("/en/")

    assertContains(response, '<h1 class="scrm-page-title">Workbench</h1>', html=True)
    assertContains(response, "Data scope: whole bank")
    assertContains(response, '<span class="scrm-identity-detail">HQ admin · 总行</span>', html=True)


def test_a_user_without_a_staff_profile_sees_no_figures(world: World) -> None:
    client = Client()
    client.force_login(UserFactory(username="no_profile"))

    response = client.get("/")

    assert response.status_code == 200
    assertContains(response, '<span class="scrm-identity-name">no_profile</span>', html=True)
    assertContains(response, "您的账号当前没有数据权限，请联系系统管理员。")
    assertNotContains(response, 'id="stat-customers"')
    assertNotContains(response, 'class="scrm-sidebar"')


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/")

    assertRedirects(response, "/login/?next=/")


# --- Signing out ------------------------------------------------------------------


def test_logout_by_get_is_refused_and_keeps_the_session(client_for) -> None:
    client = client_for("rm")

    response = client.get("/logout/")

    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_logout_by_post_ends_the_session(client_for) -> None:
    client = client_for("rm")

    response = client.post("/logout/")

    assertRedirects(response, "/login/")
    assertRedirects(client.get("/"), "/login/?next=/")


# --- Navigation and the page shell -----------------------------------------------


@pytest.mark.parametrize(
    ("role", "sees_api_docs"),
    [("hq_admin", True), ("branch_manager", False), ("rm", False), ("compliance", False)],
)
def test_only_hq_admin_is_offered_the_api_docs(client_for, role: str, sees_api_docs: bool) -> None:
    response = client_for(role).get("/")

    assertContains(response, '<a class="nav-link active" aria-current="page" href="/">工作台</a>', html=True)
    api_docs = '<a class="nav-link" href="/api/docs/">接口文档</a>'
    if sees_api_docs:
        assertContains(response, api_docs, html=True)
    else:
        assertNotContains(response, api_docs, html=True)
        assertNotContains(response, "/api/docs/")


def test_htmx_requests_carry_the_csrf_token(client_for) -> None:
    response = client_for("rm").get("/")

    assert re.search(r"""<body [^>]*hx-headers='\{"X-CSRFToken": "[A-Za-z0-9]{64}"\}'""", response.content.decode())


@pytest.mark.parametrize("path", ["/login/", "/"])
def test_pages_load_assets_from_this_server_only(client_for, path: str) -> None:
    html = client_for("rm").get(path, follow=True).content.decode()

    assets = re.findall(r'(?:src|href)="([^"]+\.(?:css|js))"', html)
    assert sorted(assets) == [
        "/static/css/scrm.css",
        "/static/vendor/bootstrap/css/bootstrap.min.css",
        "/static/vendor/htmx/htmx.min.js",
    ]


# --- The Chinese catalogue --------------------------------------------------------


def test_the_chinese_catalogue_is_complete_and_compiled() -> None:
    catalogue = polib.pofile(str(CATALOGUE))
    compiled = CATALOGUE.with_suffix(".mo")

    assert catalogue.untranslated_entries() == []
    assert catalogue.fuzzy_entries() == []
    assert compiled.exists(), "run `make messages` to compile the catalogue"
    assert compiled.stat().st_mtime >= CATALOGUE.stat().st_mtime, "run `make messages`: the .mo is stale"
