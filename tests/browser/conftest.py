"""Browser tests share the one headless Chromium of tests/conftest.py (``browser`` and ``page``)."""
