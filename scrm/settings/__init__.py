"""scrm settings: the environment is read here and nowhere else.

Each integration has its own module; this package imports them in order. Every
variable is documented in README.md (Configuration).
"""

from scrm.settings.archive import *  # noqa: F403
from scrm.settings.audit import *  # noqa: F403
from scrm.settings.base import *  # noqa: F403
from scrm.settings.campaigns import *  # noqa: F403
from scrm.settings.celery import *  # noqa: F403
from scrm.settings.churn import *  # noqa: F403
from scrm.settings.csp import *  # noqa: F403
from scrm.settings.logging import *  # noqa: F403
from scrm.settings.pii import *  # noqa: F403
from scrm.settings.security import *  # noqa: F403
from scrm.settings.violations import *  # noqa: F403
from scrm.settings.wecom import *  # noqa: F403
