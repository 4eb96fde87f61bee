import pytest
from django.core.management import call_command

from liman.core import demo
from liman.core.choices import Role
from liman.core.models import Office, User

pytestmark = pytest.mark.django_db


def test_seed_creates_the_offices_and_one_user_per_role_per_office_and_can_run_twice(capsys):
    """One seeding (the whole demo is slow to write, on PostgreSQL most of all) checked for all it promises."""
    call_command("seed", "--seed", "7")
    codes = set(Office.objects.values_list("code", flat=True))
    assert {"ANK", "IST", "IZM", "EDR", "GAZ", "HTY"} <= codes
    for code in codes:
        for role in Role.values:
            user = User.objects.get(username=demo.demo_username(role, code))
            assert role in user.roles
            assert user.check_password(demo.DEMO_PASSWORD)
    out = capsys.readouterr().out
    assert demo.DEMO_PASSWORD in out and "caseworker.ist" in out

    # The country office's administrator covers every office; an office's caseworker only theirs.
    admin = User.objects.get(username="administrator.ank")
    assert Office.objects.visible_to(admin).count() == len(demo.DEMO_OFFICES)
    assert Office.objects.visible_to(User.objects.get(username="caseworker.izm")).get().code == "IZM"

    # Every household lives in a district of its office's province (the map has something to count).
    from liman.registry.models import Household

    households = Household.objects.select_related("district", "office")
    assert households.exists()
    assert all(h.district and h.district.parent_id == h.office.province_id for h in households)

    # The query planner has statistics from the first request (SQLite keeps none until ANALYZE runs: without them
    # the duplicate queue of one office probed an index once per pair of its people).
    from django.db import connection

    from liman.registry.models import Person

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl IN ('registry_person', 'dedup_matchpair')")
            assert cursor.fetchone()[0] >= 2
        else:
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'registry_person'")
            assert cursor.fetchone()[0] == Person.objects.count()  # never analysed: -1

    # The 4W of the last complete month has rows for every sector the demo covers (issue 17).
    from django.utils import timezone

    from liman.reporting import fourw
    from liman.reporting.demo import MAPPING

    month = fourw.previous_month(timezone.localdate().replace(day=1))
    table = fourw.table(month, fourw.office_lines(month, list(Office.objects.values_list("pk", flat=True))))
    assert {row[3] for row in table[1:] if row[16] > 0} == {str(sector) for sector, *_rest in MAPPING.values()}

    # Reproducible, and a second run changes nothing.
    first = list(User.objects.order_by("username").values_list("username", "first_name", "last_name"))
    call_command("seed", "--seed", "7", "--quiet")
    assert list(User.objects.order_by("username").values_list("username", "first_name", "last_name")) == first


#: Status fields that are not a record's way through a process, so keep no state history, and why.
NOT_A_PROCESS = {
    "django_tasks_database.DBTaskResult": "the task queue's own bookkeeping (a library's)",
    "core.TaskProgress": "the progress bar of a background task",
    "dedup.DedupRun": "a duplicate run's progress; its outcome is audited when it ends",
    "registry.LegalStatus": "the kind of legal status; a change of status is a new row with its dates",
    "health.MedicalClearance": "a copy of the latest health assessment's status, whose history it is",
}


def state_fields() -> list[tuple[type, str]]:
    """Every model's state or status field (a choice), except the ones above."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        if model._meta.label in NOT_A_PROCESS:
            continue
        for field in model._meta.concrete_fields:
            if field.name in ("state", "status"):
                found.append((model, field.name))
    return found


def unexplained_states() -> list[str]:
    """Records in a state other than their first whose history does not end in that state."""
    from django.contrib.contenttypes.models import ContentType

    from liman.core.models import StateChange

    problems = []
    for model, name in state_fields():
        last: dict[str, str] = {}
        changes = StateChange.objects.filter(content_type=ContentType.objects.get_for_model(model))
        for object_id, to_state in changes.order_by("at", "id").values_list("object_id", "to_state"):
            last[object_id] = to_state
        field = model._meta.get_field(name)
        if field.has_default():
            current = ((pk, value, field.get_default()) for pk, value in model._base_manager.values_list("pk", name))
        else:  # the first state is the record's workflow's
            current = (
                (record.pk, getattr(record, name), record.workflow.initial) for record in model._base_manager.all()
            )
        for pk, value, initial in current:
            if value != initial and last.get(str(pk)) != value:
                problems.append(
                    f"{model._meta.label} {pk}: {name} “{value}”, its history ends in “{last.get(str(pk))}”"
                )
    return problems


def test_every_state_field_has_a_first_state_or_is_declared_not_a_process():
    from django.apps import apps

    for model, name in state_fields():
        assert model._meta.get_field(name).has_default() or hasattr(model, "workflow"), (
            f"{model._meta.label}.{name}: give it a default (its first state) or a workflow, or say in "
            "NOT_A_PROCESS why it keeps no history"
        )
    assert set(NOT_A_PROCESS) <= {model._meta.label for model in apps.get_models()}


def ten_to_midnight(monkeypatch) -> None:
    """The clock reads 23:50 in the mission's time zone (and goes on from there): what is "in ten minutes" is
    tomorrow. The demo once failed when seeded late in the evening (a flight leaving soon left the next day, so its
    travellers could not be marked departed)."""
    import datetime

    from django.utils import timezone

    real_now = timezone.now
    local = timezone.localtime(real_now())
    offset = local.replace(hour=23, minute=50, second=0, microsecond=0) - local
    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    assert timezone.localtime().time() >= datetime.time(23, 50)


@pytest.mark.parametrize("seed", [3])
def test_the_demo_loads_for_other_seeds_and_every_state_it_reached_has_its_history(seed, monkeypatch):
    """`liman seed --seed 3` once stopped half-way; every state the demo's services set leaves a history row
    (workflow steps, and flights, bookings, health assessments, imports, submissions, pairs, referrals). Seeded
    at ten to midnight: nothing in it may depend on the hour of the day."""
    ten_to_midnight(monkeypatch)
    call_command("seed", "--seed", str(seed), "--quiet")
    assert unexplained_states() == []
