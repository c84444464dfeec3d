"""The archive sources: the Finance SDK refuses to start on a bad path; the sandbox's DecryptData format."""

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from risk.compliance.archive import sources
from risk.compliance.archive.checks import finance_sdk_check
from risk.compliance.archive.sources import (
    FinanceSdkSource,
    RecordDecryptError,
    SandboxArchiveSource,
    archive_source,
    sandbox_decrypt,
)


@pytest.fixture(autouse=True)
def fresh_source():
    archive_source.cache_clear()
    yield
    archive_source.cache_clear()


def test_a_finance_sdk_path_that_does_not_load_fails_the_system_check_with_a_clear_message(settings, tmp_path) -> None:
    settings.WECOM_FINANCE_SDK_PATH = str(tmp_path / "libWeWorkFinanceSdk_C.so")

    [error] = finance_sdk_check()

    assert error.id == "risk.E001"
    assert "WECOM_FINANCE_SDK_PATH" in error.msg
    assert "does not load as a shared library" in error.msg
    with pytest.raises(SystemCheckError, match=r"risk\.E001"):
        call_command("check")


def test_the_ctypes_source_refuses_to_start_on_a_library_that_is_not_the_sdk(settings) -> None:
    settings.WECOM_FINANCE_SDK_PATH = "libc.so.6"  # loads, but has none of the SDK's functions

    with pytest.raises(ImproperlyConfigured, match="is not Tencent's Finance SDK: it lacks NewSdk"):
        archive_source()
    assert "lacks" in finance_sdk_check()[0].msg
    with pytest.raises(ImproperlyConfigured):
        FinanceSdkSource(library_path="/nonexistent/lib.so", corp_id="ww", secret="s", timeout=5)


def test_no_sdk_path_means_no_check_and_the_sandbox_source(settings) -> None:
    settings.WECOM_FINANCE_SDK_PATH = ""
    settings.WECOM_ARCHIVE_SANDBOX_URL = "http://127.0.0.1:8001/finance/"

    assert finance_sdk_check() == []
    assert isinstance(archive_source(), SandboxArchiveSource)


def test_neither_an_sdk_nor_a_sandbox_is_a_configuration_error(settings) -> None:
    settings.WECOM_FINANCE_SDK_PATH = ""
    settings.WECOM_ARCHIVE_SANDBOX_URL = ""

    with pytest.raises(ImproperlyConfigured, match="WECOM_FINANCE_SDK_PATH"):
        archive_source()


def _encrypt(key: bytes, plain: bytes) -> str:
    padder = sym_padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()).decode()


def test_sandbox_decrypt_is_aes_256_cbc_with_the_key_s_first_16_bytes_as_iv() -> None:
    key = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    message = {"msgid": "m1", "text": {"content": "您好"}}

    assert sandbox_decrypt(random_key=key, encrypt_chat_msg=_encrypt(key, json.dumps(message).encode())) == message


@pytest.mark.parametrize(
    "cipher",
    [
        "not base64!",
        base64.b64encode(b"short").decode(),
        _encrypt(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"not json"),
        _encrypt(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"[1, 2]"),
        _encrypt(os.urandom(32), b'{"msgid": "m1"}'),
    ],
)
def test_sandbox_decrypt_refuses_what_does_not_open(cipher: str) -> None:
    with pytest.raises(RecordDecryptError):
        sandbox_decrypt(random_key=b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", encrypt_chat_msg=cipher)


def test_a_random_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(RecordDecryptError, match="32 bytes"):
        sources.sandbox_decrypt(random_key=b"short", encrypt_chat_msg="")
