"""PII at rest: AES-GCM tokens bound to their field, key rotation, blind indexes, masks."""

import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured

from scrm.pii import (
    MAINLAND_MOBILE,
    MAINLAND_MOBILE_IN_TEXT,
    PiiDecryptionError,
    PiiKind,
    blind_index,
    blind_index_many,
    mask_id_number,
    mask_name,
    mask_phone,
    needs_rotation,
    reseal,
    seal,
    seal_many,
    surname_index,
    surname_index_many,
    token_prefix,
    unseal,
)
from scrm.pii.crypto import KeyRing, key_ring


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


KEY_A = new_key()
KEY_B = new_key()


@pytest.fixture
def key_a(settings) -> None:
    settings.PII_ENCRYPTION_KEYS = f"A:{KEY_A}"


# --- seal / unseal --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [("欧阳娜娜", PiiKind.NAME), ("13812341234", PiiKind.PHONE), ("11010119900307663X", PiiKind.ID_NUMBER)],
)
def test_a_sealed_value_unseals_to_itself(key_a: None, value: str, kind: PiiKind) -> None:
    token = seal(value, kind=kind)

    assert unseal(token, kind=kind) == value
    assert value.encode() not in token
    assert token.startswith(token_prefix("A"))


def test_sealing_twice_gives_different_tokens(key_a: None) -> None:
    assert seal("张三", kind=PiiKind.NAME) != seal("张三", kind=PiiKind.NAME)


def test_a_tampered_ciphertext_is_refused(key_a: None) -> None:
    token = bytearray(seal("张三", kind=PiiKind.NAME))
    token[-1] ^= 0x01

    with pytest.raises(PiiDecryptionError, match="failed authentication"):
        unseal(bytes(token), kind=PiiKind.NAME)


def test_a_token_sealed_as_a_phone_does_not_unseal_as_an_id_number(key_a: None) -> None:
    token = seal("13812341234", kind=PiiKind.PHONE)

    with pytest.raises(PiiDecryptionError, match="failed authentication"):
        unseal(token, kind=PiiKind.ID_NUMBER)


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (b"", "unknown PII token format"),
        (b"\x02\x01A" + bytes(40), "unknown PII token format"),
        (b"\x01\x01A" + bytes(20), "truncated"),
        (b"\x01\x02\xff\xfe" + bytes(40), "malformed key id"),
    ],
    ids=["empty", "unknown-version", "truncated", "garbled-key-id"],
)
def test_a_malformed_token_is_refused_clearly(key_a: None, token: bytes, reason: str) -> None:
    with pytest.raises(PiiDecryptionError, match=reason):
        unseal(token, kind=PiiKind.NAME)


# --- key rotation -------------------------------------------------------------------


def test_a_new_primary_key_reads_old_tokens_and_reseals_them(settings, key_a: None) -> None:
    old_token = seal("张三", kind=PiiKind.NAME)

    settings.PII_ENCRYPTION_KEYS = f"B:{KEY_B},A:{KEY_A}"

    assert unseal(old_token, kind=PiiKind.NAME) == "张三"
    assert needs_rotation(old_token)
    new_token = reseal(old_token, kind=PiiKind.NAME)
    assert new_token.startswith(token_prefix("B"))
    assert not needs_rotation(new_token)
    assert reseal(new_token, kind=PiiKind.NAME) is new_token
    assert unseal(new_token, kind=PiiKind.NAME) == "张三"


def test_a_token_whose_key_left_the_ring_fails_clearly(settings, key_a: None) -> None:
    old_token = seal("张三", kind=PiiKind.NAME)

    settings.PII_ENCRYPTION_KEYS = f"B:{KEY_B}"

    with pytest.raises(PiiDecryptionError, match="PII key 'A' is not configured"):
        unseal(old_token, kind=PiiKind.NAME)


def test_the_same_key_under_another_id_does_not_read_a_token(settings, key_a: None) -> None:
    token = seal("张三", kind=PiiKind.NAME)

    settings.PII_ENCRYPTION_KEYS = f"A:{KEY_B}"

    with pytest.raises(PiiDecryptionError, match="failed authentication"):
        unseal(token, kind=PiiKind.NAME)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "is empty"),
        (" , ", "is empty"),
        ("A", "must look like 'id:base64key'"),
        (f":{KEY_A}", "must look like 'id:base64key'"),
        ("A:" + base64.b64encode(os.urandom(16)).decode(), "must be 32 bytes"),
        ("A:not base64!", "not valid base64"),
        (f"A:{KEY_A},A:{KEY_B}", "listed twice"),
    ],
    ids=["empty", "only-commas", "no-colon", "no-id", "wrong-length", "bad-base64", "duplicate-id"],
)
def test_an_invalid_key_configuration_is_refused(settings, spec: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        KeyRing.parse(spec)

    settings.PII_ENCRYPTION_KEYS = spec
    with pytest.raises(ImproperlyConfigured, match=message):
        seal("张三", kind=PiiKind.NAME)


def test_the_first_key_is_primary(settings) -> None:
    settings.PII_ENCRYPTION_KEYS = f" B:{KEY_B} , A:{KEY_A} "

    ring = key_ring()

    assert ring.primary_id == "B"
    assert set(ring.keys) == {"A", "B"}


# --- blind index ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("variants", "kind"),
    [
        (["13812341234", "+86 138 1234 1234", "86-138-1234-1234", " 138 1234 1234 "], PiiKind.PHONE),
        (["11010119900307663X", "11010119900307663x", " 11010119900307663X "], PiiKind.ID_NUMBER),
    ],
    ids=["phone", "id-number"],
)
def test_spellings_of_one_value_share_a_blind_index(variants: list[str], kind: PiiKind) -> None:
    indexes = {blind_index(variant, kind=kind) for variant in variants}

    assert len(indexes) == 1
    assert len(indexes.pop()) == 16


def test_different_values_have_different_blind_indexes() -> None:
    assert blind_index("13812341234", kind=PiiKind.PHONE) != blind_index("13812341235", kind=PiiKind.PHONE)


def test_the_same_string_indexes_differently_per_kind() -> None:
    digits = "110101199003076631"

    assert blind_index(digits, kind=PiiKind.PHONE) != blind_index(digits, kind=PiiKind.ID_NUMBER)
    assert blind_index(digits, kind=PiiKind.NAME) != blind_index(digits, kind=PiiKind.ID_NUMBER)


def test_the_blind_index_depends_on_its_key(settings) -> None:
    settings.PII_BLIND_INDEX_KEY = "key-one"
    first = blind_index("13812341234", kind=PiiKind.PHONE)

    settings.PII_BLIND_INDEX_KEY = "key-two"
    second = blind_index("13812341234", kind=PiiKind.PHONE)

    assert first != second


@pytest.mark.parametrize("key", ["short", "k" * 64, "a key longer than one SHA-256 block " * 3])
def test_blind_indexes_in_bulk_equal_one_at_a_time(settings, key: str) -> None:
    settings.PII_BLIND_INDEX_KEY = key
    phones = ["13812341234", " +86 138-1234-1235 ", "8613812341236"]
    ids = ["11010519491231002x", "110101199003076632"]
    names = ["王小明", "欧阳娜娜", "John Smith", "王五", ""]

    assert blind_index_many(phones, kind=PiiKind.PHONE) == [blind_index(p, kind=PiiKind.PHONE) for p in phones]
    assert blind_index_many(ids, kind=PiiKind.ID_NUMBER) == [blind_index(i, kind=PiiKind.ID_NUMBER) for i in ids]
    assert surname_index_many(names) == [surname_index(name) for name in names]


def test_sealing_in_bulk_gives_tokens_that_open_as_one_at_a_time(key_a) -> None:
    values = ["13812341234", "13812341235", "13812341234"]

    tokens = seal_many(values, kind=PiiKind.PHONE)

    assert [unseal(token, kind=PiiKind.PHONE) for token in tokens] == values
    assert len(set(tokens)) == 3  # a fresh nonce each, even for equal values
    assert all(token.startswith(token_prefix("A")) for token in tokens)
    with pytest.raises(PiiDecryptionError):
        unseal(tokens[0], kind=PiiKind.ID_NUMBER)


# --- masks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("02112345678", "021****5678"), ("12345678", "****5678"), ("1234", "****")],
)
def test_phone_mask(phone: str, masked: str) -> None:
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("11010119900307663X", "110101********663X"),
        ("110101900307663", "110101*****7663"),
        ("1234567890", "**********"),
    ],
    ids=["18-digit", "15-digit", "too-short"],
)
def test_id_number_mask(id_number: str, masked: str) -> None:
    assert mask_id_number(id_number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [("", ""), ("张", "*"), ("张三", "张*"), ("王小明", "王**"), ("欧阳娜娜", "欧阳**"), ("司马相如", "司马**")],
    ids=["empty", "one-char", "two-char", "three-char", "compound-surname", "compound-surname-2"],
)
def test_name_mask(name: str, masked: str) -> None:
    assert mask_name(name) == masked


# --- mobile numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "is_mobile"),
    [("13812341234", True), ("19912341234", True), ("12812341234", False), ("1381234123", False)],
)
def test_a_mainland_mobile_is_eleven_digits_starting_13_to_19(value: str, is_mobile: bool) -> None:
    assert bool(MAINLAND_MOBILE.fullmatch(value)) is is_mobile


def test_mobiles_in_text_are_found_only_as_whole_numbers() -> None:
    text = "客户手机13812341234，备用15900001111；卡号6222138123412340000"

    assert MAINLAND_MOBILE_IN_TEXT.findall(text) == ["13812341234", "15900001111"]
