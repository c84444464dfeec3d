"""Fixtures for the channels tests: one local WeCom sandbox process per test session.

* ``wecom_sandbox`` (session): the running sandbox's ``SandboxControl``; its state is
  whatever the previous test left.
* ``sandbox`` (function): the same sandbox, reset first (no staff, customers, tokens,
  faults or logs; settings back to their defaults, callback URL empty). Use this one.
* ``sandbox_token`` (function): a live access token of the reset sandbox.
* ``receiver`` (function): a callback receiver the reset sandbox posts its callbacks to.

The sandbox needs no database; tests that only talk to it need no ``db`` fixture.
"""

from collections.abc import Iterator

import pytest

from channels.sandbox.client import SandboxControl
from tests.support.wecom_sandbox import CallbackReceiver, callback_receiver, running_sandbox


@pytest.fixture(scope="session")
def wecom_sandbox() -> Iterator[SandboxControl]:
    with running_sandbox() as control:
        yield control


@pytest.fixture
def sandbox(wecom_sandbox: SandboxControl) -> SandboxControl:
    wecom_sandbox.reset()
    return wecom_sandbox


@pytest.fixture
def sandbox_token(sandbox: SandboxControl) -> str:
    return sandbox.access_token()


@pytest.fixture
def receiver(sandbox: SandboxControl) -> Iterator[CallbackReceiver]:
    with callback_receiver() as receiver:
        sandbox.configure(callback_url=receiver.url)
        yield receiver
