"""A session of the schema owner on the test database, beside the application's own."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection


@contextmanager
def owner_session() -> Iterator[psycopg.Connection]:
    """What a DBA with the owner's rights could do, as opposed to the application role the tests run as.

    A separate session: it sees only what the test has committed (use a transactional test).
    """
    database = connection.settings_dict
    owner = settings.DATABASE_OWNER or database
    with psycopg.connect(
        host=owner["HOST"],
        port=owner["PORT"] or None,
        user=owner["USER"],
        password=owner["PASSWORD"] or None,
        dbname=database["NAME"],
        autocommit=True,
    ) as session:
        yield session
