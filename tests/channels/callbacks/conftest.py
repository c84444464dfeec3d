import pytest

from channels.callbacks import handlers
from tests.channels.callbacks import recording


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch):
    """Every change_external_contact change type handled by ``recording.record``; its calls, fresh."""
    recording.CALLS.clear()
    recording.FAILURES_LEFT[0] = 0
    for key in list(handlers.HANDLERS):
        if key[0] == handlers.CONTACT:
            monkeypatch.setitem(handlers.HANDLERS, key, recording.record)
    yield recording.CALLS
    recording.CALLS.clear()


@pytest.fixture
def rm_li(sandbox) -> str:
    """One RM in the reset sandbox's directory."""
    sandbox.upsert_directory(
        departments=[{"id": 1, "name": "总行", "parentid": 0}],
        users=[{"userid": "rm_li", "name": "李经理", "department": [1]}],
    )
    return "rm_li"


@pytest.fixture
def channel_code(sandbox, rm_li) -> str:
    """A 「联系我」 contact way of rm_li with state ``branch-bj``, created through WeCom's API on the sandbox."""
    from tests.wecom_sandbox.conftest import WeCom, contact_way

    return contact_way(WeCom(sandbox.api_base_url, sandbox.access_token()), state="branch-bj")
