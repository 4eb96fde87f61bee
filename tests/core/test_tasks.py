import pytest
from django.core.management import call_command
from django.urls import reverse

from liman.core import audit
from liman.core.choices import Role, TaskState
from liman.core.models import TaskProgress
from liman.core.progress import terminal_bar
from tests.factories import staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, istanbul, settings):
    settings.LIMAN_SECOND_FACTOR_ROLES = []
    admin = staff(Role.ADMINISTRATOR, istanbul)
    client.force_login(admin)
    return client, admin


def run_worker(monkeypatch):
    """Run queued tasks as `liman db_worker` does; its close_old_connections() would close the test's own
    connection on PostgreSQL (SQLite's in-memory test database ignores it)."""
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_the_audit_check_runs_in_the_background_and_shows_progress(
    admin_client, django_capture_on_commit_callbacks, monkeypatch
):
    client, admin = admin_client
    for i in range(5):
        audit.record("update", object_type="t", object_id=str(i))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:audit-verify"))
    progress = TaskProgress.objects.get(owner=admin)
    assert response["Location"] == reverse("core:task-detail", args=[progress.pk])
    assert progress.state == TaskState.QUEUED

    fragment = client.get(
        reverse("core:task-detail", args=[progress.pk]), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment

    run_worker(monkeypatch)
    progress.refresh_from_db()
    assert progress.state == TaskState.SUCCEEDED and progress.result["intact"] is True
    assert progress.done == progress.total > 0
    page = client.get(reverse("core:task-detail", args=[progress.pk]), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in page and "intact" in page


def test_a_task_page_is_its_owners_only(admin_client, istanbul):
    client, admin = admin_client
    progress = TaskProgress.objects.create(name="someone else's export", owner=staff(Role.VIEWER, istanbul))
    assert client.get(reverse("core:task-detail", args=[progress.pk])).status_code == 404


def test_the_cli_draws_a_progress_bar_for_a_task(capsys, istanbul):
    progress = TaskProgress.objects.create(name="check", total=10, done=10, state=TaskState.SUCCEEDED)
    call_command("tasks", "watch", str(progress.pk))
    assert "[########################################] 100%  10/10" in capsys.readouterr().err


def test_terminal_bar_shows_the_fraction():
    assert terminal_bar(25, 100, "rows", width=8) == "[##......]  25%  25/100  rows"
    assert terminal_bar(0, 0, width=4).startswith("[....]   0%")
