"""Tests of the channels app: the WeCom gateway, callbacks and the local WeCom sandbox."""
