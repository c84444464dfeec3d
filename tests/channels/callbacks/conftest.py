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
            monkeypatch.setitem(handlers.HANDLERS, key, "tests.channels.callbacks.recording.record")
    yield recording.CALLS
    recording.CALLS.clear()
