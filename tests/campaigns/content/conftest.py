"""Files as the content library meets them: real signatures, honest and mislabelled names."""

from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from campaigns.models import ContentCategory
from scrm.core.redis import redis_client
from tests.conftest import World
from tests.factories import ContentCategoryFactory
from wecom_sandbox.client import SandboxControl

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n" + b" " * 64


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def shelf(world: World) -> ContentCategory:
    return ContentCategoryFactory(name="理财产品")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> None:
    """Each test's uploads in a folder of its own, so "nothing was written" can be checked."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Services' refusals are read in English here; requests get the Chinese of the UI."""
    with translation.override("en"):
        yield


@pytest.fixture
def wecom(sandbox: SandboxControl, settings) -> SandboxControl:
    """The reset sandbox as the product's WeCom (its token cache emptied), with 李经理 and one customer of his."""
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.WECOM_SANDBOX_URL = sandbox.base_url
    settings.WECOM_RETRY_BACKOFF_SECONDS = 0.01
    sandbox.upsert_directory(users=[{"userid": "rm_li", "name": "李经理", "department": [1]}])
    sandbox.seed_contacts([{"name": "王女士", "follow": [{"userid": "rm_li"}]}])
    return sandbox
