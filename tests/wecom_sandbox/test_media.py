"""Temporary media (素材): uploads with WeCom's checks and error codes, three days of life, and
messages that accept only media the corp uploaded and WeCom still keeps."""

from typing import Any

import pytest
import requests

from tests.wecom_sandbox.conftest import WeCom, contact_way
from wecom_sandbox.client import SandboxControlError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64
THREE_DAYS = 3 * 86400


def upload(wecom: WeCom, data: bytes, *, media_type: str = "image", name: str = "a.png", moment: bool = False) -> Any:
    api, params = (
        ("media/upload_attachment", {"media_type": media_type, "attachment_type": 1})
        if moment
        else (
            "media/upload",
            {"type": media_type},
        )
    )
    return requests.post(
        wecom.base_url + api,
        params={"access_token": wecom.token, **params},
        files={"media": (name, data, "application/octet-stream")},
        timeout=10,
    ).json()


def test_an_upload_answers_a_media_id_that_media_get_gives_back(wecom: WeCom) -> None:
    answer = upload(wecom, PNG)

    fetched = requests.get(
        wecom.base_url + "media/get", params={"access_token": wecom.token, "media_id": answer["media_id"]}, timeout=10
    )

    assert answer["errcode"] == 0, answer
    assert answer["type"] == "image"
    assert answer["created_at"].isdigit()
    assert fetched.content == PNG
    assert "a.png" in fetched.headers["Content-Disposition"]


@pytest.mark.parametrize(
    ("data", "media_type", "errcode"),
    [
        (PNG, "picture", 40004),  # no such type
        (b"%PDF-1.4 not an image", "image", 40005),  # an image must be JPG or PNG
        (PNG, "video", 40005),  # a video must be MP4
        (b"\x89PNG", "image", 40009),  # 5 bytes or fewer
        (PNG + b"\x00" * (10 * 1024 * 1024), "image", 40009),  # over 10 MB
        (MP4 + b"\x00" * (10 * 1024 * 1024), "video", 40011),
        (b"x" * (20 * 1024 * 1024 + 1), "file", 40006),
    ],
)
def test_a_wrong_type_or_size_is_refused_with_wecoms_errcode(
    wecom: WeCom, data: bytes, media_type: str, errcode: int
) -> None:
    assert upload(wecom, data, media_type=media_type)["errcode"] == errcode


def test_an_upload_without_the_media_field_is_refused(wecom: WeCom) -> None:
    answer = wecom.post("media/upload", type="image")

    assert answer["errcode"] == 41005


def test_moments_take_images_and_videos_through_upload_attachment_only(wecom: WeCom) -> None:
    assert upload(wecom, JPEG, moment=True)["errcode"] == 0
    assert upload(wecom, MP4, media_type="video", moment=True)["errcode"] == 0
    assert upload(wecom, b"plain text file", media_type="file", moment=True)["errcode"] == 40004


def _welcome(sandbox, wecom: WeCom, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    scanned = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    return wecom.post(
        "externalcontact/send_welcome_msg", {"welcome_code": scanned["welcome_code"], "attachments": attachments}
    )


@pytest.fixture
def scannable(sandbox, staff):
    """No callbacks; the token and welcome codes outlive the clock moving three days on."""
    sandbox.configure(callback_url="", welcome_code_ttl=10 * THREE_DAYS, token_ttl=10 * THREE_DAYS)
    return WeCom(sandbox.api_base_url, sandbox.access_token())


def test_messages_accept_a_live_media_id_and_refuse_unknown_expired_or_moment_ones(sandbox, scannable) -> None:
    wecom = scannable
    image = upload(wecom, PNG)["media_id"]
    moment = upload(wecom, PNG, moment=True)["media_id"]

    live = _welcome(sandbox, wecom, [{"msgtype": "image", "image": {"media_id": image}}])
    unknown = _welcome(sandbox, wecom, [{"msgtype": "file", "file": {"media_id": "3not-issued"}}])
    for_moments = _welcome(sandbox, wecom, [{"msgtype": "image", "image": {"media_id": moment}}])
    sandbox.advance_clock(THREE_DAYS)
    expired = _welcome(sandbox, wecom, [{"msgtype": "image", "image": {"media_id": image}}])
    mass = wecom.post(
        "externalcontact/add_msg_template",
        {"sender": "rm_li", "attachments": [{"msgtype": "miniprogram", "miniprogram": {"pic_media_id": image}}]},
    )

    assert live["errcode"] == 0, live
    assert (unknown["errcode"], for_moments["errcode"], expired["errcode"], mass["errcode"]) == (
        40007,
        40007,
        40007,
        40007,
    )
    assert len(sandbox.welcome_messages()) == 1


def test_a_chat_message_of_media_needs_a_live_media_id(sandbox, scannable) -> None:
    wecom = scannable
    scanned = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})
    sandbox.open_chat(userid="rm_li", external_userid=scanned["external_userid"])
    media_id = upload(wecom, PNG)["media_id"]

    sandbox.send_chat_message(userid="rm_li", msgtype="image", image={"mediaid": media_id})
    with pytest.raises(SandboxControlError, match="invalid media_id"):
        sandbox.send_chat_message(userid="rm_li", msgtype="image", image={"mediaid": "3nope"})

    assert [m["image"]["mediaid"] for m in sandbox.chat_messages(scanned["external_userid"])] == [media_id]
