"""A local stand-in for WeCom: its HTTP API, its signed callbacks, and a control API for tests.

Runs as its own process (``python -m wecom_sandbox``) and imports nothing from Django
or the product's models, so the product talks to it exactly as it talks to WeCom: over
HTTP, with a corp id, a secret and an access token. See docs/wecom-sandbox.md.
"""
