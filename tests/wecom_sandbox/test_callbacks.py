"""Callback delivery as WeCom does it: retries, dropped callbacks, redelivery and replay."""

import pytest

from tests.wecom_sandbox.conftest import contact_way, decrypt
from wecom_sandbox.client import SandboxControlError


def test_a_receiver_answering_500_gets_three_attempts_in_all(sandbox, staff, wecom, receiver):
    receiver.status = 500

    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    assert outcome["callback"] == {"id": 1, "status": 500, "attempts": 3, "delivered": False, "deliver": True}
    assert len(receiver.wait_for(3)) == 3
    [logged] = sandbox.callbacks()
    assert [a["status"] for a in logged["attempt_log"]] == [500, 500, 500]


def test_a_retry_that_succeeds_stops_the_attempts(sandbox, staff, wecom, receiver, crypto):
    receiver.statuses = [503]

    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    assert (outcome["callback"]["attempts"], outcome["callback"]["delivered"]) == (2, True)
    first, second = receiver.wait_for(2)
    assert decrypt(crypto, first) == decrypt(crypto, second)


def test_no_answer_within_the_timeout_is_retried(sandbox, staff, wecom, receiver):
    sandbox.configure(callback_timeout=0.3, callback_attempts=2)
    receiver.delay_seconds = 0.6

    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    assert outcome["callback"]["attempts"] == 2
    assert outcome["callback"]["status"] is None
    assert [a["error"] for a in sandbox.callbacks()[0]["attempt_log"]] == ["ReadTimeout", "ReadTimeout"]


def test_deliver_false_changes_state_logs_the_callback_and_sends_nothing(sandbox, staff, wecom, receiver):
    outcome = sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"}, deliver=False)

    assert outcome["callback"] == {"id": 1, "status": None, "attempts": 0, "delivered": False, "deliver": False}
    assert receiver.wait_for(1, timeout=0.5) == []
    assert wecom.get("externalcontact/list", userid="rm_li")["external_userid"] == [outcome["external_userid"]]
    [logged] = sandbox.callbacks(change_type="add_external_contact")
    assert outcome["external_userid"] in logged["plaintext"]


def test_redeliver_sends_the_same_event_freshly_signed(sandbox, staff, wecom, receiver, crypto):
    sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"}, deliver=False)

    redelivered = sandbox.redeliver(1)

    [received] = receiver.wait_for(1)
    assert redelivered["delivered"] is True
    assert redelivered["id"] == 2
    assert decrypt(crypto, received)["ChangeType"] == "add_external_contact"
    original, again = sandbox.callbacks()
    assert again["kind"] == "redeliver"
    assert again["of"] == 1
    assert again["plaintext"] == original["plaintext"]
    assert again["nonce"] != original["nonce"]
    assert again["body"] != original["body"]


def test_replay_sends_the_identical_signed_request(sandbox, staff, wecom, receiver):
    sandbox.scan(config_id=contact_way(wecom), customer={"name": "王女士"})

    sandbox.replay(1)

    first, second = receiver.wait_for(2)
    assert (second.query, second.body) == (first.query, first.body)
    assert sandbox.callbacks()[1]["kind"] == "replay"


def test_an_unknown_callback_number_is_404(sandbox):
    with pytest.raises(SandboxControlError) as error:
        sandbox.redeliver(99)
    assert error.value.status == 404
