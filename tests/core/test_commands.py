from __future__ import annotations

import io
import sys

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.core.management.base import CommandError

from essaim.accounts.models import Role, RoleGrant, User
from essaim.circles.models import Circle, MembershipRole, Thread
from essaim.core.management.commands import serve
from essaim.core.management.commands.demo import DEMO_ACCOUNTS, DEMO_CIRCLE_SLUG
from essaim.core.models import AuditLog, Organisation
from essaim.feed.models import Notification, NotificationKind
from essaim.people.models import Person, Tag, person_search_text

pytestmark = pytest.mark.django_db


def run(*args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, **options)
    return out.getvalue()


def people_snapshot() -> list[tuple[str, ...]]:
    return list(
        Person.objects.order_by("id").values_list(
            "given_name", "family_name", "email", "city", "postal_code", "phone"
        )
    )


def test_populate_creates_n_realistic_people():
    run("populate", "--persons", "120", "--seed", "3", "--batch-size", "50")
    people = list(Person.objects.prefetch_related("tags"))
    assert len(people) == 120
    sample = people[0]
    assert sample.given_name and sample.family_name and sample.city
    assert len(sample.postal_code) == 5
    assert sample.search_text == person_search_text(
        given_name=sample.given_name,
        family_name=sample.family_name,
        email=sample.email,
        city=sample.city,
    )
    assert any(p.tags.all() for p in people)
    assert all(p.roles for p in people)  # everyone has at least one role
    consenting = [p for p in people if p.newsletter_consent]
    assert consenting and all(
        p.newsletter_consent_at and p.newsletter_consent_proof for p in consenting
    )
    assert Tag.objects.count() >= 10


def test_populate_is_deterministic_for_a_seed():
    run("populate", "--persons", "60", "--seed", "7")
    first = people_snapshot()
    first_tags = sorted(Person.tags.through.objects.values_list("tag__name", flat=True))
    Person.objects.all().delete()
    run("populate", "--persons", "60", "--seed", "7")
    assert [row[:2] for row in people_snapshot()] == [row[:2] for row in first]
    assert [row[3:] for row in people_snapshot()] == [row[3:] for row in first]
    assert sorted(Person.tags.through.objects.values_list("tag__name", flat=True)) == first_tags
    Person.objects.all().delete()
    run("populate", "--persons", "60", "--seed", "8")
    assert [row[:2] for row in people_snapshot()] != [row[:2] for row in first]


def test_demo_is_idempotent_and_prints_accounts():
    output = run("demo", "--persons", "40")
    organisation = Organisation.objects.get()
    assert organisation.name == "Les Amis du Quartier"
    assert organisation.tax_reduction_rate == 66
    for account in DEMO_ACCOUNTS:
        assert account.email in output and account.password in output
        user = User.objects.get(email=account.email)
        assert user.check_password(account.password)
        assert EmailAddress.objects.get(user=user).verified
        assert Person.objects.filter(user=user).exists()
    assert RoleGrant.objects.filter(user__email="admin@demo.essaim.fr", role=Role.ADMIN).exists()
    assert "http://" in output
    counts = {
        model.__name__: model.objects.count()
        for model in (User, Person, RoleGrant, AuditLog, EmailAddress, Tag, Organisation)
    }
    assert counts["Person"] == 40 + len(DEMO_ACCOUNTS)

    second = run("demo", "--persons", "40")
    assert "rien de nouveau" in second
    assert "admin@demo.essaim.fr" in second
    assert counts == {
        model.__name__: model.objects.count()
        for model in (User, Person, RoleGrant, AuditLog, EmailAddress, Tag, Organisation)
    }


def test_demo_gives_the_accounts_a_circle_with_a_discussion():
    run("demo", "--persons", "0")
    circle = Circle.objects.get(slug=DEMO_CIRCLE_SLUG)
    roles = dict(circle.memberships.values_list("person__user__email", "role"))
    assert roles == {
        "coordinateur@demo.essaim.fr": MembershipRole.COORDINATOR,
        "adherent@demo.essaim.fr": MembershipRole.MEMBER,
    }
    assert circle.member_count == 2
    thread = Thread.objects.get(circle=circle)
    assert thread.messages.count() == 2
    # The opening message mentions the member, who is notified.
    assert Notification.objects.filter(
        recipient__user__email="adherent@demo.essaim.fr", kind=NotificationKind.MENTION
    ).exists()
    run("demo", "--persons", "0")
    assert Circle.objects.filter(slug=DEMO_CIRCLE_SLUG).count() == 1
    assert Thread.objects.filter(circle=circle).count() == 1


def test_demo_gives_the_circle_an_action_in_preparation_an_evaluated_one_and_a_sheet():
    from essaim.actions.models import Action, ActionStatus, MissionSignup
    from essaim.practices.models import PracticeSheet, PracticeStatus

    run("demo", "--persons", "0")
    actions = Action.objects.filter(circle__slug=DEMO_CIRCLE_SLUG)
    assert sorted(actions.values_list("status", flat=True)) == [
        ActionStatus.EVALUATED,
        ActionStatus.PREPARING,
    ]
    evaluated = actions.get(status=ActionStatus.EVALUATED)
    assert evaluated.debrief.what_worked
    assert evaluated.objectives.get().achieved == 92_350
    signups = MissionSignup.objects.filter(person__user__email="adherent@demo.essaim.fr")
    assert signups.count() == 2 and signups.filter(attended=True, minutes=240).exists()
    sheet = PracticeSheet.objects.get(status=PracticeStatus.PUBLISHED)
    assert list(sheet.actions.all()) == [evaluated]
    run("demo", "--persons", "0")  # idempotent
    assert actions.count() == 2


def test_demo_keeps_an_organisation_the_admin_edited():
    organisation = Organisation.objects.create(pk=1, name="Notre vraie association")
    run("demo", "--persons", "0")
    organisation.refresh_from_db()
    assert organisation.name == "Notre vraie association"


def test_demo_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="refusée en production"):
        run("demo")
    assert not User.objects.exists()


def test_serve_worker_command_per_backend():
    database = serve.worker_command("database")
    assert database is not None
    assert database[0] == sys.executable
    assert database[1].endswith("manage.py")
    assert database[2:] == ["db_worker"]
    rq = serve.worker_command("rq")
    assert rq is not None and rq[2] == "rqworker" and "django_tasks_rq.Job" in rq
    assert serve.worker_command("immediate") is None


def test_serve_starts_worker_and_runserver_then_stops_worker(monkeypatch, settings):
    settings.TASK_BACKEND = "database"
    started: list[list[str]] = []
    calls: list[tuple[object, ...]] = []

    class FakeWorker:
        pid = 4242
        terminated = False

        def __init__(self, command: list[str]) -> None:
            started.append(command)

        def poll(self) -> None:
            return None

        def terminate(self) -> None:
            FakeWorker.terminated = True

        def wait(self, timeout: float | None = None) -> int:
            return 0

    def fake_call_command(name: str, *args: object, **kwargs: object) -> None:
        calls.append((name, *args, kwargs))
        raise KeyboardInterrupt

    monkeypatch.delenv("RUN_MAIN", raising=False)
    monkeypatch.setattr(serve.subprocess, "Popen", FakeWorker)
    monkeypatch.setattr(serve, "call_command", fake_call_command)
    output = run("serve", "--host", "localhost", "--port", "8123")
    assert started == [serve.worker_command("database"), serve.scheduler_command()]
    assert calls == [("runserver", "localhost:8123", {"use_reloader": False})]
    assert FakeWorker.terminated
    assert "http://localhost:8123" in output


def test_serve_reloader_child_does_not_start_a_second_worker(monkeypatch, settings):
    settings.TASK_BACKEND = "database"
    monkeypatch.setenv("RUN_MAIN", "true")
    monkeypatch.setattr(serve.subprocess, "Popen", lambda *a, **k: pytest.fail("worker started"))
    monkeypatch.setattr(serve, "call_command", lambda *a, **k: None)
    assert "http://127.0.0.1:8000" in run("serve")


def test_serve_rejects_bad_port():
    with pytest.raises(CommandError, match="port"):
        run("serve", "--port", "70000")


def test_serve_restores_the_sigterm_handler(monkeypatch, settings):
    import signal

    settings.TASK_BACKEND = "immediate"
    before = signal.getsignal(signal.SIGTERM)
    seen: list[object] = []
    monkeypatch.setattr(
        serve, "call_command", lambda *a, **k: seen.append(signal.getsignal(signal.SIGTERM))
    )
    run("serve", "--no-worker")
    assert seen == [serve._exit_on_signal]
    assert signal.getsignal(signal.SIGTERM) is before
