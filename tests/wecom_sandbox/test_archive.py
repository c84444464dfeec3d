"""The sandbox's 会话存档: encrypted records paged by seq, five days kept, media in slices, agreement."""

import base64
import json
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.support.wecom_sandbox import callback_receiver
from tests.wecom_sandbox.conftest import WeCom, decrypt
from wecom_sandbox.client import SandboxControl, SandboxControlError

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM = (
    KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
)


def _sdk(sandbox: SandboxControl, call: str, **body: Any) -> dict[str, Any]:
    config = sandbox.config()
    body = {"corpid": config["corp_id"], "secret": config["corp_secret"], **body}
    return requests.post(f"{sandbox.finance_base_url}{call}", json=body, timeout=10).json()


def _open(record: dict[str, Any]) -> dict[str, Any]:
    key = KEY.decrypt(base64.b64decode(record["encrypt_random_key"]), padding.PKCS1v15())
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(base64.b64decode(record["encrypt_chat_msg"])) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return json.loads(unpadder.update(padded) + unpadder.finalize())


@pytest.fixture
def archive(sandbox: SandboxControl) -> SandboxControl:
    sandbox.archive_set_public_key(version=1, pem=PEM)
    return sandbox


def test_a_posted_message_comes_back_encrypted_with_the_corp_s_public_key(archive: SandboxControl) -> None:
    archive.archive_post({"from": "rm_li", "to": "wmCUSTOMER01", "msgtype": "text", "text": {"content": "您好"}})

    [record] = _sdk(archive, "chatdata", seq=0, limit=10)["chatdata"]

    assert record["seq"] == 1
    assert record["publickey_ver"] == 1
    message = _open(record)
    assert message["msgid"] == record["msgid"]
    assert (message["from"], message["tolist"], message["msgtype"]) == ("rm_li", ["wmCUSTOMER01"], "text")
    assert message["text"] == {"content": "您好"}
    assert message["action"] == "send"


def test_chat_data_pages_by_sequence_number_after_the_seq_given(archive: SandboxControl) -> None:
    archive.archive_post(*({"from": "rm_li", "to": "wmC", "text": {"content": str(n)}} for n in range(5)))

    first = _sdk(archive, "chatdata", seq=0, limit=2)["chatdata"]
    second = _sdk(archive, "chatdata", seq=first[-1]["seq"], limit=2)["chatdata"]
    rest = _sdk(archive, "chatdata", seq=second[-1]["seq"], limit=1000)["chatdata"]

    assert [r["seq"] for r in first + second + rest] == [1, 2, 3, 4, 5]
    assert [_open(r)["text"]["content"] for r in rest] == ["4"]


def test_a_limit_over_1000_is_refused_as_the_sdk_refuses_it(archive: SandboxControl) -> None:
    answer = _sdk(archive, "chatdata", seq=0, limit=1001)

    assert answer["errcode"] == 10000
    assert "chatdata" not in answer


def test_a_wrong_secret_gets_nothing(archive: SandboxControl) -> None:
    answer = requests.post(
        f"{archive.finance_base_url}chatdata", json={"corpid": "x", "secret": "y", "seq": 0, "limit": 1}, timeout=10
    ).json()

    assert answer["errcode"] == 10011


def test_records_older_than_five_days_are_gone(archive: SandboxControl) -> None:
    archive.archive_post({"from": "rm_li", "to": "wmC", "text": {"content": "old"}})
    archive.advance_clock(4 * 86400)
    archive.archive_post({"from": "rm_li", "to": "wmC", "text": {"content": "new"}})
    archive.advance_clock(86400 + 60)

    records = _sdk(archive, "chatdata", seq=0, limit=100)["chatdata"]

    assert [_open(r)["text"]["content"] for r in records] == ["new"]


def test_media_comes_in_slices_of_at_most_512_kb(archive: SandboxControl) -> None:
    content = bytes(range(256)) * 5000  # 1,280,000 bytes: three slices
    [posted] = archive.archive_post(
        {
            "from": "rm_li",
            "to": "wmC",
            "msgtype": "file",
            "file": {"filename": "产品说明书.pdf", "content_base64": base64.b64encode(content).decode()},
        }
    )
    file = posted["message"]["file"]
    assert (file["filename"], file["fileext"], file["filesize"]) == ("产品说明书.pdf", "pdf", len(content))

    received, index, slices = b"", "", 0
    while True:
        piece = _sdk(archive, "mediadata", sdkfileid=file["sdkfileid"], indexbuf=index)
        chunk = base64.b64decode(piece["data"])
        assert len(chunk) <= 512 * 1024
        received += chunk
        slices += 1
        index = piece["outindexbuf"]
        if piece["is_finish"]:
            break

    assert received == content
    assert slices == 3
    assert _sdk(archive, "mediadata", sdkfileid="nope", indexbuf="")["errcode"] == 10005


def test_image_revoke_and_group_messages_carry_the_sdk_s_fields(archive: SandboxControl) -> None:
    [image] = archive.archive_post({"from": "wmC", "to": "rm_li", "msgtype": "image", "image": {"size": 100}})
    archive.archive_post(
        {"from": "rm_li", "to": "wmC", "msgtype": "revoke", "revoke": {"pre_msgid": image["msgid"]}},
        {"from": "rm_li", "tolist": ["wmC", "wmD"], "roomid": "wrROOM", "text": {"content": "大家好"}},
    )

    records = [_open(r) for r in _sdk(archive, "chatdata", seq=0, limit=10)["chatdata"]]

    assert set(records[0]["image"]) == {"sdkfileid", "md5sum", "filesize"}
    assert records[0]["image"]["filesize"] == 100
    assert (records[1]["action"], records[1]["revoke"]) == ("recall", {"pre_msgid": image["msgid"]})
    assert (records[2]["roomid"], records[2]["tolist"]) == ("wrROOM", ["wmC", "wmD"])


def test_records_use_the_newest_public_key_version(archive: SandboxControl) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    archive.archive_set_public_key(
        version=2,
        pem=other.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
    )
    archive.archive_post({"from": "rm_li", "to": "wmC", "text": {"content": "x"}})

    [record] = _sdk(archive, "chatdata", seq=0, limit=10)["chatdata"]

    assert record["publickey_ver"] == 2


def test_posting_without_a_public_key_is_refused(sandbox: SandboxControl) -> None:
    with pytest.raises(SandboxControlError, match="public key"):
        sandbox.archive_post({"from": "rm_li", "to": "wmC", "text": {"content": "x"}})


def test_agreeing_sends_msg_audit_approved_and_check_single_agree_reports_it(
    archive: SandboxControl, wecom: WeCom, crypto
) -> None:
    with callback_receiver() as receiver:
        archive.configure(callback_url=receiver.url)
        outcome = archive.archive_agree(userid="rm_li", external_userid="wmAGREE")
        event = decrypt(crypto, receiver.wait_for(1)[0])
    archive.archive_agree(userid="rm_li", external_userid="wmREFUSE", agree=False)

    assert outcome["callback"]["delivered"] is True
    assert (event["Event"], event["ChangeType"]) == ("change_external_contact", "msg_audit_approved")
    assert (event["UserID"], event["ExternalUserID"]) == ("rm_li", "wmAGREE")
    answer = wecom.post(
        "msgaudit/check_single_agree",
        {
            "info": [
                {"userid": "rm_li", "exteranalopenid": "wmAGREE"},
                {"userid": "rm_li", "exteranalopenid": "wmREFUSE"},
                {"userid": "rm_li", "exteranalopenid": "wmNEVER"},
            ]
        },
    )
    assert [i["agree_status"] for i in answer["agreeinfo"]] == ["Agree", "Disagree", "Disagree"]


def test_a_corrupted_record_differs_from_what_was_sent(archive: SandboxControl) -> None:
    [posted] = archive.archive_post({"from": "rm_li", "to": "wmC", "text": {"content": "x"}})
    before = _sdk(archive, "chatdata", seq=0, limit=1)["chatdata"][0]

    archive.archive_corrupt(seq=posted["seq"], part="message")

    after = _sdk(archive, "chatdata", seq=0, limit=1)["chatdata"][0]
    assert after["encrypt_chat_msg"] != before["encrypt_chat_msg"]
    assert after["encrypt_random_key"] == before["encrypt_random_key"]
