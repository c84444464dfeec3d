"""The shared test world: a small bank with one person per role in known places.

HQ 总行
├── BJ 北京分行            branch_manager_bj
│   └── BJ-HD 海淀支行
│       ├── BJ-HD-1 中关村网点   rm_bj (owns 3 customers), 1 unassigned (pool)
│       └── BJ-HD-2 五道口网点   rm_bj2 (owns 2 customers)
└── SH 上海分行
    └── SH-PD 浦东支行
        └── SH-PD-1 陆家嘴网点   rm_sh (owns 4 customers)
hq_admin and compliance sit at HQ.

Beside it, one local WeCom sandbox process for the whole session (``wecom_sandbox``; use
``sandbox``, reset first), shared by the product's tests and the sandbox's own.
"""

import logging.config
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import Client, override_settings
from playwright.sync_api import Browser, Page, sync_playwright

from customers.models import Customer
from risk.compliance.matcher import library_forget
from scrm.core.database_roles import CREDENTIALS, connection_credentials_swap
from scrm.org.models import Branch, BranchLevel, Role, Staff
from scrm.settings.logging import logging_config
from tests.factories import DEMO_PASSWORD, BranchFactory, CustomerFactory, StaffFactory, UserFactory
from tests.support.log_audit import unmasked_personal_information
from tests.support.wecom_sandbox import CallbackReceiver, callback_receiver, running_sandbox
from wecom_sandbox.client import SandboxControl

RUN_LOG = Path(__file__).resolve().parents[1] / "var" / "log" / "test-run.log"


def pytest_configure(config: pytest.Config) -> None:
    """Log the whole run to one file through the product's own configuration.

    The processes the tests start (workers, servers) inherit ``LOG_FILE`` and append to it.
    """
    RUN_LOG.parent.mkdir(parents=True, exist_ok=True)
    RUN_LOG.write_text("")
    os.environ["LOG_FILE"] = str(RUN_LOG)
    logging.config.dictConfig(logging_config(level=settings.LOG_LEVEL, file=str(RUN_LOG)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log line of it carries a full phone or ID number."""
    logging.shutdown()
    findings = unmasked_personal_information(RUN_LOG)
    if not findings:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.section("personal information in the logs", sep="=", red=True)
        for finding in findings[:20]:
            reporter.write_line(f"{RUN_LOG}:{finding.line_number}: unmasked {finding.kind}: {finding.masked_line}")
        reporter.write_line(f"{len(findings)} log lines carry unmasked personal information.")
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> dict[str, object]:
    """The test database is created and migrated by the owner role, as ``migrate`` does in production.

    Returns the application's credentials, which the tests then connect with.
    """
    if settings.DATABASE_OWNER is None:
        return {key: connection.settings_dict[key] for key in CREDENTIALS}
    return connection_credentials_swap(DEFAULT_DB_ALIAS, settings.DATABASE_OWNER)


@pytest.fixture(scope="session")
def django_db_setup(
    django_db_setup: None, django_db_blocker, django_db_modify_db_settings: dict[str, object]
) -> Iterator[None]:
    """Then every test connects as the application role, with the application's privileges only.

    Transactional tests empty every table after each test with ``flush``, which runs as the
    owner, the audit table too: so the audit table's TRUNCATE trigger is off in the test
    database only; ``tests/scrm/test_audit.py`` switches it on in a transaction of its own.
    """
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_no_truncate")
    owner = connection_credentials_swap(DEFAULT_DB_ALIAS, django_db_modify_db_settings)
    yield
    # pytest-django drops the test database after this, which only its owner may do.
    connection_credentials_swap(DEFAULT_DB_ALIAS, owner)


@pytest.fixture(scope="session", autouse=True)
def audit_digests_apart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Signed audit digests of the run go to a folder of its own, never the checkout's var/."""
    location = tmp_path_factory.mktemp("audit-digests")
    storages = {
        **settings.STORAGES,
        "audit_digests": {**settings.STORAGES["audit_digests"], "OPTIONS": {"location": str(location)}},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(scope="session", autouse=True)
def media_apart(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Uploaded files of the run (the content library) go to a folder of their own, never var/media."""
    with override_settings(MEDIA_ROOT=str(tmp_path_factory.mktemp("media"))):
        yield


@dataclass
class World:
    hq: Branch
    bj: Branch
    bj_hd: Branch
    bj_hd_1: Branch
    bj_hd_2: Branch
    sh: Branch
    sh_pd: Branch
    sh_pd_1: Branch
    hq_admin: Staff
    compliance: Staff
    branch_manager_bj: Staff
    rm_bj: Staff
    rm_bj2: Staff
    rm_sh: Staff
    customers_rm_bj: list[Customer]
    customers_rm_bj2: list[Customer]
    customers_rm_sh: list[Customer]
    pool_customer_bj_hd_1: Customer

    def staff_for(self, role: str) -> Staff:
        return {
            "hq_admin": self.hq_admin,
            "compliance": self.compliance,
            "branch_manager": self.branch_manager_bj,
            "rm": self.rm_bj,
        }[role]


def _staff(username: str, role: Role, branch: Branch) -> Staff:
    return StaffFactory(user=UserFactory(username=username), role=role, branch=branch)


@pytest.fixture(autouse=True)
def compliance_library_forgotten() -> Iterator[None]:
    """Each test starts with no compiled compliance library in the process: its own database decides."""
    library_forget()
    yield
    library_forget()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Tests create many users; a deliberately slow hasher would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    hq = BranchFactory(parent=None, code="HQ", name="总行", level=BranchLevel.HQ)
    bj = BranchFactory(parent=hq, code="BJ", name="北京分行", level=BranchLevel.BRANCH)
    bj_hd = BranchFactory(parent=bj, code="BJ-HD", name="海淀支行", level=BranchLevel.SUB_BRANCH)
    bj_hd_1 = BranchFactory(parent=bj_hd, code="BJ-HD-1", name="中关村网点", level=BranchLevel.OUTLET)
    bj_hd_2 = BranchFactory(parent=bj_hd, code="BJ-HD-2", name="五道口网点", level=BranchLevel.OUTLET)
    sh = BranchFactory(parent=hq, code="SH", name="上海分行", level=BranchLevel.BRANCH)
    sh_pd = BranchFactory(parent=sh, code="SH-PD", name="浦东支行", level=BranchLevel.SUB_BRANCH)
    sh_pd_1 = BranchFactory(parent=sh_pd, code="SH-PD-1", name="陆家嘴网点", level=BranchLevel.OUTLET)
    rm_bj = _staff("rm", Role.RM, bj_hd_1)
    rm_bj2 = _staff("rm_bj2", Role.RM, bj_hd_2)
    rm_sh = _staff("rm_sh", Role.RM, sh_pd_1)
    return World(
        hq=hq,
        bj=bj,
        bj_hd=bj_hd,
        bj_hd_1=bj_hd_1,
        bj_hd_2=bj_hd_2,
        sh=sh,
        sh_pd=sh_pd,
        sh_pd_1=sh_pd_1,
        hq_admin=_staff("hq_admin", Role.HQ_ADMIN, hq),
        compliance=_staff("compliance", Role.COMPLIANCE, hq),
        branch_manager_bj=_staff("branch_manager", Role.BRANCH_MANAGER, bj),
        rm_bj=rm_bj,
        rm_bj2=rm_bj2,
        rm_sh=rm_sh,
        customers_rm_bj=CustomerFactory.create_batch(3, owner=rm_bj),
        customers_rm_bj2=CustomerFactory.create_batch(2, owner=rm_bj2),
        customers_rm_sh=CustomerFactory.create_batch(4, owner=rm_sh),
        pool_customer_bj_hd_1=CustomerFactory(owner=None, branch=bj_hd_1),
    )


@pytest.fixture
def client_for(world: World):
    """A logged-in Django test client for one of the four demo roles."""

    def make(role: str) -> Client:
        client = Client()
        client.force_login(world.staff_for(role).user)
        return client

    return make


@pytest.fixture
def password() -> str:
    return DEMO_PASSWORD


# --- Headless Chromium (Debian's package, installed by scripts/ensure_chromium.sh) ------
# One Playwright for the whole session, whichever folder a browser test lives in.

# Playwright's sync API runs an event loop in the test thread, and Django refuses ORM
# calls from a thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() and os.environ.get("SCRM_SKIP_BROWSER_TESTS") == "1":
        pytest.skip("chromium is not installed and SCRM_SKIP_BROWSER_TESTS=1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile per test, sized like a branch office desktop."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


# --- The local WeCom sandbox ------------------------------------------------------------
# One process for the session, whichever folder a test lives in. It needs no database:
# tests that only talk to it need no ``db`` fixture.


@pytest.fixture(scope="session")
def wecom_sandbox() -> Iterator[SandboxControl]:
    """The running sandbox's control API; its state is whatever the previous test left."""
    with running_sandbox() as control:
        yield control


@pytest.fixture
def sandbox(wecom_sandbox: SandboxControl) -> SandboxControl:
    """The same sandbox, reset first: no staff, customers, tokens, faults or logs; settings back
    to their defaults, callback URL empty. Use this one."""
    wecom_sandbox.reset()
    return wecom_sandbox


@pytest.fixture
def sandbox_token(sandbox: SandboxControl) -> str:
    """A live access token of the reset sandbox."""
    return sandbox.access_token()


@pytest.fixture
def receiver(sandbox: SandboxControl) -> Iterator[CallbackReceiver]:
    """A callback receiver the reset sandbox posts its callbacks to."""
    with callback_receiver() as receiver:
        sandbox.configure(callback_url=receiver.url)
        yield receiver
