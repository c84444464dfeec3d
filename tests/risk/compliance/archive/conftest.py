"""The chat archive against the sandbox: a corp key pair, the sandbox's SDK stand-in, consenting customers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from customers.models import Customer
from risk.compliance.archive.crypto import archive_keys_forget
from risk.compliance.archive.sources import SandboxArchiveSource
from scrm.core.redis import redis_client
from tests.factories import ExternalContactFactory
from wecom_sandbox.client import SandboxControl

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@dataclass
class Archive:
    sandbox: SandboxControl
    source: SandboxArchiveSource
    rm_userid: str
    agreed: Customer
    agreed_external: str
    refused: Customer
    refused_external: str

    def text(self, sender: str, to: str, content: str, **extra: Any) -> dict[str, Any]:
        return {"from": sender, "to": to, "msgtype": "text", "text": {"content": content}, **extra}

    def post(self, *messages: dict[str, Any]) -> list[dict[str, Any]]:
        return self.sandbox.archive_post(*messages)


@pytest.fixture
def archive_keys(tmp_path: Path, settings) -> Iterator[Path]:
    """Version 1 of the corp's archive key pair: the private half here, the public half for the sandbox."""
    path = tmp_path / "archive_v1.pem"
    path.write_bytes(private_pem(KEY))
    settings.WECOM_ARCHIVE_PRIVATE_KEYS = {1: str(path)}
    archive_keys_forget()
    yield path
    archive_keys_forget()


@pytest.fixture
def archive(world, sandbox: SandboxControl, archive_keys: Path, settings) -> Archive:
    """The reset sandbox holding the corp's public key; one customer of the RM agreed to archiving, one did not."""
    config = sandbox.config()
    settings.WECOM_CORP_ID = config["corp_id"]
    settings.WECOM_CORP_SECRET = config["corp_secret"]
    settings.WECOM_API_BASE_URL = sandbox.api_base_url
    settings.ARCHIVE_DECRYPT_THREADS = 2
    for key in redis_client().scan_iter("archive:agree:*"):
        redis_client().delete(key)
    for key in redis_client().scan_iter("wecom:*"):
        redis_client().delete(key)
    sandbox.archive_set_public_key(version=1, pem=public_pem(KEY))
    agreed, refused = world.customers_rm_bj[0], world.customers_rm_bj[1]
    Customer.objects.filter(pk=agreed.pk).update(chat_archive_consent=True)
    agreed_contact = ExternalContactFactory(customer=agreed, external_userid="wmAGREED000001")
    refused_contact = ExternalContactFactory(customer=refused, external_userid="wmREFUSED00001")
    source = SandboxArchiveSource(
        base_url=sandbox.finance_base_url, corp_id=config["corp_id"], secret=config["corp_secret"], timeout=10
    )
    return Archive(
        sandbox=sandbox,
        source=source,
        rm_userid=str(world.rm_bj.wecom_userid),
        agreed=agreed,
        agreed_external=agreed_contact.external_userid,
        refused=refused,
        refused_external=refused_contact.external_userid,
    )
