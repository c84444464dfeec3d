"""Each test starts with no compiled library in the process: the database of the test decides."""

from collections.abc import Iterator

import pytest

from risk.compliance.matcher import library_forget


@pytest.fixture(autouse=True)
def compliance_library_forgotten() -> Iterator[None]:
    library_forget()
    yield
    library_forget()
