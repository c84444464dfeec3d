"""The upload_media operation: a stored file goes to WeCom as temporary media through the gateway."""

from collections.abc import Iterator

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from channels.models import OutboxStatus
from channels.outbox.services import outbox_send_now
from scrm.core.redis import redis_client
from wecom_sandbox.client import SandboxControl

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def wecom_at_sandbox(sandbox: SandboxControl, settings, tmp_path) -> Iterator[SandboxControl]:
    settings.MEDIA_ROOT = str(tmp_path)
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    with override_settings(WECOM_API_BASE_URL=sandbox.api_base_url, WECOM_RETRY_BACKOFF_SECONDS=0.01):
        yield sandbox


def test_a_stored_file_is_uploaded_by_its_storage_name_and_wecom_keeps_its_bytes(
    wecom_at_sandbox: SandboxControl,
) -> None:
    name = default_storage.save("content/poster.png", ContentFile(PNG))

    call = outbox_send_now(
        key="upload_media:test:1",
        operation="upload_media",
        payload={"storage_name": name, "file_name": "海报.png", "media_type": "image", "content_type": "image/png"},
    )

    assert call.status == OutboxStatus.SUCCEEDED, call.error_message
    fetched = requests.get(
        f"{wecom_at_sandbox.api_base_url}media/get",
        params={"access_token": wecom_at_sandbox.access_token(), "media_id": call.result["media_id"]},
        timeout=10,
    )
    assert fetched.content == PNG
    assert isinstance(call.result["created_at"], int)
    uploaded = wecom_at_sandbox.calls("media/upload")[-1]
    assert uploaded["query"]["type"] == "image"
    assert uploaded["body"]["media"]["filename"] == "海报.png"


def test_a_moments_upload_goes_through_upload_attachment(wecom_at_sandbox: SandboxControl) -> None:
    name = default_storage.save("content/moment.png", ContentFile(PNG))

    call = outbox_send_now(
        key="upload_media:test:moment",
        operation="upload_media",
        payload={"storage_name": name, "file_name": "m.png", "media_type": "image", "attachment_type": 1},
    )

    assert call.status == OutboxStatus.SUCCEEDED, call.error_message
    assert wecom_at_sandbox.calls("media/upload_attachment")[-1]["query"] == {
        "media_type": "image",
        "attachment_type": "1",
    }


def test_wecoms_refusal_fails_the_call_with_its_errcode(wecom_at_sandbox: SandboxControl) -> None:
    name = default_storage.save("content/fake.png", ContentFile(b"not an image at all"))

    call = outbox_send_now(
        key="upload_media:test:bad",
        operation="upload_media",
        payload={"storage_name": name, "file_name": "fake.png", "media_type": "image"},
    )

    assert call.status == OutboxStatus.FAILED
    assert call.error_code == 40005
