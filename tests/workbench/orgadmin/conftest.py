from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    """Messages are read in Chinese, and a page requested in English leaves no language behind."""
    with translation.override("zh-hans"):
        yield
