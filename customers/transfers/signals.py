"""Told after a transfer commits, so apps above customers (WeCom) can follow it up."""

from django.dispatch import Signal

# Sent with ``batch_id``: the CustomerTransfer rows of that batch are committed.
customers_transferred = Signal()
