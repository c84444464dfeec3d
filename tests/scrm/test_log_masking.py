"""No full phone or ID number reaches a log: requests that carry them, and the access logs."""

import io
import logging
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.test import Client

from scrm.pii.log_masking import PiiMaskingFilter, pii_mask_text
from tests.conftest import World
from tests.support.log_audit import unmasked_personal_information

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """Everything the configured handlers write, on every logger, in one buffer."""
    buffer = io.StringIO()
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in list(logging.root.manager.loggerDict))]
    swapped: list[tuple[logging.StreamHandler, object]] = []
    for logger in loggers:
        for handler in logger.handlers:
            configured = handler.get_name() in settings.LOGGING["handlers"]  # not pytest's own capture
            if configured and isinstance(handler, logging.StreamHandler) and all(h is not handler for h, _ in swapped):
                swapped.append((handler, handler.setStream(buffer)))
    levels = {name: logging.getLogger(name).level for name in ("django.server", "gunicorn.access", "axes")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.INFO)
    try:
        yield buffer
    finally:
        for handler, stream in swapped:
            handler.setStream(stream)  # type: ignore[arg-type]
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _access_logged(method: str, full_path: str, status: int) -> None:
    """The lines runserver and gunicorn write for a request, as they format them."""
    logging.getLogger("django.server").info('"%s" %s %s', f"{method} {full_path} HTTP/1.1", status, 120)
    atoms = {"h": "10.0.0.9", "r": f"{method} {full_path} HTTP/1.1", "s": status}
    logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', atoms)


def _assert_masked(text: str) -> None:
    for value in (PHONE, ID_NUMBER, "139+1234+5678", "%2B86+139+1234+5678"):
        assert value not in text
    assert "139****5678" in text
    assert "110105********002X" in text


def test_requests_carrying_a_phone_and_an_id_number_log_them_masked(
    world: World, logs: io.StringIO, password: str
) -> None:
    client = Client()
    client.force_login(world.rm_bj.user)
    requests = [
        ("GET", f"/api/customers/?phone={PHONE}&id_number={ID_NUMBER}", client),
        ("GET", f"/api/customers/?phone=%2B86+139+1234+5678&id_number={ID_NUMBER.lower()}", client),
        ("GET", f"/customers/search/?phone={PHONE}&id_number={ID_NUMBER}", client),
        ("GET", f"/wecom/callback/?msg_signature=x&timestamp=1&nonce=1&echostr={PHONE}-{ID_NUMBER}", Client()),
    ]
    for method, path, caller in requests:
        response = caller.get(path)
        _access_logged(method, path, response.status_code)
    failed = Client().post("/login/", {"username": PHONE, "password": ID_NUMBER})
    _access_logged("POST", "/login/", failed.status_code)
    logging.getLogger("scrm").warning("login failed for %s (id %s)", PHONE, ID_NUMBER)

    text = logs.getvalue()
    _assert_masked(text)
    assert "/api/customers/?phone=139****5678" in text


def test_every_configured_handler_masks() -> None:
    handlers = {
        handler
        for logger in [
            logging.getLogger(),
            *(logging.getLogger(n) for n in ("django", "django.server", "gunicorn.access")),
        ]
        for handler in logger.handlers
        if handler.get_name() in settings.LOGGING["handlers"]
    }

    assert {handler.get_name() for handler in handlers} == set(settings.LOGGING["handlers"])
    assert all(any(isinstance(f, PiiMaskingFilter) for f in handler.filters) for handler in handlers)


def test_a_traceback_is_masked_too(logs: io.StringIO) -> None:
    try:
        raise ValueError(f"no customer with phone {PHONE} or ID {ID_NUMBER}")
    except ValueError:
        logging.getLogger("scrm").exception("lookup failed")

    _assert_masked(logs.getvalue())


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("phone=13800138000", "phone=138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("8613800138000", "138****8000"),
        ("110101199003071234", "110101********1234"),
        ("order 1380013800012", "order 1380013800012"),  # 13 digits: not a phone
        ("ts=1712345678.901", "ts=1712345678.901"),
    ],
)
def test_what_is_masked(text: str, masked: str) -> None:
    assert pii_mask_text(text) == masked


def test_the_run_wide_log_check_finds_an_unmasked_phone_or_id_and_passes_masked_ones(tmp_path) -> None:
    log = tmp_path / "run.log"
    log.write_text(
        "msg=search q=138****8000\n"
        "msg=search q=13800138000\n"
        "msg=reveal id=110101********1234\n"
        "msg=reveal id=11010119900307123X\n"
        "msg=job rows=1380013800012345\n",
        encoding="utf-8",
    )

    findings = unmasked_personal_information(log)

    assert [(finding.line_number, finding.kind) for finding in findings] == [(2, "mobile number"), (4, "ID number")]
    assert all("13800138000" not in finding.masked_line for finding in findings)
