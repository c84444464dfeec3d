"""The one way to WeCom: the gateway, callback crypto and event parsing."""
