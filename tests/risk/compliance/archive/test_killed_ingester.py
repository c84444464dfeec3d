"""An ingester killed (kill -9) mid-page: its transaction dies with it; the next run stores the page once."""

import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings as django_settings
from django.db import connection

from risk.compliance.archive.models import ArchiveCursor, ArchivedMessage
from risk.compliance.archive.services import archive_ingest
from tests.risk.compliance.archive.conftest import Archive
from tests.support.celery_worker import ROOT

pytestmark = pytest.mark.django_db(transaction=True)

# Ingestion in a process of its own that kills itself after the page's INSERT, before the
# cursor moves and the transaction commits.
INGESTER = textwrap.dedent(
    """
    import os, signal
    import django
    django.setup()
    from risk.compliance.archive import services
    from risk.models import ArchivedMessage

    def die(*args, **kwargs):
        assert ArchivedMessage.objects.count() == 3  # inserted, not committed
        os.kill(os.getpid(), signal.SIGKILL)

    services._cursor_advance = die
    services.archive_ingest()
    """
)


def test_an_ingester_killed_after_storing_a_page_leaves_nothing_and_the_next_run_stores_it_once(
    archive: Archive, archive_keys
) -> None:
    archive.post(*(archive.text(archive.rm_userid, archive.agreed_external, f"第{n}条") for n in range(3)))
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "scrm.settings",
        "DATABASE_URL": f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST']}",
        "REDIS_URL": django_settings.REDIS_URL,
        "WECOM_CORP_ID": django_settings.WECOM_CORP_ID,
        "WECOM_API_BASE_URL": django_settings.WECOM_API_BASE_URL,
        "WECOM_ARCHIVE_SANDBOX_URL": archive.sandbox.finance_base_url,
        "WECOM_ARCHIVE_PRIVATE_KEYS": f"1={archive_keys}",
    }

    killed = subprocess.run(
        [sys.executable, "-c", INGESTER], cwd=ROOT, env=env, capture_output=True, timeout=60, check=False
    )

    assert killed.returncode == -9, killed.stderr.decode()[-2000:]
    assert ArchivedMessage.objects.count() == 0
    assert ArchiveCursor.objects.get().seq == 0

    archive_ingest(source=archive.source)

    assert list(ArchivedMessage.objects.order_by("seq").values_list("text", flat=True)) == ["第0条", "第1条", "第2条"]
    assert ArchiveCursor.objects.get().seq == 3
