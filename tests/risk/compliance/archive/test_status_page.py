"""The archive status page: compliance only; shows the lag, its alarm level, the counts and refused records."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from risk.compliance.archive.models import ArchiveCursor, ArchiveRefusedRecord, RefusalReason

pytestmark = pytest.mark.django_db

URL = reverse("compliance-archive-status")


@pytest.mark.parametrize("role", ["hq_admin", "branch_manager", "rm"])
def test_only_compliance_sees_the_archive_status(client_for, role) -> None:
    assert client_for(role).get(URL).status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_before_the_first_run_the_page_says_so(client_for) -> None:
    response = client_for("compliance").get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "会话存档" in page
    assert "尚未开始拉取会话存档。" in page
    assert "没有被拒收的记录。" in page


def test_the_page_shows_the_lag_with_its_alarm_level_the_counts_and_refused_records(client_for) -> None:
    ArchiveCursor.objects.create(
        corp_id=settings.WECOM_CORP_ID,
        seq=1234,
        caught_up_at=timezone.now() - timedelta(hours=80, minutes=1),
        stored_count=900,
        discarded_count=30,
        refused_count=1,
        last_error="ArchiveSourceError: chatdata: corpid or secret is wrong",
    )
    ArchiveRefusedRecord.objects.create(
        corp_id=settings.WECOM_CORP_ID, seq=77, msgid="msg77", publickey_ver=2, reason=RefusalReason.UNKNOWN_KEY
    )

    page = client_for("compliance").get(URL).content.decode()

    assert "落后 80.0 小时" in page
    assert "预警：拉取进度落后" in page
    assert '<dd class="col-sm-9" id="archive-seq">1234</dd>' in page
    assert '<dd class="col-sm-9" id="archive-stored">900</dd>' in page
    assert '<dd class="col-sm-9" id="archive-discarded">30</dd>' in page
    assert "corpid or secret is wrong" in page
    assert "msg77" in page
    assert "没有该密钥版本的私钥" in page


def test_a_lag_past_the_critical_mark_is_shown_as_critical(client_for) -> None:
    ArchiveCursor.objects.create(corp_id=settings.WECOM_CORP_ID, last_message_at=timezone.now() - timedelta(hours=100))

    page = client_for("compliance").get(URL).content.decode()

    assert "严重：存档记录即将过期丢失" in page


def test_compliance_finds_the_page_in_the_navigation_and_an_rm_does_not(client_for) -> None:
    assert URL in client_for("compliance").get(reverse("compliance-library")).content.decode()
    assert URL not in client_for("rm").get(reverse("home")).content.decode()
