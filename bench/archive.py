"""Chat-archive ingestion: messages per second opened (RSA + AES), consent-checked and stored.

The records are built beforehand, encrypted exactly as the sandbox encrypts them (a fresh
RSA-2048 key pair, a random key per record, AES-256-CBC), and served from memory by a
source with the sandbox's DecryptData, so the figure is the product's own cost: RSA and
AES decryption, classification, the consent check, the chat upsert and the message
INSERT, and the cursor, page by page through ``archive_ingest`` — not the network or the
SDK. Every conversation's contact has agreed (WeCom's agree status, found in the cache).
Everything is written in a transaction that is rolled back, so a rerun measures the same.
Scanning for violations is not part of this figure yet.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

MESSAGES = int(os.environ.get("BENCH_ARCHIVE_MESSAGES", "20000"))
CONVERSATIONS = 200
TARGET_PER_SECOND = 5000

_PHRASES = [
    "您好，您的定期存款下周到期，需要帮您续存吗？",
    "好的，现在有什么收益高一点的产品吗？",
    "我们新发行了一款一年期理财，业绩比较基准4.2%，风险等级R2。",
    "我明天上午去网点办理，谢谢。",
    "不客气，有问题随时联系我。",
]


class _RollbackError(Exception):
    pass


def _records(public_key: Any) -> list[dict[str, Any]]:
    from cryptography.hazmat.primitives import padding as sym_padding
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    records = []
    start_ms = int((time.time() - 3600) * 1000)
    for seq in range(1, MESSAGES + 1):
        conversation = seq % CONVERSATIONS
        staff, external = f"bench_rm{conversation % 20}", f"wmBENCH{conversation:08d}"
        by_staff = seq % 2 == 0
        message = {
            "msgid": f"bench{seq:012d}",
            "action": "send",
            "from": staff if by_staff else external,
            "tolist": [external if by_staff else staff],
            "roomid": "",
            "msgtime": start_ms + seq,
            "msgtype": "text",
            "text": {"content": _PHRASES[seq % len(_PHRASES)]},
        }
        key = base64.b32encode(os.urandom(20))
        padder = sym_padding.PKCS7(128).padder()
        plain = padder.update(json.dumps(message, ensure_ascii=False).encode()) + padder.finalize()
        encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
        records.append(
            {
                "seq": seq,
                "msgid": message["msgid"],
                "publickey_ver": 1,
                "encrypt_random_key": base64.b64encode(public_key.encrypt(key, padding.PKCS1v15())).decode(),
                "encrypt_chat_msg": base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode(),
            }
        )
    return records


class _PrebuiltSource:
    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = records

    def chat_data(self, *, seq: int, limit: int) -> list[Any]:
        return self.records[seq : seq + limit]  # seq n is at index n - 1

    def decrypt(self, *, random_key: bytes, encrypt_chat_msg: str) -> dict[str, Any]:
        from risk.compliance.archive.sources import sandbox_decrypt

        return sandbox_decrypt(random_key=random_key, encrypt_chat_msg=encrypt_chat_msg)

    def media_data(self, *, sdkfileid: str, index_buf: str) -> Any:
        raise NotImplementedError


def measure() -> list[dict[str, object]]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.conf import settings
    from django.db import transaction
    from django.test import override_settings

    from risk.compliance.archive import services
    from risk.compliance.archive.crypto import archive_keys_forget
    from scrm.core.redis import redis_client

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    started = time.perf_counter()
    records = _records(key.public_key())
    build_seconds = time.perf_counter() - started
    source = _PrebuiltSource(records)
    redis = redis_client()
    agree_keys = [f"archive:agree:bench_rm{c % 20}|wmBENCH{c:08d}" for c in range(CONVERSATIONS)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench_v1.pem"
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        with override_settings(WECOM_ARCHIVE_PRIVATE_KEYS={1: str(path)}, ARCHIVE_PAGE_LIMIT=1000):
            archive_keys_forget()
            for name in agree_keys:
                redis.set(name, "1", ex=3600)
            started = time.perf_counter()
            opened = services._open_all(source, records[:5000])
            open_seconds = time.perf_counter() - started
            assert all(isinstance(o, services._Opened) for o in opened)
            try:
                with transaction.atomic():
                    services.archive_partitions_ensure()  # set-up, not timed
                    started = time.perf_counter()
                    result = services.archive_ingest(source=source, max_pages=MESSAGES // 1000 + 2)
                    seconds = time.perf_counter() - started
                    raise _RollbackError
            except _RollbackError:
                pass
            finally:
                redis.delete(*agree_keys)
                archive_keys_forget()
    rate = result.stored / seconds if seconds else 0.0
    return [
        {
            "name": "archive_ingestion",
            "value": round(rate),
            "unit": "msg/s",
            "target": f"≥ {TARGET_PER_SECOND:,} messages/s decrypted and stored (scan not included)",
            "met": rate >= TARGET_PER_SECOND and result.stored == MESSAGES,
            "detail": {
                "messages": MESSAGES,
                "stored": result.stored,
                "pages": result.pages,
                "seconds": round(seconds, 2),
                "decrypt_only_per_second": round(5000 / open_seconds),
                "decrypt_threads": settings.ARCHIVE_DECRYPT_THREADS,
                "records_built_seconds": round(build_seconds, 1),
                "source": "pre-built encrypted records in memory (product cost only)",
            },
        }
    ]
