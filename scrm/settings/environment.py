"""One reader of the process environment, shared by the settings modules."""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

ENVIRONMENTS = ("development", "test", "production")
SCRM_ENV: str = env.str("SCRM_ENV", default="development")
if SCRM_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(f"SCRM_ENV must be one of {', '.join(ENVIRONMENTS)}, not {SCRM_ENV!r}")
IS_PRODUCTION = SCRM_ENV == "production"


def from_env_or_file(name: str) -> str:
    """NAME, or the contents of the file named by NAME_FILE, or ""."""
    file_path = env.str(f"{name}_FILE", default="")
    if file_path:
        return Path(file_path).read_text().strip()
    return env.str(name, default="")


def secret(name: str, *, dev_default: str) -> str:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/K8s secrets).

    Outside production a documented, insecure default keeps the demo one command away;
    production refuses to start without the real value.
    """
    value = from_env_or_file(name)
    if value:
        return value
    if IS_PRODUCTION:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in production")
    return dev_default
