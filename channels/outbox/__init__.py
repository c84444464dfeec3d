"""The outbox: every WeCom call that changes something, sent once per idempotency key."""
