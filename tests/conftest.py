import contextlib

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from liman.core.choices import OfficeType
from liman.core.models import AdminArea, Office
from tests.factories import OfficeFactory

# Property tests measure what they find, not how fast: on a busy CI machine Hypothesis's timing checks fail them
# for reasons that have nothing to do with the code (input generation "too slow", an example over the deadline).
hypothesis_settings.register_profile("liman", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("liman")


@pytest.fixture
def istanbul(db) -> Office:
    return OfficeFactory(code="IST", name="Istanbul Sub-Office", type=OfficeType.SUB)


@pytest.fixture
def izmir(db) -> Office:
    return OfficeFactory(code="IZM", name="Izmir Field Office", province=AdminArea.objects.get(pcode="TUR035"))


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """A request through the locale middleware leaves its language active in the thread: the next test must not
    start in Arabic because the last one asked for it."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_keys():
    """Tests that change key settings must not leak cached keys into the next test."""
    from liman.core import crypto

    crypto.forget_keys()
    yield
    crypto.forget_keys()


@contextlib.contextmanager
def world_for_the_module(django_db_blocker):
    """Records built once for every test of a module (the walks build one of every scoped model: seconds each
    time), inside a transaction that is rolled back after the module's last test. Each test runs in a savepoint
    within it (pytest-django's `db`), so what a test writes is gone before the next one, as usual; only tests that
    need no real commit may use it."""
    from django.db import transaction

    from liman.core import crypto

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            crypto.forget_keys()
            restart_key_sequences()
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            crypto.forget_keys()


def restart_key_sequences():
    """Primary keys start again just after the highest one in use, as SQLite's do after a rollback. PostgreSQL's
    sequences never go back: without this, every earlier test pushes the keys of a world further apart, and a walk
    (which asks each route once per distinct key value) asks thousands of addresses more there than on SQLite."""
    from django.apps import apps
    from django.core.management.color import no_style
    from django.db import connection

    tables = set(connection.introspection.table_names())
    models = [model for model in apps.get_models(include_auto_created=True) if model._meta.db_table in tables]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
