"""Core Django settings: apps, database, cache, auth, i18n, static files, API."""

from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from scrm.settings.environment import BASE_DIR, IS_PRODUCTION, SCRM_ENV, env, from_env_or_file, secret

VAR_DIR = Path(env.str("SCRM_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG: bool = env.bool("DEBUG", default=SCRM_ENV == "development")
SECRET_KEY = secret("SECRET_KEY", dev_default="dev-only-insecure-secret-key-change-me-for-any-real-deployment")
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# --- Backing services: the environment, or the embedded pair under var/ -----
# DATABASE_URL is what the application connects as. DATABASE_OWNER_URL, given only to
# the process that migrates, is the role that owns the schema (scrm.core.database_roles).
_database_url = from_env_or_file("DATABASE_URL")
_database_owner_url = from_env_or_file("DATABASE_OWNER_URL")
_redis_url = from_env_or_file("REDIS_URL")
if not (_database_url and _redis_url):
    if IS_PRODUCTION:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DATABASE_URL and REDIS_URL must be set in production")
    from scrm.embedded import ensure_services

    _embedded = ensure_services(VAR_DIR)
    if not _database_url:
        _database_url, _database_owner_url = _embedded.database_url, _embedded.database_owner_url
    _redis_url = _redis_url or _embedded.redis_url


def _connection_settings(url: str) -> dict[str, Any]:
    config: dict[str, Any] = env.db_url_config(url)
    # A Unix-socket URL (postgresql://user@/db?host=/path) carries the socket dir as an option.
    if not config["HOST"] and "host" in config["OPTIONS"]:
        config["HOST"] = config["OPTIONS"].pop("host")
    return config


REDIS_URL = _redis_url
DATABASES = {"default": _connection_settings(_database_url)}
# How migrate (and flush) connect instead, and the role they grant the application's privileges to.
DATABASE_OWNER: dict[str, Any] | None = None
DATABASE_APPLICATION_ROLE: str | None = None
if _database_owner_url:
    _owner = _connection_settings(_database_owner_url)
    DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
    if DATABASE_OWNER["USER"] != DATABASES["default"]["USER"]:
        DATABASE_APPLICATION_ROLE = DATABASES["default"]["USER"]
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Parallel test runs (several checkouts, helpers) each get their own test database.
DATABASES["default"]["TEST"] = {"NAME": env.str("SCRM_TEST_DATABASE_NAME", default="test_scrm")}

# An optional streaming replica that dashboards and exports read from (scrm.core.db_routing,
# docs/scaling.md "Read replica"). Unset: one database, and the router sends everything there.
_database_replica_url = from_env_or_file("DATABASE_REPLICA_URL")
if _database_replica_url:
    DATABASES["replica"] = _connection_settings(_database_replica_url)
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # A replica that does not answer is given up on quickly: the primary serves instead.
    DATABASES["replica"]["OPTIONS"].setdefault("connect_timeout", 2)
    # Tests have one database: the test runner creates none on the replica.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["scrm.core.db_routing.ReplicaRouter"]
# Behind by more than this, the replica is not read (dashboards say when they were counted).
DATABASE_REPLICA_MAX_LAG_SECONDS: float = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=10.0)
# How long one measurement of the replica's lag holds, and how long an unreachable one is left alone.
DATABASE_REPLICA_CHECK_SECONDS: float = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2.0)
DATABASE_REPLICA_RETRY_SECONDS: float = env.float("DATABASE_REPLICA_RETRY_SECONDS", default=30.0)
if DATABASE_REPLICA_MAX_LAG_SECONDS <= 0 or DATABASE_REPLICA_CHECK_SECONDS < 0 or DATABASE_REPLICA_RETRY_SECONDS < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "DATABASE_REPLICA_MAX_LAG_SECONDS must be positive, the CHECK and RETRY seconds not negative"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="scrm"),
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "treebeard",
    "axes",
    "scrm.core",
    "scrm.org",
    "scrm.audit",
    "customers",
    "campaigns",
    "channels",
    "risk",
    "analytics",
    "workbench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: text no database could store is a 400 here.
    "scrm.core.request_guard.RequestInputGuardMiddleware",
    # WeCom's callback URL needs nothing below (no session, locale, CSRF or login): served here.
    "channels.callbacks.middleware.CallbackFastPathMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Inside the session middleware: keeps a used session alive, written once a minute at most.
    "scrm.core.sessions.IdleSessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A session signed in from the chat sidebar reaches the sidebar only.
    "scrm.org.middleware.SidebarSessionConfinedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "scrm.core.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view's 404 shows the product's page in development too, not Django's technical one.
    "scrm.core.error_pages.ProductErrorPagesMiddleware",
    # Last, so that a locked-out login never reaches the view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "scrm.urls"
WSGI_APPLICATION = "scrm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "scrm.org.context_processors.navigation",
            ],
        },
    },
]

# --- Authentication: lockout after repeated failures, short idle sessions ----
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("LOGIN_LOCKOUT_MINUTES", default=15) / 60  # hours
# Lock the account, not the address: branches sit behind shared NAT addresses, and an
# IP lockout would shut a whole outlet out after one person's mistakes.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "org/locked_out.html"
AXES_VERBOSE = False

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
# The age above is an idle timeout: a used session is written again once its last refresh is
# this old (scrm.core.sessions), not on every request.
SESSION_IDLE_REFRESH_SECONDS = env.int("SESSION_IDLE_REFRESH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# --- Internationalisation: Chinese first, English available ----------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static files: vendored from the npm registry at install, never a CDN ---
STATIC_URL = "static/"
# collectstatic fills this for production; in development WhiteNoise reads the finders.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))) if IS_PRODUCTION else None
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules/bootstrap/dist"),
    ("vendor/htmx", BASE_DIR / "node_modules/htmx.org/dist"),
    ("vendor/echarts", BASE_DIR / "node_modules/echarts/dist"),
]
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Signed audit digests (scrm.audit.chain), outside the database by design; production may
    # point this alias at any django-storages backend (an object store with retention lock
    # is the strongest anchor).
    "audit_digests": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env.str("AUDIT_DIGEST_LOCATION", default=str(VAR_DIR / "audit-digests"))},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))

# --- API --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PARSER_CLASSES": [
        "scrm.core.parsers.GuardedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["scrm.org.permissions.IsActiveStaff"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "scrm.core.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "scrm.core.exceptions.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "scrm API",
    "DESCRIPTION": "Social CRM for retail banks on WeChat Work.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The API description is for the bank's staff, not the world.
    "SERVE_PERMISSIONS": ["scrm.org.permissions.IsActiveStaff"],
    # Several models have a "kind"; name each choice set after what it classifies.
    "ENUM_NAME_OVERRIDES": {
        "TagKindEnum": "customers.models.TagKind",
        "TransferKindEnum": "customers.models.TransferKind",
        "ImportKindEnum": "customers.models.ImportKind",
        "TimelineKindEnum": "customers.models.TimelineKind",
        "JobStatusEnum": "customers.models.JobStatus",
        "CampaignKindEnum": "campaigns.models.CampaignKind",
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "CampaignPurposeEnum": "campaigns.models.CampaignPurpose",
        "ConsentPurposeEnum": "customers.models.ConsentPurpose",
        "ContentCategoryEnum": "risk.compliance.models.ContentCategory",
        "ContentActionEnum": "risk.compliance.models.ContentAction",
        "PiiPatternEnum": "risk.compliance.models.PiiPattern",
    },
}

# --- Compliance ---------------------------------------------------------------
# How often a process asks whether the compliance library changed (seconds).
COMPLIANCE_LIBRARY_CHECK_SECONDS: float = env.float("COMPLIANCE_LIBRARY_CHECK_SECONDS", default=1.0)

# --- Data scope ---------------------------------------------------------------
# When true, an RM also sees unassigned customers of their own outlet (网点公共池).
RM_SEES_OUTLET_POOL: bool = env.bool("RM_SEES_OUTLET_POOL", default=True)

# --- Home pages ------------------------------------------------------------------
# How long an RM's home page figures are kept before they are counted again (analytics.services).
HOME_FIGURES_CACHE_SECONDS: int = env.int("HOME_FIGURES_CACHE_SECONDS", default=300)
# Branch managers' and head office's figures are counted once per scope into a snapshot and
# recounted this often while someone looks at them (analytics.services); a snapshot older than
# the max age (the refresh stalled) is counted again on view; one nobody opened for the keep
# time is dropped.
HOME_FIGURES_REFRESH_SECONDS: int = env.int("HOME_FIGURES_REFRESH_SECONDS", default=300)
HOME_SNAPSHOT_MAX_AGE_SECONDS: int = env.int("HOME_SNAPSHOT_MAX_AGE_SECONDS", default=900)
HOME_SNAPSHOT_KEEP_SECONDS: int = env.int("HOME_SNAPSHOT_KEEP_SECONDS", default=86400)

# --- Consent -------------------------------------------------------------------
# The bank's name as customers know it, on the pages they open themselves (H5).
BANK_NAME: str = env.str("BANK_NAME", default="示范银行")
# How long a consent-preference link in a message stays valid.
CONSENT_LINK_MAX_AGE_DAYS: int = env.int("CONSENT_LINK_MAX_AGE_DAYS", default=30)
# The preference page answers this many requests per client address an hour, and records
# this many changes per customer an hour (a bank's NAT may put many phones on one address).
CONSENT_PAGE_REQUESTS_PER_HOUR: int = env.int("CONSENT_PAGE_REQUESTS_PER_HOUR", default=120)
CONSENT_PAGE_CHANGES_PER_HOUR: int = env.int("CONSENT_PAGE_CHANGES_PER_HOUR", default=10)
